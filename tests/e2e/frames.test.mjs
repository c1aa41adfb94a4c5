// Role: issue 15's frame anatomy and keep-alive switch, end to end in real headless Chromium against the
// real `feedlab serve` (quiet feed). The inspector's decoded frames are checked against bytes nobody on the
// page produced: the frame a raw socket of the test's own receives (every client gets the same pre-built
// bytes), GET /inspect, and a masked frame unmasked here by hand. The keep-alive switch is checked
// against the server's own connection count.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { launchChromium } from './lib/browser.mjs';
import { startServer, serverCounter, until } from './lib/server.mjs';
import { openPage, waitConnected, screenshot } from './lib/page.mjs';

/**
 * A WebSocket client on a plain TCP socket, to see the server's frames as bytes (the browser API hides
 * them). nextFrame() resolves with the next whole frame; the server's frames are never masked.
 */
async function rawWebSocket(serverUrl) {
  const { hostname, port } = new URL(serverUrl);
  const socket = net.connect(Number(port), hostname);
  let buf = Buffer.alloc(0);
  let wake = null;
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  const more = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('nothing more from /ws within 10 s')), 10_000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  while (buf.indexOf('\r\n\r\n') < 0) await more();
  const headEnd = buf.indexOf('\r\n\r\n') + 4;
  assert.match(buf.subarray(0, headEnd).toString(), /^HTTP\/1\.1 101 /);
  buf = buf.subarray(headEnd);
  return {
    async nextFrame() {
      for (;;) {
        if (buf.length >= 2) {
          // RFC 6455 5.2, read here by hand rather than with the page's decoder under test.
          const len7 = buf[1] & 0x7f;
          const header = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
          if (buf.length >= header) {
            const length = len7 === 126 ? buf.readUInt16BE(2) : len7 === 127 ? Number(buf.readBigUInt64BE(2)) : len7;
            if (buf.length >= header + length) {
              const frame = buf.subarray(0, header + length);
              buf = buf.subarray(header + length);
              return frame;
            }
          }
        }
        await more();
      }
    },
    close: () => socket.destroy(),
  };
}

async function publish(serverUrl, body) {
  const res = await fetch(`${serverUrl}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ body, from: 'teacher' }),
  });
  assert.equal(res.status, 201, await res.text());
}

async function inspectFrames(serverUrl, clientId) {
  const res = await fetch(`${serverUrl}/inspect?client=${clientId}`);
  return (await res.json()).transports.ws.frames;
}

/** What the inspector shows for one part of one frame: data-value of its row. */
async function part(page, way, name) {
  return page.getAttribute(`[data-frame="${way}"] [data-part="${name}"] dd`, 'data-value');
}

/** Opens the inspector on the page's WebSocket client and waits until the frame `way` is `hex`. */
async function inspectorShows(page, way, hex) {
  await page.click('#tab-inspector .refresh');
  await page.waitForSelector(`[data-frame="${way}"][data-hex="${hex}"]`, { timeout: 5000 });
}

describe('WebSocket frames in the inspector, and the keep-alive switch (real server, quiet feed)', () => {
  let server, browser, page, problems, wsClient;

  before(async () => {
    server = await startServer();
    browser = await launchChromium();
    ({ page, problems } = await openPage(browser, `${server.url}/`));
    await waitConnected(page);
    wsClient = await page.getAttribute('[data-pane="ws"]', 'data-client');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a server-to-client frame decoded in the inspector is byte for byte the frame a socket of our own got', async () => {
    const raw = await rawWebSocket(server.url);
    const body = `frames under a magnifier ${Date.now()}`;
    await publish(server.url, body);
    const frame = await raw.nextFrame();
    raw.close();
    const hex = frame.toString('hex');
    await page.waitForFunction(
      (body) => [...document.querySelectorAll('[data-pane="ws"] .msg .body')].some((b) => b.textContent === body),
      body,
    );
    assert.equal((await inspectFrames(server.url, wsClient)).sent, hex, 'GET /inspect reports the same bytes');

    await page.click('[data-tab="inspector"]');
    await page.selectOption('#tab-inspector select', wsClient);
    await inspectorShows(page, 'sent', hex);
    const payload = frame.subarray(2).toString();
    assert.equal(JSON.parse(payload).body, body);
    assert.equal(await page.getAttribute('[data-frame="sent"]', 'data-header'), '2', 'a short message: a 2-byte header');
    assert.deepEqual(
      await Promise.all(['fin', 'rsv', 'opcode', 'mask', 'len', 'key', 'payload'].map((p) => part(page, 'sent', p))),
      ['1', '0 0 0', '0x1', '0', String(frame.length - 2), '—', payload],
    );
    // The first two bytes bit by bit, each bit coloured by its part: FIN, RSV1-3, opcode; MASK, length.
    const parts = await page.$$eval('[data-frame="sent"] .wire .byte:nth-child(-n+2) .bits i', (bits) =>
      bits.map((b) => [b.className, b.textContent, getComputedStyle(b).color]),
    );
    const bits = [...frame.subarray(0, 2)].map((b) => b.toString(2).padStart(8, '0')).join('');
    assert.equal(parts.map(([, bit]) => bit).join(''), bits);
    const owners = ['fin', 'rsv', 'rsv', 'rsv', 'opcode', 'opcode', 'opcode', 'opcode', 'mask', ...Array(7).fill('len')];
    assert.deepEqual(parts.map(([cls]) => cls), owners.map((p) => `p-${p}`));
    const colours = new Map(parts.map(([cls, , colour]) => [cls, colour]));
    assert.equal(new Set(colours.values()).size, 5, `five parts, five colours: ${[...colours]}`);
  });

  test('the page’s chat frame, as the server received it: MASK=1, a 4-byte key, a 6-byte header', async () => {
    await page.click('[data-tab="live"]');
    const body = `masked by the browser ${Date.now()}`;
    const from = await page.inputValue('#from');
    await page.fill('#message', body);
    await page.click('#chat button[type=submit]');
    await page.waitForFunction(
      (body) => [...document.querySelectorAll('[data-pane="ws"] .msg .body')].some((b) => b.textContent === body),
      body,
    );
    const frames = await inspectFrames(server.url, wsClient);
    const received = Buffer.from(frames.received, 'hex');
    // Unmasked here by hand: byte i of the payload XOR byte i % 4 of the key.
    assert.equal(received[1] & 0x80, 0x80, 'MASK bit set');
    const key = received.subarray(2, 6);
    const payload = Buffer.from(received.subarray(6).map((b, i) => b ^ key[i % 4])).toString();
    assert.deepEqual(JSON.parse(payload), { type: 'publish', body, from });

    await page.click('[data-tab="inspector"]');
    await inspectorShows(page, 'received', frames.received);
    assert.equal(await page.getAttribute('[data-frame="received"]', 'data-header'), '6');
    assert.equal(await part(page, 'received', 'mask'), '1');
    assert.equal(await part(page, 'received', 'key'), [...key].map((b) => b.toString(16).padStart(2, '0')).join(' '));
    assert.equal(await part(page, 'received', 'payload'), payload, 'shown unmasked');
    assert.equal(await part(page, 'received', 'len'), String(received.length - 6));
    // The message came back through the feed: the frame sent is now it, unmasked, 2 header bytes.
    await inspectorShows(page, 'sent', (await inspectFrames(server.url, wsClient)).sent);
    assert.equal(await part(page, 'sent', 'mask'), '0');
    assert.equal(JSON.parse(await part(page, 'sent', 'payload')).body, body);
  });

  test('a message over 125 bytes: its length in 7+16 bits', async () => {
    const body = 'long '.repeat(40);
    await publish(server.url, body);
    await until(async () => (await inspectFrames(server.url, wsClient)).sent?.startsWith('817e'), 'a 16-bit length');
    await page.click('#tab-inspector .refresh');
    await page.waitForSelector('[data-frame="sent"][data-header="4"]');
    const hex = await page.getAttribute('[data-frame="sent"]', 'data-hex');
    assert.equal(await part(page, 'sent', 'len'), String(parseInt(hex.slice(4, 8), 16)));
    assert.match(await page.textContent('[data-frame="sent"] [data-part="len"] dt'), /23 bits/);
    assert.match(await page.textContent('[data-frame="sent"] [data-part="len"] dd'), /7 bits say 126, 16 bits follow/);
    // The two frames side by side, for the picture: a short message again.
    await publish(server.url, 'Hello, class!');
    await until(async () => (await inspectFrames(server.url, wsClient)).sent?.startsWith('81'), 'the short one');
    await page.click('#tab-inspector .refresh');
    await page.waitForSelector('[data-frame="sent"][data-header="2"]');
  });

  test('screenshots of the frames, in English and in 中文', async () => {
    const columns = await page.$$eval('.frames > .frame', (figures) => figures.map((f) => Math.round(f.getBoundingClientRect().top)));
    assert.equal(columns.length, 2);
    assert.equal(columns[0], columns[1], 'side by side');
    await page.locator('.anatomy').scrollIntoViewIfNeeded();
    await screenshot(page, 'inspector-frames-1920x1080.png', { docs: 'screenshot-frames.png' });
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('[data-frame="sent"] figcaption b')?.textContent === '服务器 → 客户端');
    assert.equal(await page.textContent('[data-frame="received"] [data-part="key"] dt small'), '32 位');
    await page.locator('.anatomy').scrollIntoViewIfNeeded();
    await screenshot(page, 'inspector-frames-zh-1920x1080.png', { docs: 'screenshot-frames-zh.png' });
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('[data-frame="sent"] figcaption b')?.textContent === 'Server → client');
    await page.click('[data-tab="live"]');
  });

  test('keep-alive off: every poll opens one TCP connection; on: the polls share one', async () => {
    const pollClient = await page.getAttribute('[data-pane="poll"]', 'data-client');
    const count = async () => ({
      requests: await serverCounter(server.url, pollClient, 'poll', 'requests'),
      connections: await serverCounter(server.url, pollClient, 'poll', 'connections'),
    });
    await page.selectOption('#interval', '250');
    // Keep-alive (the default): the polls so far took one connection, and more polls take no other.
    assert.equal(await page.isChecked('[data-keepalive="switch"]'), true);
    await page.waitForTimeout(600);
    const kept = await count();
    await page.waitForTimeout(1500);
    const keptLater = await count();
    assert.ok(keptLater.requests >= kept.requests + 3, `polling went on: ${JSON.stringify([kept, keptLater])}`);
    assert.equal(keptLater.connections, kept.connections, 'no new connection with keep-alive');
    assert.equal(kept.connections, 1, 'one connection for all the polls');

    await page.uncheck('[data-keepalive="switch"]');
    // The first poll with close=1 still rides the kept connection; from the next one on, one each.
    await page.waitForTimeout(700);
    const before = await count();
    await page.waitForTimeout(2000);
    await page.click('[data-pane="poll"] .pause');
    await page.waitForSelector('[data-pane="poll"][data-status="paused"]');
    await page.waitForTimeout(300);
    const later = await count();
    const polls = later.requests - before.requests;
    assert.ok(polls >= 4, `${polls} polls`);
    assert.equal(later.connections - before.connections, polls, `one connection per poll: ${JSON.stringify([before, later])}`);
    // The pane shows the server's count.
    await page.waitForFunction(
      (n) => document.querySelector('[data-keepalive="connections"]')?.dataset.value === String(n),
      later.connections,
    );
    await page.click('[data-pane="poll"] .pause');
    await page.check('[data-keepalive="switch"]');
    await page.selectOption('#interval', '1000');
    // The polls go without credentials (their own connections), and their head is still a plain fetch's:
    // the same lines, the request line aside, as the harness's "browser" profile replays (the server rebuilds
    // heads from a hash map: their order is not the wire's).
    await page.evaluate(() => fetch('/poll?client=plain-fetch').then((res) => res.text()));
    const heads = await Promise.all(
      [pollClient, 'plain-fetch'].map(async (id) => (await (await fetch(`${server.url}/inspect?client=${id}`)).json()).transports.poll.request),
    );
    const lines = (head) => head.split('\r\n').slice(1).sort();
    assert.deepEqual(lines(heads[0]), lines(heads[1]));
  });

  test('no console errors or uncaught exceptions', () => {
    assert.deepEqual([...problems.consoleErrors, ...problems.pageErrors, ...problems.dialogs], []);
  });
});
