// Role: the ajax polling client, the browser side of the server's GET /poll.
//
// The oldest trick: every N milliseconds ask "anything new after id X?" with a plain fetch(). The server
// answers at once, usually with an empty list when the feed is quiet. Each question costs a full HTTP
// request and response head, and a message waits on average N/2 ms before the next question finds it.
//
// Every client module (poll, longpoll, sse, ws, auto) has the same shape:
//   const c = new PollClient({ clientId, after, intervalMs, onMessages, onExchange, onStatus, onGap });
//   c.start(); c.stop();   // stop = pause: the cursor is kept, start() resumes from it
// onMessages(list): new feed messages, in id order, each exactly once
// onExchange(event): one exchange for the narration strip ({type: 'answer', n} here)
// onStatus(status, detail): 'connecting' | 'open' | 'waiting' | 'paused' | 'error' | 'unavailable'
import { Cursor, feedUrl, errorText, backoffMs } from './cursor.js';

export const ROUTE = '/poll';

export class PollClient {
  constructor({ clientId, after, intervalMs = 1000, onMessages, onExchange, onStatus, onGap }) {
    this.transport = 'poll';
    this.clientId = clientId;
    this.cursor = new Cursor(after);
    this.intervalMs = intervalMs;
    this.on = { onMessages, onExchange, onStatus, onGap };
    this.running = false;
    this.timer = null;
    this.abort = null;
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
    this.wake?.();
    this.abort?.abort();
    this.emitStatus('paused');
  }

  async loop() {
    let failures = 0;
    while (this.running) {
      const started = performance.now();
      let wait = this.intervalMs;
      try {
        this.abort = new AbortController();
        // A plain fetch(), no options: exactly the request head the harness's "browser" profile replays.
        const res = await fetch(feedUrl(ROUTE, this.cursor, this.clientId), { signal: this.abort.signal });
        if (res.status === 404) {
          // A disabled transport answers 404 with a JSON error: give up, so a fallback can take over.
          this.running = false;
          this.emitStatus('unavailable', await errorText(res));
          return;
        }
        if (res.status === 409) {
          // Our cursor is ahead of the feed: the server restarted. Start again at its head.
          this.cursor.value = undefined;
          continue;
        }
        if (!res.ok) throw new Error(await errorText(res));
        const answer = await res.json();
        if (!this.running) return;
        failures = 0;
        this.emitStatus('open');
        if (answer.gap) this.on.onGap?.(answer.gap);
        const fresh = this.cursor.accept(answer.messages);
        this.cursor.advanceTo(answer.next);
        this.on.onExchange?.({ type: 'answer', n: fresh.length });
        if (fresh.length) this.on.onMessages?.(fresh);
      } catch (err) {
        if (!this.running) return;
        failures += 1;
        wait = backoffMs(failures);
        this.emitStatus('error', err.message);
      }
      // Fixed schedule: the next question starts `intervalMs` after this one started.
      const elapsed = performance.now() - started;
      await new Promise((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, Math.max(0, wait - elapsed));
      });
    }
  }

  emitStatus(status, detail) {
    this.status = status;
    this.on.onStatus?.(status, detail);
  }
}
