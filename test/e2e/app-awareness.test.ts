/**
 * What the app tells people about each other and the link, in headless Chromium: who is speaking
 * (from the audio itself), who is muted, who joined or left, and that the signaling link is down.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { connectedTo, join } from '../helpers/app.js';
import { E2E, launchBrowser } from '../helpers/browser.js';
import { openLink } from '../helpers/link.js';
import { startServer } from '../helpers/server.js';
import { openAt, previewLive } from '../helpers/ui.js';

const server = await startServer();
const browser = await launchBrowser();

/** Waits until audio packets from `id` arrive at `page` (getStats has no event: sampled). */
async function audioFlowing(page: Page, id: string): Promise<void> {
  await page.evaluate(async (id) => {
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      const pc = window.tsunaguApp.room.participants.get(id)?.pc;
      let packets = 0;
      (await pc?.getStats())?.forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived ?? 0;
      });
      if (packets > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no audio from ${id} within 30 s`);
  }, id);
}

/** From now on, records every tile that is ever marked speaking (by owner) in `window.everSpoke`. */
function recordSpeakers(page: Page): Promise<void> {
  return page.evaluate(() => {
    const seen = new Set<string>();
    (window as unknown as { everSpoke: Set<string> }).everSpoke = seen;
    new MutationObserver(() => {
      for (const tile of document.querySelectorAll<HTMLElement>('#grid .tile.speaking')) seen.add(tile.dataset.owner!);
    }).observe(document.getElementById('grid')!, { subtree: true, attributes: true, attributeFilter: ['class'] });
  });
}

describe('who is speaking, who is muted', () => {
  it(
    "a speaking person's tile is marked within a second of their audio arriving; a muted person's never is",
    E2E,
    async () => {
      // Chromium's fake microphone beeps: as good as a voice for a level meter.
      const speaker = await openAt(browser, server.url, 'speak', 'Aiko');
      const speakerId = await join(speaker);
      await recordSpeakers(speaker);
      const muted = await openAt(browser, server.url, 'speak', 'Ben');
      await previewLive(muted);
      await muted.click('#preview-mic');
      const mutedId = await join(muted);
      await connectedTo(muted, [speakerId]);

      await audioFlowing(muted, speakerId);
      await muted.waitForFunction(
        (id) => document.querySelector(`#grid .tile[data-owner="${id}"]`)?.classList.contains('speaking'),
        speakerId,
        { timeout: 3000 },
      );
      // Our own tile is marked too: the mic works before anyone has to say so.
      await speaker.waitForFunction(() => document.querySelector('#grid .tile[data-owner="self"].speaking'), null, {
        timeout: 3000,
      });

      await speaker.waitForFunction(
        (id) => document.querySelector(`#grid .tile[data-owner="${id}"]`)?.classList.contains('muted'),
        mutedId,
      );
      await audioFlowing(speaker, mutedId);
      const spoke = await speaker.evaluate(() => [...(window as unknown as { everSpoke: Set<string> }).everSpoke]);
      assert.deepEqual(spoke, ['self'], 'only the unmuted speaker was ever marked');
      await Promise.all([speaker.context().close(), muted.context().close()]);
    },
  );
});

describe('comings and goings', () => {
  it('a toast says who joined and who left', E2E, async () => {
    const host = await openAt(browser, server.url, 'toasts', 'Host');
    await join(host);
    const guest = await openAt(browser, server.url, 'toasts', 'Chie');
    await join(guest);
    await host.waitForFunction(() => document.getElementById('toasts')!.textContent!.includes('Chie joined'));
    assert.equal(await guest.locator('#toasts .toast').count(), 0, 'no toast for people already there');
    await guest.click('#leave');
    await host.waitForFunction(() => document.getElementById('toasts')!.textContent!.includes('Chie left'));
    await Promise.all([host.context().close(), guest.context().close()]);
  });

  it('a "reconnecting" banner shows while the signaling link is cut, and goes when it comes back', E2E, async () => {
    const link = await openLink(server.port);
    const page = await openAt(browser, link.url, 'banner', 'Dai');
    const id = await join(page);
    const other = await openAt(browser, server.url, 'banner', 'Eri');
    const otherId = await join(other);
    await connectedTo(page, [otherId]);
    assert.equal(await page.isVisible('#banner'), false);

    link.cut(); // held until released: the page keeps trying, as through a dead Wi-Fi
    await page.waitForSelector('#banner', { state: 'visible' });
    assert.match((await page.textContent('#banner'))!, /Reconnecting/);
    assert.equal(await page.evaluate(() => window.tsunaguApp.room.client.state), 'reconnecting');

    link.release();
    await page.waitForSelector('#banner', { state: 'hidden', timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.tsunaguApp.room.self?.id), id, 'resumed under the same id');
    await connectedTo(page, [otherId]);
    await Promise.all([page.context().close(), other.context().close()]);
  });
});
