// Role: the long-polling client, the browser side of the server's GET /longpoll.
//
// Ask "tell me when there is something after id X", and the server holds the answer until a message
// exists or `timeout_ms` passes. Then ask again at once. Latency is close to push; the cost is one full
// HTTP request/response per answer (per batch of messages when they come fast), plus one per timeout.
// Same interface as clients/poll.js, and the same loop: only the question and the rest differ.
import { AskingClient } from './poll.js';

/** How long the server may hold a question: under common proxies' 30-60 s idle cut (DESIGN.md 2). */
export const HOLD_MS = 25000;

export class LongPollClient extends AskingClient {
  static transport = 'longpoll';
  static route = '/longpoll';

  constructor({ holdMs = HOLD_MS, ...options }) {
    super(options);
    this.holdMs = holdMs;
  }

  ask(signal) {
    this.on.onExchange?.({ type: 'ask' });
    // Without a cursor the server answers at once with the head, so the first question is not held.
    const pending = fetch(this.url({ timeout_ms: this.holdMs }), { signal });
    // The question is out; from here the server holds it until there is news or the hold ends.
    this.emitStatus('waiting');
    return pending;
  }

  answered(n, first) {
    this.on.onExchange?.({ type: n ? 'answer' : first ? 'head' : 'timeout', n });
  }

  /** The answer came when there was news (or the hold ended): ask again at once. */
  restMs() {
    return null;
  }
}
