// Makes the app's screenshots in docs/images: the lobby (desktop) and a four-party call at desktop
// (1280×800) and phone (390×844) sizes, in light and dark. Real server on port 0, real Chromium
// with fake cameras. Run with `npx tsx scripts/screenshots.ts` after `npm run build`.
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer } from '../src/server/index.js';
import { CHROMIUM_ARGS } from '../test/helpers/browser.js';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
type Scheme = 'light' | 'dark';

const server = await createServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

async function open(
  b: Browser,
  room: string,
  name: string,
  viewport = { width: 480, height: 360 },
  scheme: Scheme = 'light',
) {
  const context = await b.newContext({ viewport, colorScheme: scheme, reducedMotion: 'reduce' });
  context.setDefaultTimeout(120_000); // a busy machine paints six pages slowly
  context.setDefaultNavigationTimeout(120_000);
  await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
  const page = await context.newPage();
  await page.goto(`${server.url}/?room=${room}`);
  await page.fill('#name-input', name);
  return page;
}

/** The lobby once the preview plays and the devices are listed. */
async function lobby(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const video = document.getElementById('preview') as HTMLVideoElement;
    return video.videoWidth > 0 && !video.paused && document.querySelectorAll('#lobby-mic option').length > 0;
  });
}

/** Joins and waits until every tile decodes video and the quality dots have a first reading. */
async function inCall(page: Page, people: number): Promise<void> {
  await page.click('#join');
  await page.waitForFunction(
    (people) => {
      const videos = [...document.querySelectorAll<HTMLVideoElement>('#grid .tile video')];
      return (
        videos.length === people &&
        videos.every((v) => v.videoWidth > 0 || v.closest('.camera-off')) &&
        // A link that dropped for a moment on a busy machine is not the picture of a call.
        !document.querySelector('#grid .tile.reconnecting') &&
        document.querySelectorAll('#grid .quality:not(.unknown)').length >= people - 1
      );
    },
    people,
    { timeout: 60_000 },
  );
}

for (const scheme of ['light', 'dark'] as const) {
  const room = `standup-${scheme}`;
  const others: Page[] = [];
  for (const name of ['Ben Okafor', 'Chie Sato', 'Dai Kimura']) {
    const page = await open(browser, room, name);
    await lobby(page);
    if (name === 'Chie Sato') await page.click('#preview-mic'); // someone is muted, as in any call
    await page.click('#join');
    await page.waitForFunction(() => window.tsunaguApp.joined);
    others.push(page);
  }

  const desktop = await open(browser, room, 'Aiko Tanaka', DESKTOP, scheme);
  await lobby(desktop);
  await desktop.screenshot({ path: `docs/images/lobby-desktop-${scheme}.png` });
  await inCall(desktop, 4);
  await others[1].click('#chat-toggle');
  await others[1].fill('#chat-input', 'Good morning! Shall we start?');
  await others[1].click('#chat-form button');
  await desktop.waitForFunction(() => document.getElementById('chat-unread')!.textContent === '1');
  await desktop.mouse.move(60, 790); // off the tiles, so no pin button shows from hovering
  await desktop.waitForFunction(() => !document.querySelector('#grid .tile.reconnecting'));
  await desktop.screenshot({ path: `docs/images/call-desktop-${scheme}.png` });

  await desktop.context().close();
  const phone = await open(browser, room, 'Eri', PHONE, scheme);
  await lobby(phone);
  await inCall(phone, 4);
  await phone.mouse.move(10, 10);
  await phone.screenshot({ path: `docs/images/call-phone-${scheme}.png` });

  await Promise.all([...others, phone].map((p) => p.context().close()));
}
await browser.close();
await server.close();
