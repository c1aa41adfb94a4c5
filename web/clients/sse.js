// Role: the Server-Sent Events client, the browser side of the server's GET /sse.
//
// One HTTP request whose response never ends: the server writes `id: 42` + `data: {json}` + a blank line
// per message (text/event-stream), and the browser's EventSource turns each into a `message` event. If
// the stream breaks, EventSource reconnects by itself and sends `Last-Event-ID: 42`, so the server
// resumes after the last message we saw. One request head for as long as the stream lives.
// Same interface as clients/poll.js.
import { Cursor, feedUrl, errorText } from './cursor.js';

export const ROUTE = '/sse';

export class SseClient {
  constructor({ clientId, after, onMessages, onExchange, onStatus, onGap }) {
    this.transport = 'sse';
    this.clientId = clientId;
    this.cursor = new Cursor(after);
    this.on = { onMessages, onExchange, onStatus, onGap };
    this.running = false;
    this.failures = 0;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
    this.emitStatus('paused');
  }

  connect() {
    this.emitStatus('connecting');
    this.on.onExchange?.({ type: 'ask' });
    const source = new EventSource(feedUrl(ROUTE, this.cursor, this.clientId));
    this.source = source;
    let opened = false;

    source.onopen = () => {
      opened = true;
      this.failures = 0;
      this.emitStatus('open');
      this.on.onExchange?.({ type: 'open' });
    };
    source.onmessage = (event) => {
      const message = JSON.parse(event.data);
      const fresh = this.cursor.accept([message]);
      for (const m of fresh) this.on.onExchange?.({ type: 'push', id: m.id });
      if (fresh.length) this.on.onMessages?.(fresh);
    };
    // If the server tells us about lost ids it does so with an `event: gap` carrying {from, to}.
    source.addEventListener('gap', (event) => this.on.onGap?.(JSON.parse(event.data)));
    source.onerror = async () => {
      if (source !== this.source || !this.running) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The browser is already reconnecting (with Last-Event-ID); just say so.
        this.emitStatus('reconnecting');
        return;
      }
      // CLOSED: the browser gave up (an HTTP error status, or the wrong content type).
      source.close();
      if (!opened && (await this.probeUnavailable())) return;
      this.failures += 1;
      this.emitStatus('error');
      this.timer = setTimeout(() => this.running && this.connect(), Math.min(10000, 500 * 2 ** this.failures));
    };
  }

  /** EventSource hides the status code; a plain GET tells a 404 (transport disabled) from other failures. */
  async probeUnavailable() {
    try {
      const controller = new AbortController();
      const res = await fetch(feedUrl(ROUTE, this.cursor, this.clientId), { signal: controller.signal });
      controller.abort(); // only the status matters; do not keep a stream open
      if (res.status !== 404) return false;
      this.running = false;
      this.on.onExchange?.({ type: 'unavailable' });
      this.emitStatus('unavailable', await errorText(res).catch(() => 'HTTP 404'));
      return true;
    } catch {
      return false;
    }
  }

  emitStatus(status, detail) {
    this.status = status;
    this.on.onStatus?.(status, detail);
  }
}
