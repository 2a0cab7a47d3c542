/**
 * TURN for real: a Debian coturn with use-auth-secret, two Chromium pages restricted to relay
 * candidates. With tsunagu's credentials they connect through coturn; with a wrong secret they cannot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { connectedTo, framesFlowing, join } from '../helpers/app.js';
import { E2E, launchBrowser, mediaContext } from '../helpers/browser.js';
import { startCoturn } from '../helpers/coturn.js';
import { startServer } from '../helpers/server.js';

const coturn = await startCoturn('coturn-shared-secret');
const browser = await launchBrowser();

async function relayPage(baseUrl: string, room: string, name: string): Promise<Page> {
  // Small: the app's grid fills the window, and a big window is only more video to paint.
  const page = await (await mediaContext(browser, baseUrl, { width: 480, height: 360 })).newPage();
  await page.goto(`${baseUrl}/?room=${room}&relay`);
  await page.fill('#name-input', name);
  return page;
}

/** The candidate types (host, srflx, relay) of the page's selected pair with `peer`. */
function selectedPair(page: Page, peer: string): Promise<{ local: string; remote: string } | null> {
  return page.evaluate(async (peer) => {
    const stats = await window.tsunaguApp.room.participants.get(peer)!.pc.getStats();
    const all = [...(stats.values() as Iterable<Record<string, unknown> & { type: string; id: string }>)];
    const transport = all.find((s) => s.type === 'transport');
    const pair = all.find((s) => s.id === transport?.selectedCandidatePairId);
    if (!pair) return null;
    // No named helpers in here: the page runs this function's source, without tsx's helpers.
    const local = all.find((s) => s.id === pair.localCandidateId)?.candidateType as string;
    const remote = all.find((s) => s.id === pair.remoteCandidateId)?.candidateType as string;
    return { local, remote };
  }, peer);
}

describe('calls through a real coturn', () => {
  it("with tsunagu's TURN credentials, relay-only pages connect over a relay pair and decode frames", E2E, async () => {
    const server = await startServer({ turnSecret: coturn.secret, turnUrls: coturn.url });
    const [a, b] = [await relayPage(server.url, 'relay', 'A'), await relayPage(server.url, 'relay', 'B')];
    const [idA, idB] = [await join(a), await join(b)];
    await connectedTo(a, [idB]);
    await connectedTo(b, [idA]);
    assert.deepEqual(await selectedPair(a, idB), { local: 'relay', remote: 'relay' });
    await framesFlowing(a, idB);
    await framesFlowing(b, idA);
    await Promise.all([a.context().close(), b.context().close()]);
  });

  it('with a wrong secret, no relay candidate is gathered and the pages cannot connect', E2E, async () => {
    const server = await startServer({ turnSecret: 'not-the-coturn-secret', turnUrls: coturn.url });
    const [a, b] = [await relayPage(server.url, 'norelay', 'A'), await relayPage(server.url, 'norelay', 'B')];
    const [idA, idB] = [await join(a), await join(b)];
    // Gathering ends (coturn answered 401) with nothing to offer: no path can ever be found.
    for (const [page, peer] of [
      [a, idB],
      [b, idA],
    ] as const) {
      await page.waitForFunction(
        (peer) => {
          const pc = window.tsunaguApp.room.participants.get(peer)?.pc;
          return pc !== undefined && pc.localDescription !== null && pc.iceGatheringState === 'complete';
        },
        peer,
        { timeout: 60_000 },
      );
      const candidates = await page.evaluate(async (peer) => {
        const stats = await window.tsunaguApp.room.participants.get(peer)!.pc.getStats();
        return [...(stats.values() as Iterable<{ type: string }>)].filter((s) => s.type === 'local-candidate').length;
      }, peer);
      assert.equal(candidates, 0);
      assert.notEqual(
        await page.evaluate((p) => window.tsunaguApp.room.participants.get(p)!.connectionState, peer),
        'connected',
      );
    }
    await Promise.all([a.context().close(), b.context().close()]);
  });
});
