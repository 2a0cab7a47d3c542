/**
 * The socket.io client at `/socket.io/socket.io.js` (and `.min.js`), as the classic tutorial's page
 * loads it: socket.io v4's client with the tutorial-era `io.connect(url)` and `socket.json`, served
 * as a cacheable script. (test/e2e/classic-2014.test.ts runs it in Chromium.)
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { describe, it } from 'node:test';
import { createContext, runInContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { startServer } from './helpers/server.js';

const server = await startServer();

interface ServedSocket {
  json: ServedSocket;
  send: unknown;
  emit: unknown;
}
type ServedIo = ((url: string, options: object) => ServedSocket) & { connect: ServedIo };

/** Runs a served script in an empty global (it only needs timers to load) and returns its `io`. */
function globalIo(script: string): ServedIo {
  const context = createContext({ setTimeout, clearTimeout });
  runInContext('globalThis.self = globalThis', context);
  runInContext(script, context);
  return (context as { io: ServedIo }).io;
}

describe('the classic socket.io client script', () => {
  for (const name of ['socket.io.js', 'socket.io.min.js']) {
    it(`/socket.io/${name} is a script defining io, with io.connect and socket.json kept from socket.io 1.x`, async () => {
      const res = await fetch(`${server.url}/socket.io/${name}`, { headers: { 'accept-encoding': 'identity' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
      const io = globalIo(await res.text());
      assert.equal(io.connect, io);
      const socket = io.connect('http://127.0.0.1:9', { autoConnect: false });
      assert.equal(socket.json, socket, 'socket.json.send is socket.send');
      assert.equal(typeof socket.json.send, 'function');
      assert.equal(typeof socket.json.emit, 'function');
    });
  }

  it('is revalidated by its ETag: If-None-Match answers 304 without a body', async () => {
    const first = await fetch(`${server.url}/socket.io/socket.io.js`);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[^"]+"$/);
    assert.equal(first.headers.get('cache-control'), 'public, max-age=0');
    const again = await fetch(`${server.url}/socket.io/socket.io.js?v=1`, { headers: { 'if-none-match': etag! } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    const min = await fetch(`${server.url}/socket.io/socket.io.min.js`);
    assert.notEqual(min.headers.get('etag'), etag, 'each file has its own ETag');
  });

  it('is gzipped for a client that accepts it, and the bytes are the same', async () => {
    const plain = await fetch(`${server.url}/socket.io/socket.io.min.js`, {
      headers: { 'accept-encoding': 'identity' },
    });
    // fetch() would gunzip on its own: node:http shows the bytes as sent.
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) =>
      get(`${server.url}/socket.io/socket.io.min.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject),
    );
    assert.equal(raw.encoding, 'gzip');
    assert.equal(gunzipSync(raw.body).toString(), await plain.text());
  });

  it('a page on any origin may load it (it is public), and the socket.io endpoint stays socket.io', async () => {
    const res = await fetch(`${server.url}/socket.io/socket.io.js`, { headers: { origin: 'http://elsewhere.test' } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const handshake = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(handshake.status, 200);
    assert.match(await handshake.text(), /^0\{"sid":/);
  });
});
