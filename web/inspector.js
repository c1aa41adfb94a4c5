// Role: the protocol inspector tab. GET /inspect?client=ID returns, per transport, the last request head
// the server received and the response head it sent for that client — for WebSocket, the real
// Upgrade handshake (Sec-WebSocket-Key / Accept, 101 Switching Protocols). Shown as plain text, and
// beside a handshake its Sec-WebSocket-Accept worked through in this browser (handshake.js) and checked
// against what the server sent. Below, "the WebSocket under a magnifier": the same steps for the RFC's
// example key, which the documents quote.
import { el } from './dom.js';
import { t } from './i18n.js';
import { getJson } from './api.js';
import { BEST_FIRST } from './clients/transports.js';
import { acceptSteps, GUID, RFC_EXAMPLE } from './handshake.js';

/** The order the exchanges are shown in: the transports best first, then the server's other channels. */
const ORDER = [...BEST_FIRST.map((Client) => Client.transport), 'publish', 'echo'];

export class Inspector {
  constructor(root, panes) {
    this.root = root;
    this.panes = panes;
    this.select = root.querySelector('select');
    this.output = root.querySelector('.inspect-output');
    this.example = root.querySelector('.accept-example');
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
      this.example.replaceChildren(await walkthrough(RFC_EXAMPLE.key, RFC_EXAMPLE.accept, 'example'));
      const answer = await getJson('/inspect', { client: clientId });
      // Accept {ws: {...}} or {transports: {ws: {...}}}.
      const perChannel = (answer && (answer.transports || answer.channels)) || answer || {};
      const names = Object.keys(perChannel).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
      const blocks = await Promise.all(
        names
          .filter((name) => perChannel[name] && typeof perChannel[name] === 'object')
          .map(async (name) => {
            const x = perChannel[name];
            const when = x.at_us ? new Date(x.at_us / 1000).toLocaleTimeString() : '';
            // A WebSocket handshake (/ws, /echo): its accept value worked through, beside the heads.
            const key = headerValue(x.request, 'sec-websocket-key');
            const accept = key && (await walkthrough(key, headerValue(x.response, 'sec-websocket-accept'), 'connection'));
            return el(
              'article',
              { class: accept ? 'exchange has-accept' : 'exchange', dataset: { channel: name } },
              el('h3', {}, name, ' ', el('small', {}, when)),
              el(
                'div',
                { class: 'heads' },
                el('h4', {}, t('inspector.request'), headSize(x.request)),
                el('pre', { class: 'head head-request' }, headText(x.request)),
                el('h4', {}, t('inspector.response'), headSize(x.response)),
                el('pre', { class: 'head head-response' }, headText(x.response)),
              ),
              accept,
            );
          }),
      );
      this.output.replaceChildren(...(blocks.length ? blocks : [el('p', { class: 'muted' }, t('inspector.none'))]));
    } catch (err) {
      this.output.replaceChildren(el('p', { class: 'error' }, t('inspector.error', { error: err.message })));
    }
  }
}

/** " · 551 B": the size of a raw head, CRLFs and the blank line included, as the counters count it. */
function headSize(head) {
  return typeof head === 'string' ? ` · ${new TextEncoder().encode(head).length} B` : '';
}

/**
 * From `key` to its Sec-WebSocket-Accept, step by step, and the check against `given` (what the server
 * sent, or the documents' value): `which` is "connection" (this page's) or "example" (the RFC's key).
 */
async function walkthrough(key, given, which) {
  const steps = await acceptSteps(key);
  const step = (name, label, ...value) =>
    el('li', { dataset: { step: name } }, el('span', { class: 'what' }, t(label)), el('code', {}, ...value));
  const same = steps.accept === given;
  return el(
    'section',
    { class: 'accept', dataset: { accept: which } },
    el('h4', {}, t(`accept.${which}`)),
    el(
      'ol',
      { class: 'steps' },
      step('key', 'accept.key', steps.key),
      step('joined', 'accept.join', steps.key, el('mark', {}, GUID)),
      step('sha1', 'accept.sha1', steps.sha1.match(/../g).join(' ')),
      step('accept', 'accept.base64', steps.accept),
      step('given', `accept.given.${which}`, given ?? '—'),
    ),
    el('p', { class: 'check', dataset: { check: same ? 'same' : 'different' } }, t(same ? 'accept.same' : 'accept.different')),
  );
}

/** The value of header `name` (lower-case) in a head, or undefined. */
function headerValue(head, name) {
  const line = headText(head).split('\n').find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

/** A head is a raw string (CRLF lines) or {line, headers: [[name, value]] | {name: value}}. */
function headText(head) {
  if (!head) return '';
  if (typeof head === 'string') return head.replace(/\r\n/g, '\n').trimEnd();
  const headers = Array.isArray(head.headers) ? head.headers : Object.entries(head.headers || {});
  return [head.line || head.start_line || '', ...headers.map(([k, v]) => `${k}: ${v}`)].join('\n').trim();
}
