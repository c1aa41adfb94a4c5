// Role: the classroom page, end to end, in real headless Chromium against the real `feedlab serve`
// (quiet feed: --ticker 0/s). Each test is one promise the page makes to a teacher (issue 5).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { startServer, serverCounter, until, FEEDLAB_BIN, REPO } from './lib/server.mjs';
import { openPage, waitConnected, waitCountersCaughtUp, renderedFonts, screenshot } from './lib/page.mjs';

const PANES = ['poll', 'longpoll', 'sse', 'ws'];
const XSS = '<img src=x onerror=alert(1)>';
/** RFC 6455's GUID, which the server appends to the key (written out here, not imported from the page). */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Type a chat line in the page's chat box and send it (it goes over the WebSocket). */
async function sendChat(page, text) {
  await page.fill('#message', text);
  await page.click('#chat button[type=submit]');
}

/** Waits until every pane lists a message whose body is exactly `text`; returns the bodies found. */
async function waitInAllPanes(page, text, panes = PANES) {
  await page.waitForFunction(
    ({ text, panes }) =>
      panes.every((p) =>
        [...document.querySelectorAll(`[data-pane="${p}"] .messages .msg .body`)].some((b) => b.textContent === text),
      ),
    { text, panes },
    { timeout: 15_000 },
  );
}

describe('classroom page (real server, quiet feed)', () => {
  let server, browser, page, problems;

  /** Sets the ticker with the page's control and waits until the server runs at that rate. */
  async function setTicker(perS) {
    await page.fill('#ticker', String(perS));
    await page.dispatchEvent('#ticker', 'change');
    await page.waitForFunction(async (perS) => (await (await fetch('/settings')).json()).ticker_per_s === perS, perS);
  }

  before(async () => {
    server = await startServer();
    browser = await launchChromium();
    ({ page, problems } = await openPage(browser, `${server.url}/`));
    await waitConnected(page);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a chat message posted in the page appears in all four panes (and the auto pane)', async () => {
    const text = `hello class ${Date.now()}`;
    await sendChat(page, text);
    await waitInAllPanes(page, text, [...PANES, 'auto']);
    assert.equal(await page.inputValue('#message'), '', 'the chat box is cleared after sending');
    // Every pane shows a latency for it, measured against the server clock.
    for (const p of PANES) {
      const lat = await page.textContent(`[data-pane="${p}"] .messages .msg:first-child .lat`);
      assert.match(lat, /^-?\d+(\.\d)? ms$/, `${p} latency "${lat}"`);
    }
  });

  test('while the feed is quiet, polling piles up empty answers and the WebSocket sends no new requests', async () => {
    // The server's own counts, so nothing lags: the window is however long polling takes to ask twice in vain.
    const ids = Object.fromEntries(
      await Promise.all(PANES.map(async (p) => [p, await page.getAttribute(`[data-pane="${p}"]`, 'data-client')])),
    );
    const now = async () => ({
      pollEmpty: await serverCounter(server.url, ids.poll, 'poll', 'empty_responses'),
      wsRequests: await serverCounter(server.url, ids.ws, 'ws', 'requests'),
      sseRequests: await serverCounter(server.url, ids.sse, 'sse', 'requests'),
    });
    const before = await now();
    const later = await until(async () => {
      const n = await now();
      return n.pollEmpty >= before.pollEmpty + 2 && n;
    }, 'two more empty poll answers');
    assert.equal(later.wsRequests, before.wsRequests, 'the WebSocket made no new request');
    assert.equal(later.wsRequests, 1, 'one request: the upgrade handshake');
    assert.equal(later.sseRequests, before.sseRequests, 'the event stream made no new request');
    // The panes show the same: the WebSocket's one request.
    await page.waitForSelector('[data-pane="ws"] [data-counter="requests"][data-value="1"]');
    // The narration tells the empty polls as the classic dialogue.
    const narration = await page.textContent('#narration');
    assert.match(narration, /Client: anything new\?/);
    assert.match(narration, /Server: no\./);
  });

  test('a message that looks like HTML renders as text and runs nothing', async () => {
    await sendChat(page, XSS);
    await waitInAllPanes(page, XSS);
    const injected = await page.evaluate(() => document.querySelectorAll('.messages img, #narration img').length);
    // No element, so no onerror to fire later: nothing to wait for (the last test checks dialogs again).
    assert.equal(injected, 0, 'no <img> element was created from the message');
    assert.deepEqual(problems.dialogs, [], 'no alert() ran');
  });

  test('the ticker control changes the server ticker rate through POST /settings', async () => {
    await setTicker(4);
    await page.waitForSelector('[data-pane="ws"] .msg.kind-tick', { timeout: 5000 });
    const settings = await (await fetch(`${server.url}/settings`)).json();
    assert.equal(settings.ticker_per_s, 4);
    await setTicker(0);
  });

  test('the WebSocket pane shows readyState and bufferedAmount', async () => {
    assert.equal(await page.getAttribute('[data-ws="readyState"]', 'data-value'), '1');
    assert.match(await page.textContent('[data-ws="readyState"]'), /^1 OPEN$/);
    assert.match(await page.textContent('[data-ws="bufferedAmount"]'), /^\d+ B$/);
  });

  test('the protocol inspector shows the real WebSocket handshake as the server saw it', async () => {
    await page.click('[data-tab="inspector"]');
    const wsClient = await page.getAttribute('[data-pane="ws"]', 'data-client');
    await page.selectOption('#tab-inspector select', wsClient);
    const request = await page.waitForSelector('.exchange[data-channel="ws"] .head-request', { timeout: 5000 });
    assert.match(await request.textContent(), /^GET \/ws\?/);
    assert.match(await request.textContent(), /upgrade: websocket/i);
    assert.match(await request.textContent(), /sec-websocket-key: /i);
    const response = await page.textContent('.exchange[data-channel="ws"] .head-response');
    assert.match(response, /^HTTP\/1\.1 101/);
    assert.match(response, /sec-websocket-accept: /i);
    await page.click('[data-tab="live"]');
  });

  test("the inspector works the accept key through: the documents' key gives their value, this connection's the server's", async () => {
    const sha1 = (text) => crypto.createHash('sha1').update(text).digest();
    const steps = (section) =>
      page.$$eval(`${section} [data-step]`, (items) => Object.fromEntries(items.map((li) => [li.dataset.step, li.querySelector('code').textContent])));
    await page.click('[data-tab="inspector"]');
    await page.selectOption('#tab-inspector select', await page.getAttribute('[data-pane="ws"]', 'data-client'));

    const example = '.accept[data-accept="example"]';
    await page.waitForSelector(`${example} [data-step="accept"]`);
    const documents = await steps(example);
    assert.equal(documents.key, 'dGhlIHNhbXBsZSBub25jZQ==');
    assert.equal(documents.joined, `dGhlIHNhbXBsZSBub25jZQ==${GUID}`);
    assert.equal(documents.sha1, sha1(documents.joined).toString('hex').match(/../g).join(' '));
    assert.equal(documents.accept, 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', "the documents' accept value, computed in the page");
    assert.equal(await page.getAttribute(`${example} .check`, 'data-check'), 'same');

    const own = '.exchange[data-channel="ws"] .accept[data-accept="connection"]';
    await page.waitForSelector(`${own} [data-step="accept"]`);
    const connection = await steps(own);
    const request = await page.textContent('.exchange[data-channel="ws"] .head-request');
    const response = await page.textContent('.exchange[data-channel="ws"] .head-response');
    assert.equal(connection.key, /^sec-websocket-key: (.+)$/im.exec(request)[1], "the key this page's WebSocket sent");
    const header = /^sec-websocket-accept: (.+)$/im.exec(response)[1];
    assert.equal(connection.accept, sha1(connection.key + GUID).toString('base64'));
    assert.equal(connection.accept, header, "the page's own computation equals the server's Sec-WebSocket-Accept");
    assert.equal(connection.given, header);
    assert.equal(await page.getAttribute(`${own} .check`, 'data-check'), 'same');

    await page.click('#lang');
    await page.waitForFunction(() => /文档给出的值/.test(document.querySelector('.accept[data-accept="example"]')?.textContent));
    assert.match(await page.textContent(own), /服务器实际发送的值.*握手校验通过/);
    await screenshot(page, 'inspector-zh-1920x1080.png', { docs: 'screenshot-inspector-zh.png' });
    await page.click('#lang');
    await page.waitForFunction(() => /what the documents give/.test(document.querySelector('.accept[data-accept="example"]')?.textContent));
    await page.click('[data-tab="live"]');
  });

  test('screenshots at 1920x1080 and 390x844', async () => {
    for (const line of ['Polling asks again and again.', 'Long-poll waits for news.', 'SSE and WebSocket get pushed.']) {
      await sendChat(page, line);
      await waitInAllPanes(page, line);
    }
    await waitCountersCaughtUp(page);
    await screenshot(page, 'classroom-1920x1080.png', { docs: 'screenshot.png' });
    // On the projector the whole live view fits on one screen: nothing to scroll to from the back row.
    const extra = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
    assert.ok(extra <= 0, `the live view is ${extra}px taller than 1080`);

    const phone = await openPage(browser, `${server.url}/`, { width: 390, height: 844 });
    await waitConnected(phone.page);
    await sendChat(phone.page, 'hello from a phone');
    await waitInAllPanes(phone.page, 'hello from a phone');
    await waitCountersCaughtUp(phone.page);
    await screenshot(phone.page, 'classroom-390x844.png', { docs: 'screenshot-phone.png' });
    // The page must not scroll sideways on a phone.
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `horizontal overflow of ${overflow}px at 390 px`);
    assert.deepEqual([...phone.problems.consoleErrors, ...phone.problems.pageErrors], []);
    await phone.context.close();
  });

  test('the language toggle switches the narration between English and 中文', async () => {
    await page.waitForFunction(() => /Client:/.test(document.querySelector('#narration').textContent));
    await page.click('#lang');
    await page.waitForFunction(() => /客户端|服务器/.test(document.querySelector('#narration').textContent));
    assert.doesNotMatch(await page.textContent('#narration ol'), /Client:|Server:/);
    assert.equal(await page.textContent('[data-pane="poll"] h2'), 'Ajax 轮询');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    // The next exchange is told in Chinese too (the strip is rebuilt on every exchange).
    await page.$eval('#narration li', (li) => (li.dataset.seen = 'true'));
    await page.waitForSelector('#narration li:first-child:not([data-seen])');
    await waitCountersCaughtUp(page);
    // Drawn with the page's own CJK font (Debian's Chromium has none: without it, boxes), from the binary.
    const font = await page.evaluate(async () => {
      await document.fonts.ready;
      const face = [...document.fonts].find((f) => f.family.replace(/"/g, '') === 'Feedlab CJK');
      return { status: face?.status, check: document.fonts.check('16px "Feedlab CJK"', '客户端：有新消息吗？') };
    });
    assert.deepEqual(font, { status: 'loaded', check: true }, 'the CJK font is loaded');
    // And used: the Chinese of a bold heading is drawn with it (glyphs from no other font: no boxes).
    const cjk = (fonts) => fonts.filter((f) => f.familyName === 'Noto Sans CJK SC' && f.isCustomFont);
    const heading = await renderedFonts(page, '[data-pane="poll"] h2');
    assert.equal(cjk(heading)[0]?.glyphCount, 2, `轮询 of "Ajax 轮询": ${JSON.stringify(heading)}`);
    const served = await fetch(`${server.url}/fonts/noto-sans-sc-subset.woff2`);
    assert.equal(served.headers.get('content-type'), 'font/woff2');
    await screenshot(page, 'classroom-zh-1920x1080.png', { docs: 'screenshot-zh.png' });
    await page.click('#lang');
    await page.waitForFunction(() => /Client:|Server:/.test(document.querySelector('#narration').textContent));
    // The English page's one Chinese word, the bold language button, is drawn with it too.
    const button = await renderedFonts(page, '#lang');
    assert.equal(cjk(button)[0]?.glyphCount, 2, `中文: ${JSON.stringify(button)}`);
  });

  test('pause stops a pane asking, resume continues from its cursor, reset zeroes the counters', async () => {
    const pollId = await page.getAttribute('[data-pane="poll"]', 'data-client');
    const newestId = (pane) =>
      page.$$eval(`[data-pane="${pane}"] .messages .msg`, (items) => (items.length ? Number(items[0].dataset.id) : 0));
    const wsReached = (id) =>
      page.waitForFunction((id) => Number(document.querySelector('[data-pane="ws"] .messages .msg')?.dataset.id) >= id, id, {
        timeout: 10_000,
      });
    await page.click('[data-pane="poll"] .pause');
    await page.waitForSelector('[data-pane="poll"][data-status="paused"]');
    const pausedAt = await newestId('poll');
    // The ticker is the clock: at 4/s, 8 messages reach the WebSocket pane in about 2 s, two poll intervals.
    await setTicker(4);
    await wsReached(pausedAt + 1); // (by now no poll request of before the pause can still be arriving)
    const paused = await serverCounter(server.url, pollId, 'poll', 'requests');
    await wsReached(pausedAt + 9);
    assert.equal(await serverCounter(server.url, pollId, 'poll', 'requests'), paused, 'no requests while paused');
    assert.equal(await newestId('poll'), pausedAt, 'no messages while paused');
    await setTicker(0);
    const { head } = await (await fetch(`${server.url}/stats`)).json();
    await page.click('[data-pane="poll"] .pause');
    // Caught up from its cursor: every message it missed, once each, in order.
    await page.waitForFunction((head) => Number(document.querySelector('[data-pane="poll"] .messages .msg').dataset.id) >= head, head);
    const ids = await page.$$eval('[data-pane="poll"] .messages .msg', (items) => items.map((li) => Number(li.dataset.id)));
    const missed = ids.slice(0, ids[0] - pausedAt);
    assert.deepEqual(missed, Array.from({ length: ids[0] - pausedAt }, (_, i) => ids[0] - i), 'every missed id once, newest first');
    await page.click('#reset');
    await page.waitForFunction(() => Number(document.querySelector('[data-pane="poll"] [data-counter="requests"]').dataset.value) <= 2);
  });

  test('the language defaults to the browser language (a zh-CN browser gets 中文)', async () => {
    const zh = await openPage(browser, `${server.url}/`, { locale: 'zh-CN' });
    assert.equal(await zh.page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal(await zh.page.textContent('[data-pane="longpoll"] h2'), '长轮询');
    await zh.page.waitForFunction(() => /客户端|服务器/.test(document.querySelector('#narration').textContent));
    assert.deepEqual([...zh.problems.consoleErrors, ...zh.problems.pageErrors], []);
    await zh.context.close();
  });

  test('the charts tab says to run `feedlab run` first when there are no results', async () => {
    const before = problems.consoleErrors.length;
    await page.click('[data-tab="charts"]');
    const note = await page.waitForSelector('.charts-output [data-state="missing"]', { timeout: 5000 });
    assert.match(await note.textContent(), /feedlab run/);
    // The 404 of /results/index.json is how the page learns there are no results; the browser logs it.
    const extra = problems.consoleErrors.splice(before);
    assert.ok(extra.every((e) => /404/.test(e)), extra.join('\n'));
    await page.click('[data-tab="live"]');
  });

  test('the charts tab shows the charts and verdicts of results/index.json', async () => {
    // A tiny results directory in the shape `feedlab report` writes (crates/report/src/render/index.rs).
    fs.mkdirSync(path.join(server.resultsDir, 'header-overhead'), { recursive: true });
    fs.writeFileSync(
      path.join(server.resultsDir, 'header-overhead/bytes.svg'),
      '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"><rect width="400" height="200" fill="#eee"/>' +
        '<rect x="20" y="40" width="300" height="40" fill="#c2410c"/><rect x="20" y="120" width="12" height="40" fill="#1d4ed8"/></svg>',
    );
    const index = {
      generator: 'feedlab report',
      experiments: [
        {
          experiment: 'header-overhead', title: 'Header overhead', quick: true,
          data: 'header-overhead/data.json', csv: 'header-overhead/data.csv',
          charts: [{ name: 'bytes', title: 'Bytes per message', svg: 'header-overhead/bytes.svg', png: 'header-overhead/bytes.png' }],
          verdicts: [{
            claim: 'Polling costs ~871 B per poll', source: 'Kaazing', outcome: 'supported', evidence: '868 B',
            paragraph: '**Polling costs ~871 B per poll** (Kaazing): supported, we measured `868 B`. <b>not bold</b>',
          }],
          notes: [],
        },
      ],
    };
    fs.writeFileSync(path.join(server.resultsDir, 'index.json'), JSON.stringify(index));
    await page.click('[data-tab="charts"]');
    const img = await page.waitForSelector('.chart[data-chart="bytes"] img');
    await page.waitForFunction((i) => i.complete && i.naturalWidth > 0, img);
    const verdict = await page.textContent('.verdict[data-outcome="supported"]');
    assert.match(verdict, /supported/);
    assert.match(verdict, /<b>not bold<\/b>/, 'Markdown/HTML in a paragraph is shown as text');
    assert.equal(await page.locator('.verdict b').count(), 0);
    assert.equal(await page.textContent('.verdict code'), '868 B');
    await screenshot(page, 'charts-1920x1080.png');
    await page.click('[data-tab="live"]');
  });

  test('in 中文 the charts tab shows the Chinese report: its charts, titles and verdicts, with the same numbers', async () => {
    // The committed measurements, rendered by the real `feedlab report` into the server's results directory.
    for (const name of fs.readdirSync(path.join(REPO, 'results'))) {
      const data = path.join(REPO, 'results', name, 'data.json');
      if (!fs.existsSync(data)) continue;
      fs.mkdirSync(path.join(server.resultsDir, name), { recursive: true });
      fs.copyFileSync(data, path.join(server.resultsDir, name, 'data.json'));
    }
    const report = spawnSync(FEEDLAB_BIN, ['report', '--out', server.resultsDir], { encoding: 'utf8' });
    assert.equal(report.status, 0, report.stderr);
    const zhIndex = JSON.parse(fs.readFileSync(path.join(server.resultsDir, 'index.zh.json'), 'utf8'));
    const rtt = zhIndex.experiments.find((x) => x.experiment === 'rtt');

    const chart = '.experiment[data-experiment="rtt"] .chart[data-chart="latency"]';
    const paragraphs = () => page.$$eval('.experiment[data-experiment="rtt"] .verdict p', (ps) => ps.map((p) => p.textContent));
    const numbers = (texts) => texts.map((t) => (t.match(/\d[\d.,]*/g) || []).map((n) => n.replace(/[.,]$/, '')).sort());
    await page.click('[data-tab="charts"]');
    await page.waitForSelector(`${chart} img[src="/results/rtt/latency.svg"]`);
    const english = await paragraphs();
    assert.match(english[0], /^Claim \(/);

    await page.click('#lang');
    const img = await page.waitForSelector(`${chart} img[src="/results/rtt/latency.zh.png"]`);
    // The first experiment's charts, at the top of the tab: the picture of the Chinese report in docs/.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.experiment[data-experiment="header-overhead"] img')].every(
        (i) => /\.zh\.png$/.test(i.src) && i.complete && i.naturalWidth > 0,
      ),
    );
    await screenshot(page, 'charts-zh-1920x1080.png', { docs: 'screenshot-charts-zh.png' });
    // PNGs, drawn by the report with its own Chinese font, so no machine font is needed.
    await img.scrollIntoViewIfNeeded();
    await page.waitForFunction((i) => i.complete && i.naturalWidth === 1000, img);
    assert.equal(await page.textContent(`${chart} figcaption`), rtt.charts[0].title);
    assert.match(rtt.charts[0].title, /送达延迟/);
    assert.equal(await page.textContent('.experiment[data-experiment="rtt"] h3'), rtt.title);
    const chinese = await paragraphs();
    assert.equal(chinese.length, english.length);
    assert.match(chinese[0], /^论断（/);
    // The page's word for the outcome (web/i18n.js) is the report's (crates/report/texts.toml).
    const outcome = await page.textContent('.experiment[data-experiment="rtt"] .verdict .outcome');
    assert.equal(chinese[0].match(/结论：(\S+)。$/)?.[1], outcome);
    assert.deepEqual(numbers(chinese), numbers(english), 'one measurement, two wordings');
    const full = await page.getAttribute('#tab-charts .charts-output > p:last-child a', 'href');
    assert.equal(full, '/results/index.zh.html');
    assert.equal((await fetch(`${server.url}${full}`)).status, 200);

    await page.click('#lang');
    await page.waitForSelector(`${chart} img[src="/results/rtt/latency.svg"]`);
    await page.click('[data-tab="live"]');
  });

  test('no console errors, no uncaught exceptions, no dialogs', () => {
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.consoleErrors, []);
    assert.deepEqual(problems.dialogs, []);
  });
});
