// Role: the four transports, listed once. Each client module declares its own name and route
// (static transport, static route: the server's names, used by --disable, /stats and /inspect); this
// list says which transports the page has and in which order, and the rest derives from it: the panes
// and the counters they sum (app.js), the auto client's fallback order, the inspector's order.
// Their labels are i18n.js's `name.*`, `short.*` and `api.*`, their colours style.css's `--<name>`.
import { PollClient } from './poll.js';
import { LongPollClient } from './longpoll.js';
import { SseClient } from './sse.js';
import { WsClient } from './ws.js';

/** The page's order, left to right: the oldest trick first. */
export const TRANSPORTS = [PollClient, LongPollClient, SseClient, WsClient];

/** Their names, in the page's order. */
export const NAMES = TRANSPORTS.map((Client) => Client.transport);

/** Best first, the order the auto client tries them in: the newest is also the cheapest on the wire. */
export const BEST_FIRST = [...TRANSPORTS].reverse();

/** The client class of the transport called `name`. */
export function clientOf(name) {
  const Client = TRANSPORTS.find((C) => C.transport === name);
  if (!Client) throw new Error(`unknown transport ${name}`);
  return Client;
}
