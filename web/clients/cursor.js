// Role: the one idea every transport client shares: a cursor. The server numbers messages 1, 2, 3, …
// with no holes; a client remembers the last id it has seen and asks for `after=<that id>`. Whatever the
// transport, the client keeps messages with id > cursor, in order, exactly once, and reports a gap
// (ids the server could no longer deliver) instead of losing them silently.
//
// Also here, what the clients do alike: FeedClient (callbacks, status, pause and resume, and the one
// refusal: a 404 means the transport is switched off, so give up and let a fallback take over) and
// StreamClient, the one recovery path of the two streams (SSE and WebSocket) after a refused or broken
// connection. The ask-and-answer loop of polling and long-polling lives in clients/poll.js.

export class Cursor {
  /** @param {number|undefined} after last id already seen (undefined: start at the head, only new messages) */
  constructor(after) {
    this.value = after;
  }

  /** Keep the messages newer than the cursor (drops duplicates after a reconnect) and move the cursor. */
  accept(messages) {
    const fresh = [];
    for (const m of messages) {
      if (this.value === undefined || m.id > this.value) {
        fresh.push(m);
        this.value = m.id;
      }
    }
    return fresh;
  }

  /** After a poll answer: jump to the server's `next` when it is ahead (e.g. the first, empty answer). */
  advanceTo(next) {
    if (typeof next === 'number' && (this.value === undefined || next > this.value)) this.value = next;
  }
}

/** Builds /<route>?after=…&client=…, leaving `after` out when the cursor is not set yet. */
export function feedUrl(route, cursor, clientId, extra = {}) {
  const u = new URL(route, location.href);
  if (cursor.value !== undefined) u.searchParams.set('after', String(cursor.value));
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, String(v));
  u.searchParams.set('client', clientId);
  return u;
}

/** Reads the JSON error body of a refused request (404 for a disabled transport, 409, 503…). */
export async function errorText(res) {
  try {
    const j = await res.json();
    return j.error || `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

/**
 * EventSource and WebSocket hide the HTTP status of a refused connection. A plain GET of the same URL
 * tells why: 404 (transport disabled), 409 (our cursor is ahead: the server restarted), 503 (busy)…
 * Returns {status, error} or null when the server cannot be reached at all. A stream that does open is
 * aborted at once: only the status matters.
 */
export async function probe(url) {
  const controller = new AbortController();
  try {
    const res = await fetch(url, { signal: controller.signal });
    const error = res.ok ? '' : await errorText(res);
    controller.abort();
    return { status: res.status, error };
  } catch {
    return null;
  }
}

/** Backoff after the n-th failure in a row: 1 s, 2 s, 4 s … at most 10 s. */
export function backoffMs(failures) {
  return Math.min(10000, 500 * 2 ** failures);
}

/**
 * The part of a transport client that does not depend on the transport. A subclass declares
 * `static transport` (its name: the server's --disable, /stats and /inspect use the same) and
 * `static route`, and implements run() (start asking or connecting) and hangUp() (stop at once).
 */
export class FeedClient {
  constructor({ clientId, after, onMessages, onExchange, onStatus, onGap }) {
    this.transport = this.constructor.transport;
    this.clientId = clientId;
    this.cursor = new Cursor(after);
    this.on = { onMessages, onExchange, onStatus, onGap };
    this.running = false;
    this.timer = null;
  }

  /** This client's feed URL at its cursor. */
  url(extra) {
    return feedUrl(this.constructor.route, this.cursor, this.clientId, extra);
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.run();
  }

  /** Pause: the cursor is kept, start() resumes from it. */
  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.hangUp();
    this.emitStatus('paused');
  }

  emitStatus(status, detail) {
    this.status = status;
    this.on.onStatus?.(status, detail);
  }

  /** The server refused this transport (404: switched off with --disable): give up, so a fallback can take over. */
  refuse(detail) {
    this.running = false;
    this.on.onExchange?.({ type: 'unavailable' });
    this.emitStatus('unavailable', detail);
  }

  /** 409, our cursor is ahead of the feed: the server restarted and its ids begin again. Start at its head. */
  restartAtHead() {
    this.cursor.value = undefined;
  }
}

/**
 * What the two streams (clients/sse.js, clients/ws.js) share: one long-lived connection, opened by
 * connect() and opened again after it breaks. A subclass implements open(), which creates the EventSource
 * or WebSocket and calls connected(), pushed() and recover() from its events.
 */
export class StreamClient extends FeedClient {
  /** @param giveUpAfter failed connects in a row, never opened, before calling the transport unavailable
   *  even without a 404 (something between us and the server blocks it); the auto client sets it. */
  constructor({ giveUpAfter = Infinity, ...options }) {
    super(options);
    this.giveUpAfter = giveUpAfter;
    this.failures = 0;
    this.everOpened = false;
  }

  run() {
    this.connect();
  }

  connect() {
    this.emitStatus('connecting');
    this.on.onExchange?.({ type: 'ask' });
    this.open();
  }

  /** The connection is open: the server took our cursor. */
  connected() {
    this.everOpened = true;
    this.failures = 0;
    this.emitStatus('open');
    this.on.onExchange?.({ type: 'open' });
  }

  /** One message the server pushed. */
  pushed(message) {
    const fresh = this.cursor.accept([message]);
    for (const m of fresh) this.on.onExchange?.({ type: 'push', id: m.id });
    if (fresh.length) this.on.onMessages?.(fresh);
  }

  /**
   * After a refused or broken connection (`wasOpen`: it had opened, so it was not refused). A refusal is
   * asked about with a plain GET: 404 gives up, and so do `giveUpAfter` failed opens in a row when the
   * transport never opened; 409 starts again at the head. Otherwise say `status` (with the server's reason,
   * else `detail`) and connect again from the cursor after a backoff.
   */
  async recover(wasOpen, status, detail) {
    const why = wasOpen ? null : await probe(this.url());
    if (!this.running) return;
    this.failures += 1;
    const blocked = !this.everOpened && why && this.failures >= this.giveUpAfter;
    if (why?.status === 404 || blocked) {
      this.refuse(why.error || `HTTP ${why.status}`);
      return;
    }
    if (why?.status === 409) this.restartAtHead();
    this.emitStatus(status, why?.error || detail);
    this.timer = setTimeout(() => this.running && this.connect(), backoffMs(this.failures));
  }
}
