/** Headless Debian Chromium driven by playwright-core, with a fake camera and microphone. */
import { after, afterEach } from 'node:test';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Options for an end-to-end test: a browser call needs seconds, not the runner's default patience. */
export const E2E = { timeout: 180_000 };

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

/**
 * Launches once per test file (playwright gives it a fresh user-data dir); closed when the file ends,
 * and its pages closed after every test.
 * `denyMedia` makes it a browser whose user clicks "Block" on the camera prompt.
 */
export async function launchBrowser(options: { denyMedia?: boolean } = {}): Promise<Browser> {
  const args = options.denyMedia
    ? [...CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream'), '--deny-permission-prompts']
    : CHROMIUM_ARGS;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args,
  });
  after(() => browser.close());
  // A test that fails half-way leaves no pages behind: still calling, they would slow every test after it.
  afterEach(() => Promise.all(browser.contexts().map((context) => context.close())));
  return browser;
}

/** A context with camera and microphone granted, as a user who clicked "Allow". */
export async function mediaContext(
  browser: Browser,
  origin: string,
  viewport?: { width: number; height: number },
): Promise<BrowserContext> {
  const context = await browser.newContext(viewport ? { viewport } : {});
  await context.grantPermissions(['camera', 'microphone'], { origin });
  return context;
}
