/**
 * The video-call app for keyboard and screen-reader users, in headless Chromium: axe-core finds
 * nothing serious in the lobby or a call (light and dark), every control is reached with Tab, and
 * the shortcuts do what the help dialog says.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from '../helpers/app.js';
import { E2E, launchBrowser } from '../helpers/browser.js';
import { startServer } from '../helpers/server.js';
import { DESKTOP, openAt, previewLive, seriousViolations, tilesSettled } from '../helpers/ui.js';

const server = await startServer();
const browser = await launchBrowser();

describe('accessibility (axe-core)', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`no serious or critical violation in the lobby and in a call, ${colorScheme}`, E2E, async () => {
      const room = `axe-${colorScheme}`;
      const other = await openAt(browser, server.url, room, 'Kai', { colorScheme });
      await join(other);
      const page = await openAt(browser, server.url, room, 'Mio', { viewport: DESKTOP, colorScheme });
      await previewLive(page);
      assert.deepEqual(await seriousViolations(page), [], 'lobby');

      await join(page);
      await tilesSettled(page, 2);
      assert.deepEqual(await seriousViolations(page), [], 'call');
      await page.click('#chat-toggle');
      await page.click('#settings-open');
      assert.deepEqual(await seriousViolations(page), [], 'call with chat and the devices dialog open');
      await Promise.all([page.context().close(), other.context().close()]);
    });
  }
});

describe('the keyboard', () => {
  it('Tab reaches every control; M, V, C and ? do what the help dialog lists', E2E, async () => {
    const page = await openAt(browser, server.url, 'keys', 'Nao', { viewport: DESKTOP });
    await join(page);
    await tilesSettled(page, 1);

    // Tab from the top of the page until focus comes round again, noting every control passed.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        // A visible focus ring: the outline :focus-visible draws.
        return getComputedStyle(el).outlineStyle !== 'none' ? el.id || el.className : `no ring on ${el.id}`;
      });
      reached.add(id);
    }
    for (const id of ['mic', 'camera', 'screen', 'chat-toggle', 'fullscreen', 'settings-open', 'leave'])
      assert.ok(reached.has(id), `Tab reaches #${id} with a focus ring (reached: ${[...reached].join(', ')})`);

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('m');
    assert.equal(await page.getAttribute('#mic', 'aria-pressed'), 'true');
    assert.equal(await page.evaluate(() => window.tsunaguApp.localStream!.getAudioTracks()[0].enabled), false);
    await page.keyboard.press('v');
    assert.equal(await page.getAttribute('#camera', 'aria-pressed'), 'true');
    await page.keyboard.press('c');
    assert.equal(await page.isVisible('#chat'), true);
    // Typing in the chat is typing, not shortcuts.
    await page.keyboard.type('mv');
    assert.equal(await page.getAttribute('#mic', 'aria-pressed'), 'true');
    assert.equal(await page.inputValue('#chat-input'), 'mv');
    await page.keyboard.press('Escape');
    assert.equal(await page.isVisible('#chat'), false);

    await page.keyboard.press('?');
    assert.equal(await page.isVisible('#help'), true);
    const listed = await page.locator('#shortcut-list kbd').allTextContents();
    for (const key of ['M', 'V', 'S', 'C', 'F', 'P', '?', 'Esc']) assert.ok(listed.includes(key), `${key} is listed`);
    await page.keyboard.press('Escape');
    assert.equal(await page.isVisible('#help'), false);
    await page.context().close();
  });
});
