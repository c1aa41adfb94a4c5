// Role: launch the system's headless Chromium (Debian `chromium` package) through playwright-core.
// We never download a browser (`npx playwright install` is not used): the tests drive the same
// /usr/bin/chromium a classroom machine would have, with flags that keep it quiet and offline.
import { chromium } from 'playwright-core';

/** Where the Debian package installs the browser; override with CHROMIUM_BIN. */
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** Flags: headless, no sandbox (containers run as root), no GPU, and no background traffic of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Launch Chromium; the caller closes it. */
export async function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: CHROMIUM_ARGS });
}
