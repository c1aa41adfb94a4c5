// Role: capture the exact request head a current Chromium sends for a same-origin `fetch()` GET,
// and store it as the harness's "browser" header profile (crates/harness/fixtures/chromium-fetch.json).
//
// Why a raw TCP listener and not an HTTP server: an HTTP library parses the head and hands us a header
// map (lower-cased, re-ordered, merged). We want the bytes as they crossed the wire, in wire order, so
// the harness can replay them byte for byte and count what a real browser costs per poll.
//
// Flow: Chromium opens http://127.0.0.1:PORT/, we answer a tiny page whose script runs
// `fetch('/poll?after=0')`; we keep the raw head of that request and answer it with a feed-shaped JSON.
//
// Usage: node capture-fetch-headers.mjs [--out FILE]   (default: crates/harness/fixtures/chromium-fetch.json)
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './lib/browser.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUT = path.resolve(HERE, '../../crates/harness/fixtures/chromium-fetch.json');
const FETCH_PATH = '/poll?after=0';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>capture</title><link rel="icon" href="data:,"></head>
<body><p id="out">fetching</p>
<script type="module">
  const r = await fetch('${FETCH_PATH}');
  document.getElementById('out').textContent = 'done ' + r.status + ' ' + (await r.text()).length;
</script></body></html>`;

/** Answer one parsed request on a keep-alive socket. */
function respond(socket, status, type, body) {
  const buf = Buffer.from(body, 'utf8');
  socket.write(
    `HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${buf.length}\r\n` +
      `Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n`,
  );
  socket.write(buf);
}

/** Split a raw head (without the final blank line) into [name, value] pairs in wire order. */
export function parseHead(head) {
  const lines = head.split('\r\n');
  const requestLine = lines.shift();
  const headers = lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+/, '')];
  });
  return { requestLine, headers };
}

/** Start the raw listener, drive Chromium to it, return the fixture object (does not write it). */
export async function captureFetchHeaders() {
  let resolveCaptured;
  const captured = new Promise((r) => (resolveCaptured = r));
  const sockets = new Set();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      // GET requests carry no body, so each head ends at the blank line; there may be several per socket.
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) break;
        const raw = pending.subarray(0, end + 4).toString('latin1');
        pending = pending.subarray(end + 4);
        const target = raw.split(' ', 2)[1];
        if (target === '/') respond(socket, '200 OK', 'text/html; charset=utf-8', PAGE);
        else if (target === FETCH_PATH) {
          respond(socket, '200 OK', 'application/json', '{"messages":[],"next":0,"gap":null}');
          resolveCaptured(raw);
        } else respond(socket, '404 Not Found', 'text/plain', 'not found');
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const raw = await Promise.race([
      captured,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no fetch request within 15 s')), 15000).unref()),
    ]);
    await page.waitForFunction(() => document.getElementById('out').textContent.startsWith('done'));
    const { headers } = parseHead(raw.slice(0, -4));
    return {
      chromium_version: browser.version(),
      captured: new Date().toISOString().slice(0, 10),
      request: raw,
      headers,
    };
  } finally {
    await browser.close();
    for (const s of sockets) s.destroy();
    server.close();
  }
}

/** Pretty JSON with one header pair per line, so a diff of a re-capture reads header by header. */
export function formatFixture(f) {
  const pairs = f.headers.map((h) => '    ' + JSON.stringify(h)).join(',\n');
  return (
    '{\n' +
    `  "chromium_version": ${JSON.stringify(f.chromium_version)},\n` +
    `  "captured": ${JSON.stringify(f.captured)},\n` +
    `  "request": ${JSON.stringify(f.request)},\n` +
    `  "headers": [\n${pairs}\n  ]\n}\n`
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? path.resolve(process.argv[i + 1]) : DEFAULT_OUT;
  const fixture = await captureFetchHeaders();
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, formatFixture(fixture));
  console.log(`wrote ${out} (${Buffer.byteLength(fixture.request, 'latin1')} bytes of request head, Chromium ${fixture.chromium_version})`);
}
