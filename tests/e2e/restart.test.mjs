// Role: the page survives a server restart. Every client reconnects by itself, notices that the new
// feed's ids start again at 1 (the server answers 409 to a cursor ahead of its head), starts again at the
// head, and the class keeps chatting without reloading the projector page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { launchChromium } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { openPage, waitConnected } from './lib/page.mjs';

const PANES = ['poll', 'longpoll', 'sse', 'ws', 'auto'];

/** A port that was free a moment ago (the restarted server must come back on the same address). */
async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function chatReachesAll(page, text) {
  await page.fill('#message', text);
  await page.click('#chat button[type=submit]');
  await page.waitForFunction(
    ({ text, panes }) =>
      panes.every((p) => [...document.querySelectorAll(`[data-pane="${p}"] .msg .body`)].some((b) => b.textContent === text)),
    { text, panes: PANES },
    { timeout: 30_000 },
  );
}

describe('server restart under an open page', () => {
  let server, browser, page, problems, addr;

  before(async () => {
    addr = `127.0.0.1:${await freePort()}`;
    server = await startServer([], { addr });
    browser = await launchChromium();
    ({ page, problems } = await openPage(browser, `${server.url}/`));
    await waitConnected(page);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('every pane reconnects and keeps receiving after the server restarts', async () => {
    await chatReachesAll(page, 'before the restart');
    await server.stop();
    server = await startServer([], { addr });
    await waitConnected(page);
    await page.waitForSelector('[data-ws="readyState"][data-value="1"]', { timeout: 30_000 });
    await chatReachesAll(page, 'after the restart');
    const id = await page.getAttribute('[data-pane="ws"] .msg:first-child', 'data-id');
    assert.equal(id, '1', 'the new feed starts at id 1, and the page accepted it');
    assert.deepEqual(problems.pageErrors, []);
  });
});
