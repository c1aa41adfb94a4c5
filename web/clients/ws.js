// Role: the WebSocket client, the browser side of the server's GET /ws.
//
// One HTTP request asks to "Upgrade: websocket"; the server answers 101 Switching Protocols, and from
// then on the TCP connection carries small frames both ways: one text frame per feed message from the
// server (2-10 bytes of framing instead of hundreds of bytes of HTTP headers), and from us
// {"type":"publish","body":"…"} to post a chat message. We offer the subprotocol `feedlab.v1`.
// Same interface as clients/poll.js, plus publish() and the live `socket` (readyState, bufferedAmount);
// reconnecting and refusals are clients/cursor.js's StreamClient.
import { StreamClient } from './cursor.js';
import { frameHeaderBytes } from '../frame.js';

export const SUBPROTOCOL = 'feedlab.v1';

/** The four values of WebSocket.readyState, as the spec names them. */
export const READY_STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

/** The RFC 6455 header size (frame.js, the page's one copy of the rule), here for what publish() sends. */
export { frameHeaderBytes };

export class WsClient extends StreamClient {
  static transport = 'ws';
  static route = '/ws';

  /** @param onServerError(text) the server refused a frame we sent (e.g. a chat message too long). */
  constructor({ onServerError, ...options }) {
    super(options);
    this.on.onServerError = onServerError;
    this.socket = null;
    /** Bytes of the chat frames we sent, so the pane can leave our uploads out of "bytes per message". */
    this.sentBytes = 0;
  }

  open() {
    const u = this.url();
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(u, SUBPROTOCOL);
    this.socket = socket;
    let open = false;

    socket.onopen = () => {
      open = true;
      this.connected();
    };
    socket.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === 'error') return this.on.onServerError?.(frame.error);
      if (frame.type === 'gap' || frame.gap) return this.on.onGap?.(frame.gap || frame);
      this.pushed(frame);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket || !this.running) return;
      // Never opened: the handshake was refused, and the API does not say why (recover asks with a GET).
      // Dropped (server restart, network, slow-reader close 1013): reconnect from our cursor with backoff.
      this.recover(open, 'reconnecting', `close ${event.code}${event.reason ? ' ' + event.reason : ''}`);
    };
  }

  hangUp() {
    this.socket?.close(1000, 'paused');
  }

  /** Sends a chat message over the open socket; false when the socket is not open. */
  publish(body, from) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    const text = JSON.stringify({ type: 'publish', body, from });
    this.socket.send(text);
    // What this frame costs on the wire: its payload and a masked frame header.
    const payload = new TextEncoder().encode(text).length;
    this.sentBytes += payload + frameHeaderBytes(payload, true);
    this.on.onExchange?.({ type: 'publish' });
    return true;
  }
}
