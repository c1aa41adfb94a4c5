// Role: open the classroom page in a fresh browser context and record everything that should never
// happen: console errors, uncaught exceptions, dialogs (alert() from injected script).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(HERE, '../artifacts');

export async function openPage(browser, url, { width = 1920, height = 1080, locale = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale });
  const page = await context.newPage();
  const problems = { consoleErrors: [], pageErrors: [], dialogs: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.consoleErrors.push(`${msg.text()} @ ${msg.location()?.url ?? ''}`);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(String(err)));
  page.on('dialog', async (dialog) => {
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  return { context, page, problems };
}

/** The number a pane shows for one /stats counter (data-value is the raw number). */
export async function counter(page, pane, name) {
  const v = await page.getAttribute(`[data-pane="${pane}"] [data-counter="${name}"]`, 'data-value');
  return Number(v);
}

/**
 * Waits until each listed pane's counters (fetched from /stats every second) count every message the pane
 * lists: what it shows is settled, e.g. for a screenshot.
 */
export async function waitCountersCaughtUp(page, panes = ['poll', 'longpoll', 'sse', 'ws']) {
  await page.waitForFunction(
    (panes) =>
      panes.every((p) => {
        const shown = document.querySelectorAll(`[data-pane="${p}"] .messages .msg`).length;
        const counted = document.querySelector(`[data-pane="${p}"] [data-counter="messages_delivered"]`).dataset.value;
        return Number(counted) >= shown;
      }),
    panes,
    { timeout: 15_000 },
  );
}

/**
 * The fonts Chromium really drew the text of `selector`'s element with (DevTools' "Rendered Fonts"):
 * [{familyName, isCustomFont, glyphCount}]. A font can be loaded and still not be used.
 */
export async function renderedFonts(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    if (!nodeId) throw new Error(`no element ${selector}`);
    return (await cdp.send('CSS.getPlatformFontsForNode', { nodeId })).fonts;
  } finally {
    await cdp.detach();
  }
}

/** Waits until every listed pane reports itself connected. */
export async function waitConnected(page, panes = ['poll', 'longpoll', 'sse', 'ws']) {
  for (const p of panes) {
    await page.waitForSelector(`[data-pane="${p}"][data-status="open"], [data-pane="${p}"][data-status="waiting"]`, {
      timeout: 15_000,
    });
  }
}

/**
 * Saves a screenshot to artifacts/`name`; with FEEDLAB_UPDATE_SCREENSHOTS=1 also to docs/`docs` when given
 * (the README's pictures).
 */
export async function screenshot(page, name, { docs } = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file });
  if (docs && process.env.FEEDLAB_UPDATE_SCREENSHOTS === '1') fs.copyFileSync(file, path.join(HERE, '../../../docs', docs));
  return file;
}
