/**
 * The video-call app as people see it, in headless Chromium: a live preview before joining whose
 * choices carry into the call, a grid that fills the screen, pinning, and a control bar that stays
 * on screen on a phone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { join } from '../helpers/app.js';
import { connect, joined } from '../helpers/clients.js';
import { E2E, launchBrowser } from '../helpers/browser.js';
import { startServer } from '../helpers/server.js';
import { coverage, DESKTOP, inViewport, openAt, PHONE, previewLive, tileBoxes, tilesSettled } from '../helpers/ui.js';

const server = await startServer();
const browser = await launchBrowser();

const area = (b: { width: number; height: number }) => b.width * b.height;

/**
 * Adds people to `room` until the first page's grid shows `count`: pages in Chromium (cameras on)
 * until there are `inChromium`, then people who join by the protocol alone (a socket.io client: a
 * tile with their initials, no video). The grid lays out a person the same either way; six cameras
 * encoded five times each would only starve a small test machine.
 */
async function fillTo(pages: Page[], room: string, count: number, inChromium = 3): Promise<void> {
  let people = await pages[0].locator('#grid .tile').count();
  while (people < count) {
    if (pages.length < inChromium) {
      const page = await openAt(browser, server.url, room, `Guest ${people + 1}`);
      await join(page);
      pages.push(page);
    } else {
      await joined(await connect(server.url), room, `Guest ${people + 1}`);
    }
    people++;
  }
  await tilesSettled(pages[0], count);
}

describe('the lobby', () => {
  it(
    'shows the camera live before Join, lists the devices, and the call starts with the mic as set there',
    E2E,
    async () => {
      const page = await openAt(browser, server.url, 'lobby', 'Aiko', { viewport: DESKTOP });
      await previewLive(page);
      assert.ok((await page.locator('#lobby-camera option').count()) >= 1, 'a camera to choose');
      assert.ok((await page.locator('#lobby-mic option').count()) >= 1, 'a microphone to choose');

      await page.click('#preview-mic');
      assert.equal(await page.getAttribute('#preview-mic', 'aria-pressed'), 'true');
      await join(page);
      assert.equal(await page.evaluate(() => window.tsunaguApp.localStream!.getAudioTracks()[0].enabled), false);
      assert.equal(await page.getAttribute('#mic', 'aria-pressed'), 'true');
      assert.equal(await page.isVisible('#grid .tile[data-owner="self"].muted .mic-off'), true);
      await page.context().close();
    },
  );
});

describe('the call fills the screen', () => {
  it(
    'with 2, 3 and 6 people at 1280×800, the tiles cover at least 60 % of the screen and never overlap',
    { timeout: 300_000 },
    async (t) => {
      const viewer = await openAt(browser, server.url, 'grid', 'Viewer', { viewport: DESKTOP });
      const pages = [viewer];
      try {
        await join(viewer);
        for (const people of [2, 3, 6]) {
          await fillTo(pages, 'grid', people);
          const { share, overlap } = await coverage(viewer);
          t.diagnostic(`${people} people: tiles cover ${(share * 100).toFixed(1)} % of 1280×800`);
          assert.ok(share >= 0.6, `${people} people: ${(share * 100).toFixed(1)} % covered`);
          assert.equal(overlap, 0, `${people} people: tiles overlap`);
        }
        // Whole faces: the video is fitted inside its tile, never cropped to fill it.
        const fits = await viewer.$$eval('#grid .tile video', (videos) =>
          videos.map((v) => getComputedStyle(v).objectFit),
        );
        assert.deepEqual(new Set(fits), new Set(['contain']));
      } finally {
        await Promise.all(pages.map((p) => p.context().close()));
      }
    },
  );

  it('pinning one person shows them large and the rest in a strip; Esc brings the grid back', E2E, async () => {
    const viewer = await openAt(browser, server.url, 'pin', 'Viewer', { viewport: DESKTOP });
    const pages = [viewer];
    try {
      await join(viewer);
      await fillTo(pages, 'pin', 3, 1); // pinning is layout: the others need no camera
      const before = await tileBoxes(viewer);
      const target = before.find((b) => b.owner !== 'self')!;
      await viewer.hover(`#grid .tile[data-key="${target.key}"]`);
      await viewer.click(`#grid .tile[data-key="${target.key}"] .pin`);
      await tilesSettled(viewer, 3);
      const pinned = await tileBoxes(viewer);
      const big = pinned.find((b) => b.key === target.key)!;
      assert.ok(area(big) > 2 * area(target), 'the pinned tile grows');
      for (const other of pinned.filter((b) => b.key !== target.key))
        assert.ok(area(big) > 8 * area(other), `the pinned tile dwarfs ${other.key}`);
      assert.equal((await coverage(viewer)).overlap, 0);
      assert.equal(await viewer.getAttribute(`#grid .tile[data-key="${target.key}"] .pin`, 'aria-pressed'), 'true');

      await viewer.keyboard.press('Escape');
      await tilesSettled(viewer, 3);
      const after = await tileBoxes(viewer);
      assert.deepEqual(
        after.map((b) => Math.round(area(b))),
        before.map((b) => Math.round(area(b))),
        'back to the grid',
      );

      // From the keyboard: Tab to a tile's pin button, Enter pins; P unpins.
      await viewer.focus(`#grid .tile[data-key="${target.key}"] .pin`);
      await viewer.keyboard.press('Enter');
      await viewer.waitForFunction(
        (key) => document.querySelector(`#grid .tile[data-key="${key}"]`)!.classList.contains('pinned'),
        target.key,
      );
      await viewer.keyboard.press('p');
      await viewer.waitForFunction(() => !document.querySelector('#grid .tile.pinned'));
    } finally {
      await Promise.all(pages.map((p) => p.context().close()));
    }
  });
});

describe('on a phone (390×844)', () => {
  it('the control bar is on screen without scrolling, and chat opens as a sheet above it', E2E, async () => {
    const other = await openAt(browser, server.url, 'phone', 'Desk');
    await join(other);
    const phone = await openAt(browser, server.url, 'phone', 'Phone', { viewport: PHONE });
    await previewLive(phone);
    assert.equal(await inViewport(phone, '#join'), true, 'Join is on screen in the lobby');
    await join(phone);
    await tilesSettled(phone, 2);

    assert.equal(await inViewport(phone, 'nav.controls'), true);
    for (const id of ['mic', 'camera', 'screen', 'chat-toggle', 'fullscreen', 'settings-open', 'leave'])
      assert.equal(await inViewport(phone, `#${id}`), true, `#${id} on screen`);
    const scrolls = await phone.evaluate(() => document.scrollingElement!.scrollHeight > innerHeight);
    assert.equal(scrolls, false, 'nothing to scroll to');
    const { overlap } = await coverage(phone);
    assert.equal(overlap, 0);

    await phone.click('#chat-toggle');
    assert.equal(await inViewport(phone, '#chat'), true);
    assert.equal(await inViewport(phone, '#chat-input'), true);
    assert.equal(await inViewport(phone, '#leave'), true, 'the controls stay visible under the sheet');
    await Promise.all([other.context().close(), phone.context().close()]);
  });
});
