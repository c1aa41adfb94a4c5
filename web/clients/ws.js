// Role: the WebSocket client, the browser side of the server's GET /ws.
//
// One HTTP request asks to "Upgrade: websocket"; the server answers 101 Switching Protocols, and from
// then on the TCP connection carries small frames both ways: one text frame per feed message from the
// server (2-10 bytes of framing instead of hundreds of bytes of HTTP headers), and from us
// {"type":"publish","body":"…"} to post a chat message. We offer the subprotocol `feedlab.v1`.
// Same interface as clients/poll.js, plus publish() and the live `socket` (readyState, bufferedAmount).
import { Cursor, feedUrl, probe, backoffMs } from './cursor.js';

export const ROUTE = '/ws';
export const SUBPROTOCOL = 'feedlab.v1';

/** The four values of WebSocket.readyState, as the spec names them. */
export const READY_STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

export class WsClient {
  /** @param giveUpAfter see clients/sse.js: failed opens in a row before calling WebSocket unavailable. */
  constructor({ clientId, after, giveUpAfter = Infinity, onMessages, onExchange, onStatus, onGap, onServerError }) {
    this.transport = 'ws';
    this.clientId = clientId;
    this.cursor = new Cursor(after);
    this.giveUpAfter = giveUpAfter;
    this.everOpened = false;
    this.on = { onMessages, onExchange, onStatus, onGap, onServerError };
    this.running = false;
    this.failures = 0;
    this.socket = null;
    /** Bytes of the chat frames we sent, so the pane can leave our uploads out of "bytes per message". */
    this.sentBytes = 0;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    this.socket?.close(1000, 'paused');
    this.emitStatus('paused');
  }

  connect() {
    this.emitStatus('connecting');
    this.on.onExchange?.({ type: 'ask' });
    const u = feedUrl(ROUTE, this.cursor, this.clientId);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(u, SUBPROTOCOL);
    this.socket = socket;
    let opened = false;

    socket.onopen = () => {
      opened = true;
      this.everOpened = true;
      this.failures = 0;
      this.emitStatus('open');
      this.on.onExchange?.({ type: 'open' });
    };
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === 'error') return this.on.onServerError?.(frame.error);
      if (frame.type === 'gap' || frame.gap) return this.on.onGap?.(frame.gap || frame);
      const fresh = this.cursor.accept([frame]);
      for (const m of fresh) this.on.onExchange?.({ type: 'push', id: m.id });
      if (fresh.length) this.on.onMessages?.(fresh);
    };
    socket.onclose = async (event) => {
      if (socket !== this.socket || !this.running) return;
      // Never opened: the handshake was refused, and the API does not say why, so ask with a plain GET.
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
      // Dropped (server restart, network, slow-reader close 1013): reconnect from our cursor with backoff.
      this.emitStatus('reconnecting', why?.error || `close ${event.code}${event.reason ? ' ' + event.reason : ''}`);
      this.timer = setTimeout(() => this.running && this.connect(), backoffMs(this.failures));
    };
  }

  /** Sends a chat message over the open socket; false when the socket is not open. */
  publish(body, from) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    const text = JSON.stringify({ type: 'publish', body, from });
    this.socket.send(text);
    // What this frame costs on the wire: payload + frame header (2, 4 or 10 bytes of length + 4 of mask).
    const payload = new TextEncoder().encode(text).length;
    this.sentBytes += payload + 2 + (payload < 126 ? 0 : payload < 65536 ? 2 : 8) + 4;
    this.on.onExchange?.({ type: 'publish' });
    return true;
  }

  emitStatus(status, detail) {
    this.status = status;
    this.on.onStatus?.(status, detail);
  }
}
