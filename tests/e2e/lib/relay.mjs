// Role: a TCP relay between the page and the server, so a test can restart the server behind one
// address and choose the moment the page reaches the new one. While the relay points nowhere, every
// connection is closed at once, as by a server that is down; bytes pass through untouched otherwise
// (same Host and Origin, so the server sees the page as it would without the relay).
import net from 'node:net';

/** Starts a relay on a free port of 127.0.0.1; `to(url)` points it at a server, `to(null)` cuts it. */
export async function startRelay() {
  let target = null;
  const open = new Set();
  const relay = net.createServer((down) => {
    if (!target) return down.destroy();
    const up = net.connect(target);
    for (const socket of [down, up]) {
      open.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        open.delete(socket);
        // One side gone: end the other too, as a server that dies takes its connections with it.
        (socket === down ? up : down).destroy();
      });
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${relay.address().port}`,
    /** Relay to the server at `url` from now on; null cuts every connection and refuses new ones. */
    to(url) {
      if (url) {
        const { hostname: host, port } = new URL(url);
        target = { host, port: Number(port) };
      } else {
        target = null;
        for (const socket of open) socket.destroy();
      }
    },
    async close() {
      this.to(null);
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}
