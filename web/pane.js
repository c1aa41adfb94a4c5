// Role: the view of one transport pane: its title, status, live counters from /stats?client=<id>,
// and the messages as they arrive with their latency. It knows nothing about the transport itself;
// app.js connects a client (clients/*.js) to a Pane.
import { el, bytes, ms, median } from './dom.js';
import { t } from './i18n.js';

/** How many messages a pane keeps on screen (older ones scroll away). */
const MAX_SHOWN = 40;
/** How many latencies the median is taken over. */
const LATENCY_WINDOW = 200;

/**
 * The counters shown, in order: key in the view (data-counter), i18n label, how the number is shown
 * (default a plain count) and where it comes from (default the /stats counter of the same name).
 */
const COUNTERS = [
  { key: 'requests', label: 'c.requests' },
  { key: 'empty_responses', label: 'c.empty' },
  { key: 'messages_delivered', label: 'c.delivered' },
  { key: 'request_header_bytes', label: 'c.hdr_up', show: bytes },
  { key: 'response_header_bytes', label: 'c.hdr_down', show: bytes },
  { key: 'open_connections', label: 'c.open' },
  { key: 'bytes_per_message', label: 'c.per_msg', show: bytes, value: (pane) => pane.bytesPerMessage() },
  { key: 'latency', label: 'c.latency', show: ms, value: (pane) => pane.medianLatency() },
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
      COUNTERS.map(({ key, label }) => {
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

  /** A line among the messages about them (`kind`: gap, restart), in the order things happened. */
  addNote(text, kind) {
    this.list.prepend(el('li', { class: 'note', dataset: kind && { note: kind } }, text));
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
    for (const { key, show = String, value = (pane) => pane.stats?.[key] ?? 0 } of COUNTERS) {
      const n = value(this);
      const cell = this.counterCells[key];
      cell.textContent = show(n);
      // Raw numbers for tests and curious students (devtools): data-value on each cell.
      cell.dataset.value = n ?? '';
    }
  }

  render() {
    this.pauseButton.textContent = t(this.paused ? 'pane.resume' : 'pane.pause');
    this.pauseButton.setAttribute('aria-pressed', String(this.paused));
    const detail = this.statusDetail ? ` (${this.statusDetail})` : '';
    this.statusText.textContent = t(`st.${this.status}`) + detail;
    this.statusText.title = this.statusDetail;
  }
}
