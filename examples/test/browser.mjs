// What the browser tests share: Debian's Chromium, launched off the network, and the demo page's
// status line to click against.
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium: root in CI needs --no-sandbox; the rest keeps it off the (closed) network. */
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * The demo in `page`: the page errors it collects, a wait for `#status` to start with a text, and
 * a click on a button followed by that wait.
 */
export function demo(page) {
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const status = () => page.locator('#status').textContent();
  const waitForStatus = (expected, when) => page.waitForFunction(
    (text) => document.getElementById('status').textContent.startsWith(text),
    expected,
    { timeout: 10_000 },
  ).catch(async () => assert.fail(`${when}: expected "${expected}", got "${await status()}"`));
  const click = async (button, expected) => {
    await page.click(button);
    await waitForStatus(expected, `after ${button}`);
  };
  return { pageErrors, waitForStatus, click };
}
