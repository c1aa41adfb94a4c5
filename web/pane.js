// Role: the view of one transport pane: its title, status, live counters from /stats?client=<id>,
// and the messages as they arrive with their latency. It knows nothing about the transport itself;
// app.js connects a client (clients/*.js) to a Pane.
import { el, bytes, ms, median } from './dom.js';
import { t } from './i18n.js';

/** How many messages a pane keeps on screen (older ones scroll away). */
const MAX_SHOWN = 40;
/** How many latencies the median is taken over. */
const LATENCY_WINDOW = 200;

/** The counters shown, in order: [key in the view, i18n label]. */
const COUNTERS = [
  ['requests', 'c.requests'],
  ['empty_responses', 'c.empty'],
  ['messages_delivered', 'c.delivered'],
  ['request_header_bytes', 'c.hdr_up'],
  ['response_header_bytes', 'c.hdr_down'],
  ['open_connections', 'c.open'],
  ['bytes_per_message', 'c.per_msg'],
  ['latency', 'c.latency'],
];

export class Pane {
  /** @param {string} kind a transport's name (clients/transports.js), or auto */
  constructor(kind, clientId, { onPauseToggle }) {
    this.kind = kind;
    this.clientId = clientId;
    this.latencies = [];
    this.stats = null;
    this.paused = false;
    this.status = 'connecting';
    this.statusDetail = '';

    this.dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
    this.statusText = el('span', { class: 'status-text' });
    this.pauseButton = el('button', { type: 'button', class: 'pause', onclick: () => onPauseToggle(this) });
    this.counterCells = {};
    const counters = el(
      'dl',
      { class: 'counters' },
      COUNTERS.map(([key, label]) => {
        const dd = el('dd', { dataset: { counter: key } }, '0');
        this.counterCells[key] = dd;
        return el('div', { class: `counter c-${key}` }, el('dt', { dataset: { i18n: label } }), dd);
      }),
    );
    this.extra = el('div', { class: 'extra' });
    this.list = el('ol', { class: 'messages', 'aria-live': 'polite' });
    this.root = el(
      'section',
      { class: 'pane', dataset: { pane: kind, kind, client: clientId, status: this.status } },
      el(
        'header',
        {},
        el('h2', {}, this.dot, el('span', { dataset: { i18n: `name.${kind}` } })),
        this.pauseButton,
      ),
      el('p', { class: 'api' }, el('code', { dataset: { i18n: `api.${kind}` } }), ' · ', this.statusText),
      counters,
      this.extra,
      this.list,
    );
    this.render();
  }

  setStatus(status, detail = '') {
    this.status = status;
    this.statusDetail = detail || '';
    this.root.dataset.status = status;
    this.render();
  }

  /** Show new messages at the top; latency = now (server clock via offset) - publish ts. */
  addMessages(messages, clock) {
    for (const m of messages) {
      const latency = clock.latencyUs(m.ts);
      this.latencies.push(latency);
      if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
      const li = el(
        'li',
        { class: `msg kind-${m.kind}`, dataset: { id: m.id } },
        el('span', { class: 'id' }, `#${m.id}`),
        el('span', { class: 'from' }, m.from || m.kind),
        el('span', { class: 'body' }, m.body),
        el('span', { class: 'lat' }, ms(latency)),
      );
      this.list.prepend(li);
    }
    while (this.list.children.length > MAX_SHOWN) this.list.lastChild.remove();
    this.renderCounters();
  }

  addNote(text) {
    this.list.prepend(el('li', { class: 'note' }, text));
  }

  /** Counters of this pane's client id, summed over the delivery transports it used. */
  setStats(snapshot) {
    this.stats = snapshot;
    this.renderCounters();
  }

  resetLocal() {
    this.latencies = [];
    this.stats = null;
    this.renderCounters();
  }

  medianLatency() {
    return median(this.latencies);
  }

  /**
   * Everything this client moved on the wire per message it received. `uploadBytes` (set by app.js) are
   * bytes the client sent for another purpose, the chat frames on the WebSocket: they are publishing,
   * not receiving, and counting them would make the WebSocket look dearer than it is.
   */
  bytesPerMessage() {
    const s = this.stats;
    if (!s || !s.messages_delivered) return null;
    const total = s.request_header_bytes + s.response_header_bytes + s.body_bytes + s.framing_bytes;
    return Math.max(0, total - (this.uploadBytes?.() ?? 0)) / s.messages_delivered;
  }

  renderCounters() {
    const s = this.stats || {};
    const c = this.counterCells;
    c.requests.textContent = String(s.requests ?? 0);
    c.empty_responses.textContent = String(s.empty_responses ?? 0);
    c.request_header_bytes.textContent = bytes(s.request_header_bytes ?? 0);
    c.response_header_bytes.textContent = bytes(s.response_header_bytes ?? 0);
    c.bytes_per_message.textContent = bytes(this.bytesPerMessage());
    c.latency.textContent = ms(this.medianLatency());
    c.messages_delivered.textContent = String(s.messages_delivered ?? 0);
    c.open_connections.textContent = String(s.open_connections ?? 0);
    // Raw numbers for tests and curious students (devtools): data-value on each cell.
    c.requests.dataset.value = s.requests ?? 0;
    c.empty_responses.dataset.value = s.empty_responses ?? 0;
  }

  render() {
    this.pauseButton.textContent = t(this.paused ? 'pane.resume' : 'pane.pause');
    this.pauseButton.setAttribute('aria-pressed', String(this.paused));
    const detail = this.statusDetail ? ` (${this.statusDetail})` : '';
    this.statusText.textContent = t(`st.${this.status}`) + detail;
    this.statusText.title = this.statusDetail;
  }
}
