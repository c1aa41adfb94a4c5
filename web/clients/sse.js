// Role: the Server-Sent Events client, the browser side of the server's GET /sse.
//
// One HTTP request whose response never ends: the server writes `id: 42` + `data: {json}` + a blank line
// per message (text/event-stream), and the browser's EventSource turns each into a `message` event. If
// the stream breaks, EventSource reconnects by itself and sends `Last-Event-ID: 42`, so the server
// resumes after the last message we saw. One request head for as long as the stream lives.
// Same interface as clients/poll.js; reconnecting and refusals are clients/cursor.js's StreamClient.
import { StreamClient } from './cursor.js';

export class SseClient extends StreamClient {
  static transport = 'sse';
  static route = '/sse';

  open() {
    const source = new EventSource(this.url());
    this.source = source;

    source.onopen = () => this.connected();
    source.onmessage = (event) => this.pushed(JSON.parse(event.data));
    // If the server tells us about lost ids it does so with an `event: gap` carrying {from, to}.
    source.addEventListener('gap', (event) => this.on.onGap?.(JSON.parse(event.data)));
    source.onerror = () => {
      if (source !== this.source || !this.running) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The browser is already reconnecting (with Last-Event-ID); just say so.
        this.emitStatus('reconnecting');
        return;
      }
      // CLOSED: the browser gave up, so a connection was refused (an HTTP error status, or the wrong
      // content type), the first one or one of its own reconnects (a restarted server answers those 409:
      // their URL carries the old epoch). Either way, ask why.
      source.close();
      this.recover(false, 'error');
    };
  }

  hangUp() {
    this.source?.close();
    this.source = null;
  }
}
