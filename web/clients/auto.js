// Role: an "auto" client in the spirit of Socket.IO / SockJS: use the best transport that works here.
//
// Try WebSocket first; if it is unavailable (blocked by a proxy, or switched off with
// `feedlab serve --disable ws`, which answers 404), fall back to Server-Sent Events, then long-poll,
// then plain polling. Every try continues from the same cursor, so no message is lost or repeated
// while switching. (Socket.IO itself starts with polling and upgrades; falling *down* is simpler to watch.)
// Same interface as clients/poll.js; `transport` names the one in use and onFallback(from, to, why) tells.
import { BEST_FIRST } from './transports.js';
import { Cursor } from './cursor.js';

export class AutoClient {
  constructor({ clientId, after, epoch, intervalMs = 1000, onMessages, onExchange, onStatus, onGap, onFallback }) {
    this.clientId = clientId;
    /** Where the first transport starts; each next one starts where the last one stopped. */
    this.startCursor = new Cursor(after, epoch);
    this.intervalMs = intervalMs;
    this.on = { onMessages, onExchange, onStatus, onGap, onFallback };
    this.index = 0;
    this.inner = null;
    this.transport = null;
  }

  get cursor() {
    return this.inner ? this.inner.cursor : this.startCursor;
  }

  start() {
    if (this.inner) return this.inner.start();
    this.use(this.index);
  }

  stop() {
    this.inner?.stop();
  }

  use(index) {
    const Client = BEST_FIRST[index];
    const name = Client.transport;
    this.index = index;
    this.transport = name;
    const { value: after, epoch } = this.cursor;
    const inner = new Client({
      clientId: this.clientId,
      after,
      epoch,
      intervalMs: this.intervalMs,
      // A transport that never opens twice in a row counts as unavailable even without a 404 (a proxy
      // that eats WebSocket upgrades answers something else, or nothing useful).
      giveUpAfter: 2,
      onMessages: (m) => this.on.onMessages?.(m),
      onExchange: (e) => this.on.onExchange?.({ ...e, transport: name }),
      onGap: (g) => this.on.onGap?.(g),
      onStatus: (status, detail) => {
        if (inner !== this.inner) return;
        if (status === 'unavailable' && index + 1 < BEST_FIRST.length) {
          const next = BEST_FIRST[index + 1].transport;
          this.on.onFallback?.(name, next, detail);
          this.use(index + 1);
          return;
        }
        this.on.onStatus?.(status, detail);
      },
    });
    this.inner = inner;
    inner.start();
  }
}
