// Role: the one idea every transport client shares: a cursor. The server numbers messages 1, 2, 3, …
// with no holes; a client remembers the last id it has seen and asks for `after=<that id>`. Whatever the
// transport, the client keeps messages with id > cursor, in order, exactly once, and reports a gap
// (ids the server could no longer deliver) instead of losing them silently. Ids only mean something
// within one run of the server's feed, its epoch: a restarted server numbers from 1 again. So every
// request also carries `epoch=<E>`, and a server of another epoch answers 409 instead of reading on
// from an id of the old feed (the page would show two feeds mixed, silently).
//
// Also here, what the clients do alike: FeedClient (callbacks, status, pause and resume, and the one
// refusal: a 404 means the transport is switched off, so give up and let a fallback take over) and
// StreamClient, the one recovery path of the two streams (SSE and WebSocket) after a refused or broken
// connection. The ask-and-answer loop of polling and long-polling lives in clients/poll.js.

export class Cursor {
  /**
   * @param {number|undefined} after last id already seen (undefined: start at the head, only new messages)
   * @param {number|undefined} epoch the feed run `after` belongs to (GET /stats, /time and poll answers name it)
   */
  constructor(after, epoch) {
    this.value = after;
    this.epoch = epoch;
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

  /** A poll answer names the feed's epoch: adopt it when we did not know it (we sent none, so it was not checked). */
  inEpoch(epoch) {
    if (this.epoch === undefined && Number.isSafeInteger(epoch)) this.epoch = epoch;
  }

  /**
   * The server restarted (409): start again at the new feed's head, in its epoch. The refusal names both
   * (`head`, and `epoch` when ours was stale); from `head` on, nothing published after the refusal is missed.
   */
  restart(head, epoch) {
    this.value = Number.isSafeInteger(head) ? head : undefined;
    if (Number.isSafeInteger(epoch)) this.epoch = epoch;
  }
}

/** Builds /<route>?after=…&epoch=…&client=…, leaving `after` and `epoch` out while they are not known. */
export function feedUrl(route, cursor, clientId, extra = {}) {
  const u = new URL(route, location.href);
  if (cursor.value !== undefined) u.searchParams.set('after', String(cursor.value));
  if (cursor.epoch !== undefined) u.searchParams.set('epoch', String(cursor.epoch));
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, String(v));
  u.searchParams.set('client', clientId);
  return u;
}

/**
 * Why a request was refused (404 for a disabled transport, 409, 503…), from the server's JSON error body
 * {error, field, head, epoch}: {status, error, field, head, epoch}, error always set.
 */
export async function refusal(res) {
  let body = {};
  try {
    body = (await res.json()) || {};
  } catch {
    /* not JSON: the status says enough */
  }
  const { error, field, head, epoch } = body;
  return { status: res.status, error: error || `HTTP ${res.status}`, field, head, epoch };
}

/**
 * EventSource and WebSocket hide the HTTP status of a refused connection. A plain GET of the same URL
 * tells why: 404 (transport disabled), 409 (the server restarted: our epoch is stale, or our cursor is
 * ahead of its feed), 503 (busy)… Returns refusal()'s answer ({status: 200} when nothing is wrong), or
 * null when the server cannot be reached at all. A stream that does open is aborted at once.
 */
export async function probe(url) {
  const controller = new AbortController();
  try {
    const res = await fetch(url, { signal: controller.signal });
    const why = res.ok ? { status: res.status } : await refusal(res);
    controller.abort();
    return why;
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
  constructor({ clientId, after, epoch, onMessages, onExchange, onStatus, onGap }) {
    this.transport = this.constructor.transport;
    this.clientId = clientId;
    this.cursor = new Cursor(after, epoch);
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

  /**
   * 409: the server restarted and its ids began again. Ours belong to another epoch (the refusal's field
   * "epoch"), or, when we knew no epoch, our cursor is ahead of its feed ("after"). Start again at the new
   * feed's head, and say so (the narration and the pane tell it: messages from here on are the new feed's).
   */
  restartAtHead({ head, epoch }) {
    this.cursor.restart(head, epoch);
    this.on.onExchange?.({ type: 'restart', head: this.cursor.value });
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
   * transport never opened; 409 (the server restarted) starts again at the new feed's head and connects
   * again at once, as the harness does. Otherwise say `status` (with the server's reason, else `detail`) and
   * connect again from the cursor after a backoff.
   */
  async recover(wasOpen, status, detail) {
    const why = wasOpen ? null : await probe(this.url());
    if (!this.running) return;
    this.failures += 1;
    const restarted = why?.status === 409;
    const blocked = !this.everOpened && why && !restarted && this.failures >= this.giveUpAfter;
    if (why?.status === 404 || blocked) {
      this.refuse(why.error || `HTTP ${why.status}`);
      return;
    }
    if (restarted) this.restartAtHead(why);
    this.emitStatus(status, why?.error || detail);
    this.timer = setTimeout(() => this.running && this.connect(), restarted ? 0 : backoffMs(this.failures));
  }
}
