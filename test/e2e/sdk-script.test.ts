/**
 * The SDK as a script tag, as a page on another site uses it: `<script src=".../sdk/tsunagu.js">`
 * gives the global `tsunagu`, and `new tsunagu.Room(new tsunagu.SignalingClient(url))` makes a call
 * (on `/v1`, and once on socket.io, which stays available).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { E2E, launchBrowser, mediaContext } from '../helpers/browser.js';
import { startServer } from '../helpers/server.js';

const server = await startServer();
const browser = await launchBrowser();

/** The app's page, on its own origin (another port): all it has of tsunagu is the script tag. */
const PAGE = (signaling: string) => `<!doctype html>
<meta charset="utf-8">
<title>A call</title>
<script src="${signaling}/sdk/tsunagu.js"></script>
<script>
  const params = new URLSearchParams(location.search);
  const options = params.get('transport') ? { transport: params.get('transport') } : {};
  window.room = new tsunagu.Room(new tsunagu.SignalingClient(${JSON.stringify(signaling)}, options));
  window.ready = (async () => {
    const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    for (const track of media.getTracks()) room.publish(track, media);
    return (await room.join(params.get('room'))).self.id;
  })();
</script>`;

const site: Server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE(server.url));
});
await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
after(() => site.close());
const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

async function open(room: string, transport?: string): Promise<{ page: Page; id: string }> {
  const context = await mediaContext(browser, siteUrl);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(`${siteUrl}/?room=${room}${transport ? `&transport=${transport}` : ''}`);
  const id = await page.evaluate(() => (window as unknown as { ready: Promise<string> }).ready);
  return { page, id };
}

/** Waits until the page decodes video from `id`: frames counted by getStats, sampled in the page. */
function decodes(page: Page, id: string, frames = 10): Promise<number> {
  return page.evaluate(
    async ({ id, frames }) => {
      type Room = { participants: Map<string, { getStats(): Promise<{ framesDecoded: number }> }> };
      const room = (window as unknown as { room: Room }).room;
      const deadline = performance.now() + 60_000;
      let seen = 0;
      while (performance.now() < deadline) {
        const participant = room.participants.get(id);
        seen = participant ? (await participant.getStats()).framesDecoded : 0;
        if (seen >= frames) return seen;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`decoded ${seen} frames from ${id}, wanted ${frames}`);
    },
    { id, frames },
  );
}

describe('the SDK from a script tag', () => {
  for (const transport of [undefined, 'socket.io']) {
    it(
      `a page on another origin loads /sdk/tsunagu.js and makes a two-party call${transport ? ` on ${transport}` : ' on /v1'}: each side decodes the other's video`,
      E2E,
      async () => {
        const room = `script-${transport ?? 'v1'}`;
        const a = await open(room, transport);
        const b = await open(room, transport);
        assert.notEqual(a.id, b.id);
        assert.ok((await decodes(a.page, b.id)) >= 10);
        assert.ok((await decodes(b.page, a.id)) >= 10);
        const version = await a.page.evaluate(
          () => (window as unknown as { tsunagu: { version: string } }).tsunagu.version,
        );
        assert.match(version, /^\d+\.\d+\.\d+/);
        await Promise.all([a.page.context().close(), b.page.context().close()]);
      },
    );
  }

  it('the script is served with cache headers: revalidated when unversioned, immutable under its version', async () => {
    const latest = await fetch(`${server.url}/sdk/tsunagu.js`);
    assert.equal(latest.status, 200);
    assert.match(latest.headers.get('content-type')!, /javascript/);
    assert.equal(latest.headers.get('cache-control'), 'public, max-age=300');
    const version = latest.headers.get('x-tsunagu-sdk-version')!;
    const etag = latest.headers.get('etag')!;
    assert.match(await latest.text(), new RegExp(`^/\\*! @tsunagu/client ${version.replace(/\./g, '\\.')} `));
    const pinned = await fetch(`${server.url}/sdk/tsunagu@${version}.js`);
    assert.equal(pinned.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const again = await fetch(`${server.url}/sdk/tsunagu.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal((await fetch(`${server.url}/sdk/tsunagu@0.0.0-nope.js`)).status, 404);
  });
});
