/**
 * The real PeerJS client (npm `peerjs`, loaded unchanged) in headless Chromium, in a page written
 * for PeerJS (`examples/peerjs/index.html`) that only points its Peer at tsunagu: video calls and
 * data connections on one node and across two nodes sharing Redis, and PeerJS's own error events.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { E2E, launchBrowser, mediaContext } from '../helpers/browser.js';
import { startRedis } from '../helpers/processes.js';
import { startServer } from '../helpers/server.js';
import type { TsunaguServer } from '../../src/server/index.js';

declare global {
  interface Window {
    peer: {
      id: string;
      connect(id: string): DataConnection;
      on(event: 'connection', fn: (conn: DataConnection) => void): void;
    };
    currentCall?: { peerConnection?: RTCPeerConnection };
    received?: Promise<unknown>;
  }
}
interface DataConnection {
  send(data: unknown): void;
  on(event: 'open', fn: () => void): void;
  on(event: 'data', fn: (data: unknown) => void): void;
}

const APP = {
  'index.html': readFileSync(new URL('../../examples/peerjs/index.html', import.meta.url), 'utf8'),
  'peerjs.min.js': readFileSync(new URL('../../node_modules/peerjs/dist/peerjs.min.js', import.meta.url), 'utf8'),
};

const browser = await launchBrowser();

/**
 * The app's own web server, as a PeerJS app has one: it serves the example page, changed only in
 * its PEER_SERVER line to point at `server` (the PeerJS server: tsunagu).
 */
async function hostApp(server: TsunaguServer): Promise<string> {
  const page = APP['index.html'].replace("host: 'localhost', port: 9001", `host: '127.0.0.1', port: ${server.port}`);
  assert.notEqual(page, APP['index.html'], 'the example names its PeerJS server in one line');
  const http = createHttpServer((req, res) => {
    const js = req.url === '/peerjs.min.js';
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' }).end(js ? APP['peerjs.min.js'] : page);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => http.close(() => resolve())));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

/** Opens the PeerJS example page from `appUrl` as peer `id`. */
async function peerjsPage(appUrl: string, id: string): Promise<Page> {
  const page = await (await mediaContext(browser, appUrl)).newPage();
  await page.goto(`${appUrl}/?id=${id}`);
  return page;
}

/** The page's PeerJS peer is open on the server (its "My id" shows), or its status says why not. */
async function opened(page: Page, id: string): Promise<void> {
  await page.waitForFunction(
    () => document.getElementById('my-id')!.textContent !== '…' || document.getElementById('status')!.textContent,
    undefined,
    { timeout: 15_000 },
  );
  assert.equal(await page.textContent('#my-id'), id, `status: ${await page.textContent('#status')}`);
}

/** Samples the call's getStats() in the page until video frames decode over a succeeded pair. */
function decodingFrames(page: Page, timeout = 30_000): Promise<number> {
  return page.evaluate(async (timeout) => {
    const deadline = performance.now() + timeout;
    let frames = 0;
    let pair = 'none';
    while (performance.now() < deadline) {
      const pc = window.currentCall?.peerConnection;
      if (pc) {
        const stats = await pc.getStats();
        frames = 0;
        stats.forEach(
          (s: { type: string; kind?: string; framesDecoded?: number; state?: string; nominated?: boolean }) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded ?? 0;
            if (s.type === 'candidate-pair' && s.nominated) pair = s.state ?? pair;
          },
        );
        if (frames >= 5 && pair === 'succeeded') return frames;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`frames decoded ${frames}, candidate pair ${pair}, within ${timeout} ms`);
  }, timeout);
}

/** One page calls the other with the Call button; both decode the other's video. */
async function videoCall(caller: Page, callee: Page, calleeId: string): Promise<void> {
  await caller.fill('#remote-id', calleeId);
  await caller.click('#call');
  const [callerFrames, calleeFrames] = await Promise.all([decodingFrames(caller), decodingFrames(callee)]);
  assert.ok(callerFrames >= 5 && calleeFrames >= 5);
}

/** peer.connect() from one page; a message goes each way over the data channel. */
async function dataBothWays(from: Page, to: Page, toId: string): Promise<void> {
  await to.evaluate(() => {
    window.received = new Promise((resolve) =>
      window.peer.on('connection', (conn) =>
        conn.on('data', (data) => {
          conn.send(`pong:${String(data)}`);
          resolve(data);
        }),
      ),
    );
  });
  const answer = await from.evaluate(
    (toId) =>
      new Promise((resolve, reject) => {
        const conn = window.peer.connect(toId);
        conn.on('open', () => conn.send('ping'));
        conn.on('data', resolve);
        setTimeout(() => reject(new Error('no answer over the data connection')), 20_000);
      }),
    toId,
  );
  assert.equal(answer, 'pong:ping');
  assert.equal(await to.evaluate(() => window.received), 'ping');
}

describe('a PeerJS app on tsunagu', () => {
  it('on one node: a video call both ways, a data connection both ways', E2E, async () => {
    const app = await hostApp(await startServer());
    const alice = await peerjsPage(app, 'alice-one');
    const bob = await peerjsPage(app, 'bob-one');
    await Promise.all([opened(alice, 'alice-one'), opened(bob, 'bob-one')]);
    await videoCall(bob, alice, 'alice-one');
    await dataBothWays(alice, bob, 'bob-one');
  });

  it(
    'a peer without an id gets one from the server (cross-origin GET /id); a call to an id nobody holds ends in "peer-unavailable" (EXPIRE)',
    E2E,
    async () => {
      const app = await hostApp(await startServer({ peerjsExpireMs: 500 }));
      const page = await peerjsPage(app, '');
      await page.waitForFunction(() => /^[0-9a-f-]{36}$/.test(document.getElementById('my-id')!.textContent!));
      await page.fill('#remote-id', 'nobody-here');
      await page.click('#call');
      await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('peer-unavailable'));
    },
  );

  it(
    'on two nodes sharing Redis: the call and the data connection cross nodes; the id is unique across them',
    E2E,
    async () => {
      const redis = await startRedis();
      const nodes = [await startServer({ redis: redis.url }), await startServer({ redis: redis.url })];
      after(() => redis.stop()); // after the nodes have closed
      const apps = [await hostApp(nodes[0]), await hostApp(nodes[1])];
      const alice = await peerjsPage(apps[0], 'alice-two');
      await opened(alice, 'alice-two');
      const bob = await peerjsPage(apps[1], 'bob-two');
      await opened(bob, 'bob-two');
      await videoCall(bob, alice, 'alice-two');
      await dataBothWays(alice, bob, 'bob-two');

      const impostor = await peerjsPage(apps[1], 'alice-two');
      await impostor.waitForFunction(() => document.getElementById('status')!.textContent);
      assert.equal(await impostor.textContent('#status'), 'unavailable-id: ID "alice-two" is taken');
    },
  );
});
