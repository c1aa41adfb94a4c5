// Role: the protocol inspector tab. GET /inspect?client=ID returns, per transport, the last request head
// the server received and the response head it sent for that client — for WebSocket, the real
// Upgrade handshake (Sec-WebSocket-Key / Accept, 101 Switching Protocols). Shown as plain text. For a
// WebSocket client, the last frame each way too, decoded bit by bit (anatomy.js).
import { el } from './dom.js';
import { showFrames } from './anatomy.js';
import { t } from './i18n.js';
import { getJson } from './api.js';
import { BEST_FIRST } from './clients/transports.js';

/** The order the exchanges are shown in: the transports best first, then the server's other channels. */
const ORDER = [...BEST_FIRST.map((Client) => Client.transport), 'publish', 'echo'];

export class Inspector {
  constructor(root, panes) {
    this.root = root;
    this.panes = panes;
    this.select = root.querySelector('select');
    this.output = root.querySelector('.inspect-output');
    this.frames = root.querySelector('.anatomy .frames');
    this.select.replaceChildren(
      ...panes.map((p) => el('option', { value: p.clientId, dataset: { kind: p.kind } }, `${p.kind} · ${p.clientId}`)),
    );
    this.select.value = panes.find((p) => p.kind === 'ws')?.clientId ?? panes[0].clientId;
    this.select.addEventListener('change', () => this.refresh());
    root.querySelector('.refresh').addEventListener('click', () => this.refresh());
  }

  async refresh() {
    const clientId = this.select.value;
    try {
      const answer = await getJson('/inspect', { client: clientId });
      // Accept {ws: {...}} or {transports: {ws: {...}}}.
      const perChannel = (answer && (answer.transports || answer.channels)) || answer || {};
      const names = Object.keys(perChannel).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
      const blocks = names
        .filter((name) => perChannel[name] && typeof perChannel[name] === 'object')
        .map((name) => {
          const x = perChannel[name];
          const when = x.at_us ? new Date(x.at_us / 1000).toLocaleTimeString() : '';
          return el(
            'article',
            { class: 'exchange', dataset: { channel: name } },
            el('h3', {}, name, ' ', el('small', {}, when)),
            el('h4', {}, t('inspector.request'), headSize(x.request)),
            el('pre', { class: 'head head-request' }, headText(x.request)),
            el('h4', {}, t('inspector.response'), headSize(x.response)),
            el('pre', { class: 'head head-response' }, headText(x.response)),
          );
        });
      this.output.replaceChildren(...(blocks.length ? blocks : [el('p', { class: 'muted' }, t('inspector.none'))]));
      showFrames(this.frames, perChannel.ws?.frames);
    } catch (err) {
      this.output.replaceChildren(el('p', { class: 'error' }, t('inspector.error', { error: err.message })));
    }
  }
}

/** " · 551 B": the size of a raw head, CRLFs and the blank line included, as the counters count it. */
function headSize(head) {
  return typeof head === 'string' ? ` · ${new TextEncoder().encode(head).length} B` : '';
}

/** A head is a raw string (CRLF lines) or {line, headers: [[name, value]] | {name: value}}. */
function headText(head) {
  if (!head) return '';
  if (typeof head === 'string') return head.replace(/\r\n/g, '\n').trimEnd();
  const headers = Array.isArray(head.headers) ? head.headers : Object.entries(head.headers || {});
  return [head.line || head.start_line || '', ...headers.map(([k, v]) => `${k}: ${v}`)].join('\n').trim();
}
