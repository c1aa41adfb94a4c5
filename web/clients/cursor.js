// Role: the one idea every transport client shares: a cursor. The server numbers messages 1, 2, 3, …
// with no holes; a client remembers the last id it has seen and asks for `after=<that id>`. Whatever the
// transport, the client keeps messages with id > cursor, in order, exactly once, and reports a gap
// (ids the server could no longer deliver) instead of losing them silently.

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
