/**
 * The 2014-style page (`examples/classic-2014/index.html`), served from another origin as the
 * tutorial's was, calling through tsunagu in headless Chromium: with the socket.io client tsunagu
 * serves at /socket.io/socket.io.js, and with socket.io-client 2.5.0's own dist file instead.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { E2E, launchBrowser, mediaContext } from '../helpers/browser.js';
import { startServer } from '../helpers/server.js';

declare global {
  interface Window {
    socket: { json: unknown; connected: boolean };
    pc: RTCPeerConnection | null;
  }
}

const FILES: Record<string, { type: string; body: string }> = {
  '/': {
    type: 'text/html',
    body: readFileSync(new URL('../../examples/classic-2014/index.html', import.meta.url), 'utf8'),
  },
  '/socket.io-2.5.0.js': {
    type: 'text/javascript',
    body: readFileSync(new URL('../../node_modules/socket.io-client-v2/dist/socket.io.js', import.meta.url), 'utf8'),
  },
};

/** The page's own web server, on another port than tsunagu: another origin. */
async function hostPage(): Promise<string> {
  const http = createHttpServer((req, res) => {
    const file = FILES[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => http.close(() => resolve())));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

const browser = await launchBrowser();
const pageUrl = await hostPage();

/** Every URL each page requested, to tell which client script it ran and which Engine.IO it spoke. */
const requested = new WeakMap<Page, string[]>();

/** Opens the page, connected to the signaling server, with its camera started. */
async function openWithVideo(query: string): Promise<Page> {
  const context = await mediaContext(browser, pageUrl);
  after(() => context.close());
  const page = await context.newPage();
  const urls: string[] = [];
  requested.set(page, urls);
  page.on('request', (request) => urls.push(request.url()));
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(`${pageUrl}/?${query}`);
  await page.waitForFunction(() => window.socket?.connected, undefined, { timeout: 15_000 });
  await page.click('#startButton');
  await page.waitForFunction(() => !(document.getElementById('connectButton') as HTMLButtonElement).disabled);
  return page;
}

/** Live remote video: the element shows frames, and getStats says more keep being decoded. */
async function remoteVideoFlowing(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const video = document.getElementById('remoteVideo') as HTMLVideoElement;
      return video.videoWidth > 0 && video.currentTime > 0;
    },
    undefined,
    { timeout: 30_000, polling: 100 },
  );
  // Stats have no event to await: the page samples getStats() until the count grows, or gives up.
  // (No named functions in here: the test runner's transform would wrap them in a helper the page lacks.)
  const frames = await page.evaluate(async () => {
    const samples: number[] = [];
    const deadline = performance.now() + 15_000;
    while (performance.now() < deadline) {
      let decoded = 0;
      (await window.pc!.getStats()).forEach((report: { type: string; kind?: string; framesDecoded?: number }) => {
        if (report.type === 'inbound-rtp' && report.kind === 'video') decoded = report.framesDecoded ?? 0;
      });
      samples.push(decoded);
      if (decoded >= samples[0] + 5) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { start: samples[0], now: samples[samples.length - 1] };
  });
  assert.ok(frames.now >= frames.start + 5, `frames decoded went from ${frames.start} to ${frames.now}`);
}

/** Two pages, Start video in both, Connect in the first: both see the other's video. */
async function call(query: string): Promise<Page[]> {
  const [caller, callee] = [await openWithVideo(query), await openWithVideo(query)];
  await caller.click('#connectButton');
  await Promise.all([remoteVideoFlowing(caller), remoteVideoFlowing(callee)]);
  return [caller, callee];
}

describe('the 2014-style page, from another origin, through tsunagu', () => {
  it(
    'with the client tsunagu serves at /socket.io/socket.io.js: io.connect, socket.json.send, live video both ways',
    E2E,
    async () => {
      const server = await startServer();
      const pages = await call(`server=${encodeURIComponent(`${server.url}/`)}`);
      for (const page of pages) {
        const urls = requested.get(page)!;
        assert.ok(urls.includes(`${server.url}/socket.io/socket.io.js`), 'the client script came from tsunagu');
        assert.ok(
          urls.some((u) => u.startsWith(`${server.url}/socket.io/?EIO=4&`)),
          'it spoke Engine.IO v4',
        );
        assert.equal(await page.evaluate(() => window.socket.json === window.socket), true);
      }
    },
  );

  it('with socket.io-client 2.5.0 loaded instead (Engine.IO v3): live video both ways', E2E, async () => {
    const server = await startServer();
    const io = `${pageUrl}/socket.io-2.5.0.js`;
    const pages = await call(`server=${encodeURIComponent(`${server.url}/`)}&io=${encodeURIComponent(io)}`);
    for (const page of pages) {
      const urls = requested.get(page)!;
      assert.ok(urls.includes(io), 'the client script was socket.io-client 2.5.0');
      assert.ok(!urls.some((u) => u.startsWith(`${server.url}/socket.io/socket.io`)), 'nothing loaded from tsunagu');
      assert.ok(
        urls.some((u) => u.startsWith(`${server.url}/socket.io/?EIO=3&`)),
        'it spoke Engine.IO v3',
      );
    }
  });
});
