// Role: the Server-Sent Events client, the browser side of the server's GET /sse.
//
// One HTTP request whose response never ends: the server writes `id: 42` + `data: {json}` + a blank line
// per message (text/event-stream), and the browser's EventSource turns each into a `message` event. If
// the stream breaks, EventSource reconnects by itself and sends `Last-Event-ID: 42`, so the server
// resumes after the last message we saw. One request head for as long as the stream lives.
// Same interface as clients/poll.js.
import { Cursor, feedUrl, probe, backoffMs } from './cursor.js';

export const ROUTE = '/sse';

export class SseClient {
  /** @param giveUpAfter failed connects in a row, never opened, before calling the transport unavailable
   *  even without a 404 (something between us and the server blocks it); the auto client sets it. */
  constructor({ clientId, after, giveUpAfter = Infinity, onMessages, onExchange, onStatus, onGap }) {
    this.transport = 'sse';
    this.clientId = clientId;
    this.cursor = new Cursor(after);
    this.giveUpAfter = giveUpAfter;
    this.on = { onMessages, onExchange, onStatus, onGap };
    this.running = false;
    this.failures = 0;
    this.everOpened = false;
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
      this.everOpened = true;
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
      // CLOSED: the browser gave up (an HTTP error status, or the wrong content type). Ask why.
      source.close();
      await this.recover(opened);
    };
  }

  /** After a refused or broken stream: give up on a 404, restart at the head on a 409, else retry later. */
  async recover(opened) {
    const why = opened ? null : await probe(feedUrl(ROUTE, this.cursor, this.clientId));
    if (!this.running) return;
    this.failures += 1;
    const blocked = !this.everOpened && why && this.failures >= this.giveUpAfter;
    if (why?.status === 404 || blocked) {
      this.running = false;
      this.on.onExchange?.({ type: 'unavailable' });
      this.emitStatus('unavailable', why.error || `HTTP ${why.status}`);
      return;
    }
    if (why?.status === 409) this.cursor.value = undefined; // the server restarted: its ids begin again
    this.emitStatus('error', why?.error);
    this.timer = setTimeout(() => this.running && this.connect(), backoffMs(this.failures));
  }

  emitStatus(status, detail) {
    this.status = status;
    this.on.onStatus?.(status, detail);
  }
}
