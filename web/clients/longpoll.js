// Role: the long-polling client, the browser side of the server's GET /longpoll.
//
// Ask "tell me when there is something after id X", and the server holds the answer until a message
// exists or `timeout_ms` passes. Then ask again at once. Latency is close to push; the cost is one full
// HTTP request/response per answer (per batch of messages when they come fast), plus one per timeout.
// Same interface as clients/poll.js.
import { Cursor, feedUrl, errorText, backoffMs } from './cursor.js';

export const ROUTE = '/longpoll';

/** How long the server may hold a question: under common proxies' 30-60 s idle cut (DESIGN.md 2). */
export const HOLD_MS = 25000;

export class LongPollClient {
  constructor({ clientId, after, holdMs = HOLD_MS, onMessages, onExchange, onStatus, onGap }) {
    this.transport = 'longpoll';
    this.clientId = clientId;
    this.cursor = new Cursor(after);
    this.holdMs = holdMs;
    this.on = { onMessages, onExchange, onStatus, onGap };
    this.running = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.emitStatus('connecting');
    this.loop();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.abort?.abort();
    this.emitStatus('paused');
  }

  async loop() {
    let failures = 0;
    while (this.running) {
      try {
        this.abort = new AbortController();
        this.on.onExchange?.({ type: 'ask' });
        const first = this.cursor.value === undefined;
        // Without a cursor the server answers at once with the head, so the first question is not held.
        const pending = fetch(feedUrl(ROUTE, this.cursor, this.clientId, { timeout_ms: this.holdMs }), {
          signal: this.abort.signal,
        });
        // The question is out; from here the server holds it until there is news or the hold ends.
        this.emitStatus('waiting');
        const res = await pending;
        if (res.status === 404) {
          this.running = false;
          this.on.onExchange?.({ type: 'unavailable' });
          this.emitStatus('unavailable', await errorText(res));
          return;
        }
        if (res.status === 409) {
          this.cursor.value = undefined;
          continue;
        }
        if (!res.ok) throw new Error(await errorText(res));
        const answer = await res.json();
        if (!this.running) return;
        failures = 0;
        if (answer.gap) this.on.onGap?.(answer.gap);
        const fresh = this.cursor.accept(answer.messages);
        this.cursor.advanceTo(answer.next);
        this.on.onExchange?.({ type: fresh.length ? 'answer' : first ? 'head' : 'timeout', n: fresh.length });
        if (fresh.length) this.on.onMessages?.(fresh);
      } catch (err) {
        if (!this.running) return;
        failures += 1;
        this.emitStatus('error', err.message);
        // Back off after a failure so a restarting server is not hammered: 1 s, 2 s, 4 s … up to 10 s.
        await new Promise((resolve) => (this.timer = setTimeout(resolve, backoffMs(failures))));
      }
    }
  }

  emitStatus(status, detail) {
    this.status = status;
    this.on.onStatus?.(status, detail);
  }
}
