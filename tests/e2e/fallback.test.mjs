// Role: the "auto" client's fallback, end to end: with `feedlab serve --disable ws` the server answers
// /ws with 404 and a JSON error, and the auto pane must settle on Server-Sent Events, say so in the
// narration, and keep delivering; chat still works (POST /messages instead of the WebSocket).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { openPage, waitConnected, waitCountersCaughtUp, screenshot } from './lib/page.mjs';

describe('auto client with WebSocket disabled on the server', () => {
  let server, browser, page, problems;

  before(async () => {
    server = await startServer(['--disable', 'ws']);
    browser = await launchChromium();
    ({ page, problems } = await openPage(browser, `${server.url}/`));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the server really refuses /ws with 404 and a JSON error', async () => {
    const res = await fetch(`${server.url}/ws`);
    assert.equal(res.status, 404);
    assert.match((await res.json()).error, /disabled/);
  });

  test('the WebSocket pane says the transport is disabled', async () => {
    await page.waitForSelector('[data-pane="ws"][data-status="disabled"]');
  });

  test('the auto client falls back from WebSocket to Server-Sent Events', async () => {
    await page.waitForSelector('[data-auto="transport"][data-value="sse"]', { timeout: 15_000 });
    await page.waitForSelector('[data-pane="auto"][data-status="open"]', { timeout: 15_000 });
    assert.match(await page.textContent('#narration'), /WebSocket is unavailable, falling back to SSE/);
  });

  test('chat still reaches every working pane (sent with POST /messages)', async () => {
    await waitConnected(page, ['poll', 'longpoll', 'sse']);
    const text = `no websocket today ${Date.now()}`;
    await page.fill('#message', text);
    await page.click('#chat button[type=submit]');
    await page.waitForFunction(
      (text) =>
        ['poll', 'longpoll', 'sse', 'auto'].every((p) =>
          [...document.querySelectorAll(`[data-pane="${p}"] .msg .body`)].some((b) => b.textContent === text),
        ),
      text,
      { timeout: 15_000 },
    );
    await waitCountersCaughtUp(page, ['poll', 'longpoll', 'sse']);
    await screenshot(page, 'fallback-1920x1080.png');
  });

  test('the only console errors are the expected refusals of /ws', () => {
    assert.deepEqual(problems.pageErrors, []);
    // Chromium logs the failed handshake of the auto client's first try, and the 404 of the status probe.
    const unexpected = problems.consoleErrors.filter((e) => !/\/ws\?/.test(e) || !/404/.test(e));
    assert.deepEqual(unexpected, []);
    assert.ok(problems.consoleErrors.length <= 2, problems.consoleErrors.join('\n'));
  });
});
