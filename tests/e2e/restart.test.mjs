// Role: the page survives a server restart. Every client reconnects by itself, notices that the new
// feed is another one (the server answers 409 to the old epoch every client sends), starts again at the
// new feed's head, and the class keeps chatting without reloading the projector page. Both cases: the new
// feed still below the page's cursor, and already past it (where reading on would mix two feeds).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { launchChromium } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { startRelay } from './lib/relay.mjs';
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

/** Publishes a chat message straight to the server (not through the page); returns its id. */
async function publish(serverUrl, body) {
  const res = await fetch(`${serverUrl}/messages?client=e2e-publisher`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ body, from: 'e2e' }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return JSON.parse(text).id;
}

/** A pane's list in the order things arrived: {note} for a note, {id, body} for a message. */
function arrivals(page, pane) {
  return page.$$eval(`[data-pane="${pane}"] .messages li`, (items) =>
    items.reverse().map((li) =>
      li.classList.contains('note')
        ? { note: li.dataset.note || 'other', text: li.textContent }
        : { id: Number(li.dataset.id), body: li.querySelector('.body').textContent },
    ),
  );
}

describe("server restart after the new feed has passed the page's cursor", () => {
  // The page reaches the server through a relay, cut while the server restarts and the new feed runs
  // past the page's cursor: the page cannot reconnect too early, whatever its backoff timers do.
  let relay, server, browser, page, problems;
  const OLD = 'old feed';
  const AWAY = 'new feed, published while the page was away';
  const BACK = 'new feed, after the page came back';

  before(async () => {
    server = await startServer();
    relay = await startRelay();
    relay.to(server.url);
    browser = await launchChromium();
    ({ page, problems } = await openPage(browser, `${relay.url}/`));
    await waitConnected(page, PANES);
  });

  after(async () => {
    await browser?.close();
    await relay?.close();
    await server?.stop();
  });

  test('every pane starts again at the new feed, says so, and shows no message of the old feed after one of the new', async () => {
    await chatReachesAll(page, `${OLD} 1`);
    await chatReachesAll(page, `${OLD} 2`);

    relay.to(null);
    await server.stop();
    server = await startServer();
    for (let i = 1; i <= 5; i++) await publish(server.url, `${AWAY} ${i}`);
    const { head } = await (await fetch(`${server.url}/stats`)).json();
    assert.ok(head > 2, `the new feed (head ${head}) is past the page's cursor (2)`);

    // The narration says it in both languages: read in one go (switching and back) while the line is shown.
    const told = page.waitForFunction(
      () => {
        const strip = () => document.querySelector('#narration ol').textContent;
        if (!/Server: 409: I restarted\..*Client: then I start again at its head, after #\d+\./.test(strip())) return null;
        document.querySelector('#lang').click();
        const zh = strip();
        document.querySelector('#lang').click();
        return zh;
      },
      null,
      { timeout: 30_000 },
    );
    told.catch(() => {}); // awaited below, unless an assertion fails first
    relay.to(server.url);

    // Every pane is back: it started again at the new feed (its restart note), or read on from its old
    // cursor and shows the new feed's messages as if they followed the old one (what must not happen).
    await page.waitForFunction(
      ({ panes, away }) =>
        panes.every((p) =>
          document.querySelector(`[data-pane="${p}"] .note[data-note="restart"]`) ||
          [...document.querySelectorAll(`[data-pane="${p}"] .msg .body`)].some((b) => b.textContent.startsWith(away)),
        ),
      { panes: PANES, away: AWAY },
      { timeout: 30_000 },
    );
    for (const p of PANES) {
      const away = (await arrivals(page, p)).filter((x) => x.body?.startsWith(AWAY));
      // Reading on from the old cursor shows these as ids 3-5, as if they followed the old feed.
      assert.deepEqual(away, [], `${p} read on from its old cursor into the new feed`);
    }
    assert.match(await (await told).jsonValue(), /服务器: 409：我重启过了。.*客户端: 那我从它的最新位置重新开始，接在 #\d+ 之后。/);

    const backId = await publish(server.url, BACK);
    await page.waitForFunction(
      ({ text, panes }) =>
        panes.every((p) => [...document.querySelectorAll(`[data-pane="${p}"] .msg .body`)].some((b) => b.textContent === text)),
      { text: BACK, panes: PANES },
      { timeout: 30_000 },
    );

    for (const p of PANES) {
      const seen = await arrivals(page, p);
      const feed = seen.map((x) => (x.note ? 'note' : x.body.startsWith(OLD) ? 'old' : 'new'));
      const lastOld = feed.lastIndexOf('old');
      const firstNew = feed.indexOf('new');
      assert.ok(lastOld >= 0 && firstNew > lastOld, `${p}: old feed, then new: ${JSON.stringify(seen)}`);
      assert.ok(feed.slice(lastOld, firstNew).includes('note'), `${p}: the restart note marks the change`);
      assert.deepEqual(seen.filter((x) => x.body?.startsWith(AWAY)), [], `${p} started at the new feed's head`);
      assert.deepEqual(seen.filter((x) => x.body === BACK).map((x) => x.id), [backId], `${p} shows the new message once`);
      assert.match(seen.find((x) => x.note === 'restart').text, new RegExp(`after #${head}\\b`));
    }
    assert.deepEqual(problems.pageErrors, []);
  });
});
