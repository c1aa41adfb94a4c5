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
import { FeedClient, refusal, backoffMs } from './cursor.js';

/**
 * The loop polling and long-polling share (clients/longpoll.js): ask, read the answer, keep the new
 * messages, rest, ask again. A 404 gives up, a 409 (the server restarted) starts again at the new feed's
 * head at once, any other failure backs off. A subclass says how to ask (ask), how the answer is told
 * (answered) and how long to rest after an answer (restMs: null asks again at once).
 */
export class AskingClient extends FeedClient {
  /** Polling keeps a fixed schedule: a rest counts from when the question started, not from its answer. */
  static fixedSchedule = false;

  async run() {
    this.emitStatus('connecting');
    let failures = 0;
    while (this.running) {
      const started = performance.now();
      let rest;
      try {
        this.abort = new AbortController();
        const first = this.cursor.value === undefined;
        const res = await this.ask(this.abort.signal);
        if (!res.ok) {
          const why = await refusal(res);
          if (why.status === 404) {
            this.refuse(why.error);
            return;
          }
          if (why.status === 409) {
            this.restartAtHead(why);
            continue;
          }
          throw new Error(why.error);
        }
        const answer = await res.json();
        if (!this.running) return;
        failures = 0;
        this.cursor.inEpoch(answer.epoch);
        if (answer.gap) this.on.onGap?.(answer.gap);
        const fresh = this.cursor.accept(answer.messages);
        this.cursor.advanceTo(answer.next);
        this.answered(fresh.length, first);
        if (fresh.length) this.on.onMessages?.(fresh);
        rest = this.restMs();
      } catch (err) {
        if (!this.running) return;
        failures += 1;
        // Back off after a failure so a restarting server is not hammered: 1 s, 2 s, 4 s … up to 10 s.
        rest = backoffMs(failures);
        this.emitStatus('error', err.message);
      }
      if (rest === null) continue;
      const elapsed = this.constructor.fixedSchedule ? performance.now() - started : 0;
      await new Promise((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, Math.max(0, rest - elapsed));
      });
    }
  }

  hangUp() {
    this.wake?.();
    this.abort?.abort();
  }
}

export class PollClient extends AskingClient {
  static transport = 'poll';
  static route = '/poll';
  static fixedSchedule = true;

  constructor({ intervalMs = 1000, ...options }) {
    super(options);
    this.intervalMs = intervalMs;
  }

  ask(signal) {
    // A plain fetch(), no options: exactly the request head the harness's "browser" profile replays.
    return fetch(this.url(), { signal });
  }

  answered(n) {
    this.emitStatus('open');
    this.on.onExchange?.({ type: 'answer', n });
  }

  /** The next question starts `intervalMs` after this one started. */
  restMs() {
    return this.intervalMs;
  }
}
