/**
 * The 1:1 call page in real headless Chromium: two pages in one room make a call through tsunagu,
 * media flows (frames are decoded), Hang up clears the other side, and Connect works again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { E2E, launchBrowser, mediaContext } from '../helpers/browser.js';
import { watchCsp } from '../helpers/csp.js';
import { startServer } from '../helpers/server.js';

const server = await startServer();
const browser = await launchBrowser();

/** What each page's Content-Security-Policy refused since it was opened. */
const refused = new WeakMap<Page, string[]>();

async function openPage(room: string): Promise<Page> {
  const context = await mediaContext(browser, server.url);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  refused.set(page, await watchCsp(page));
  await page.goto(`${server.url}/one-to-one.html?room=${room}`);
  await page.waitForFunction(() => window.tsunagu?.client.state === 'connected');
  return page;
}

/** Clicks Start video and waits for the camera, as a person waits to see themselves. */
async function startVideo(page: Page): Promise<void> {
  await page.click('#start');
  await page.waitForFunction(() => (document.getElementById('local') as HTMLVideoElement).srcObject !== null);
}

/** The classic flow up to a live call: both start video, `caller` presses Connect, both connect. */
async function call(caller: Page, callee: Page): Promise<void> {
  await startVideo(caller);
  await startVideo(callee);
  await caller.waitForFunction(() => window.tsunagu.peers.size === 1);
  await caller.click('#connect');
  await callConnected(caller, callee);
}

const connectionState = (page: Page) => page.evaluate(() => window.tsunagu.pc?.connectionState ?? 'none');

/** Frames decoded so far on the page's inbound video, from getStats(). */
function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const pc = window.tsunagu.pc;
    if (!pc) return 0;
    let frames = 0;
    (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
    });
    return frames;
  });
}

function succeededPair(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    let ok = false;
    (await window.tsunagu.pc?.getStats())?.forEach((s: { type: string; state?: string; nominated?: boolean }) => {
      if (s.type === 'candidate-pair' && s.state === 'succeeded') ok = true;
    });
    return ok;
  });
}

/** Waits until decoded frames grow by `by` — media is flowing now, not just once. */
async function framesFlowing(page: Page, by = 10): Promise<void> {
  const target = (await framesDecoded(page)) + by;
  // getStats() has no event: the page samples it until the count grows, or gives up.
  await page.evaluate(
    async ({ target }) => {
      const deadline = performance.now() + 20_000;
      let frames = 0;
      while (performance.now() < deadline) {
        frames = 0;
        (await window.tsunagu.pc?.getStats())?.forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
        });
        if (frames >= target) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`frames decoded ${frames}, wanted ${target}`);
    },
    { target },
  );
}

async function callConnected(a: Page, b: Page): Promise<void> {
  for (const page of [a, b]) {
    await page.waitForFunction(() => window.tsunagu.pc?.connectionState === 'connected', null, { timeout: 20_000 });
  }
}

describe('a 1:1 call in Chromium', () => {
  it(
    "two pages in one room connect, decode each other's video, hang up and call again; a third room is unaffected",
    E2E,
    async () => {
      const alice = await openPage('call-x');
      const bob = await openPage('call-x');
      const carol = await openPage('call-y');

      await call(alice, bob);
      assert.equal(await succeededPair(alice), true);
      await framesFlowing(alice);
      await framesFlowing(bob);
      assert.ok((await alice.locator('#debug-log li').count()) > 2, 'the debug panel lists SDP and candidates');

      // Hang up on one side clears the other: remote video gone, ready to connect again.
      await alice.click('#hangup');
      await bob.waitForFunction(() => window.tsunagu.pc === null);
      assert.equal(await bob.evaluate(() => (document.getElementById('remote') as HTMLVideoElement).srcObject), null);
      assert.equal(await bob.isEnabled('#connect'), true);

      // Connect again, this time from the other side.
      await bob.click('#connect');
      await callConnected(alice, bob);
      await framesFlowing(alice);
      await framesFlowing(bob);

      // The page in the other room saw none of it.
      assert.equal(await connectionState(carol), 'none');
      assert.equal(await carol.evaluate(() => window.tsunagu.peers.size), 0);
      assert.equal(await carol.locator('#debug-log li').count(), 0);

      // All of it under the server's CSP (scripts, styles and connections from its origin only):
      // nothing the page did was refused.
      for (const page of [alice, bob, carol]) assert.deepEqual(refused.get(page), []);
    },
  );

  it('when the other side closes its tab, the remote video clears and the page can connect again', E2E, async () => {
    const alice = await openPage('call-z');
    const bob = await openPage('call-z');
    await call(alice, bob);
    await framesFlowing(alice);

    // Leaving the page (pagehide) is how a closing tab looks to the page.
    await bob.goto('about:blank');
    await bob.context().close();
    await alice.waitForFunction(() => window.tsunagu.pc === null && window.tsunagu.peers.size === 0);
    assert.equal(await alice.evaluate(() => (document.getElementById('remote') as HTMLVideoElement).srcObject), null);

    const dave = await openPage('call-z');
    await startVideo(dave);
    await alice.waitForFunction(() => window.tsunagu.peers.size === 1);
    await alice.click('#connect');
    await callConnected(alice, dave);
    await framesFlowing(dave);
  });
});
