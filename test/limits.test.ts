/**
 * Limits keep one client from hurting the others: each breach answers with its own code, and
 * everyone else carries on.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import type { SignalEvent } from '../src/protocol/index.js';
import { EDGES, connect, joined, next, request, v1Client, type Client, type Edge } from './helpers/clients.js';
import { startNginx } from './helpers/processes.js';
import { startServer } from './helpers/server.js';
import { SECRET, sign } from './helpers/tokens.js';

/** Connects over `edge`; resolves with the client or the refusal code from connect_error. */
function attempt(
  url: string,
  headers: Record<string, string> = {},
  token?: string,
  edge: Edge = 'socket.io',
): Promise<Client | string> {
  const client: Client =
    edge === 'v1'
      ? v1Client(url, { reconnection: false, headers, ...(token === undefined ? {} : { token }) })
      : io(url, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          extraHeaders: headers,
          ...(token === undefined ? {} : { auth: { token } }),
        });
  const settled = new Promise<Client | string>((resolve) => {
    client.once('connect', () => resolve(client));
    client.once('connect_error', (err: Error & { data?: { code: string } }) => {
      client.disconnect();
      resolve(err.data?.code ?? err.message);
    });
  });
  if (edge === 'v1') client.connect();
  return settled;
}

/** A raw connection that starts a handshake with `token` and vanishes while the server checks it. */
async function abandonHandshake(port: number, token: string, edge: Edge): Promise<void> {
  if (edge === 'v1') {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1?token=${token}`);
    await once(ws, 'upgrade');
    ws.terminate();
    return;
  }
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  await once(ws, 'message'); // engine.io's open packet
  ws.send(`40${JSON.stringify({ token })}`);
  ws.terminate(); // gone while the server checks the token
}

for (const edge of EDGES) {
  describe(`over ${edge}`, () => {
    describe('event rate', () => {
      it('a flooding client is rate-limited while a call between two others completes', async () => {
        const server = await startServer({ rateLimit: 50, rateBurst: 100 });
        const [flooder, sink, alice, bob] = await Promise.all([1, 2, 3, 4].map(() => connect(server.url, edge)));
        await joined(flooder, 'flood');
        await joined(sink, 'flood');
        await joined(alice, 'call');
        await joined(bob, 'call');

        let limited = 0;
        let delivered = 0;
        sink.on('signal', () => delivered++);
        const started = performance.now();
        const flood = Array.from({ length: 3000 }, (_, i) =>
          request(flooder, 'signal', { to: sink.id, data: { candidates: [{ candidate: `flood ${i}` }] } }).then((r) => {
            if (!r.ok && r.error.code === 'rate-limited') limited++;
          }),
        );

        // Meanwhile, a whole call setup between alice and bob: offer, answer, candidates both ways.
        const offer = next<SignalEvent>(bob, 'signal');
        assert.deepEqual(
          await request(alice, 'signal', { to: bob.id, data: { description: { type: 'offer', sdp: 'v=0' } } }),
          { ok: true },
        );
        assert.deepEqual((await offer).data, { description: { type: 'offer', sdp: 'v=0' } });
        const answer = next<SignalEvent>(alice, 'signal');
        assert.deepEqual(
          await request(bob, 'signal', { to: alice.id, data: { description: { type: 'answer', sdp: 'v=0' } } }),
          { ok: true },
        );
        assert.equal((await answer).from, bob.id);
        for (const [from, to] of [
          [alice, bob],
          [bob, alice],
        ] as const) {
          const got = next<SignalEvent>(to, 'signal');
          assert.deepEqual(await request(from, 'signal', { to: to.id, data: { candidates: [{ candidate: 'c' }] } }), {
            ok: true,
          });
          await got;
        }

        await Promise.all(flood);
        const seconds = (performance.now() - started) / 1000;
        assert.ok(limited > 0, 'the flood was rate-limited');
        assert.equal(limited + delivered, 3000, 'every flooded event was either relayed or refused');
        assert.ok(
          delivered <= 100 + Math.ceil(50 * seconds) + 1,
          `${delivered} relayed in ${seconds.toFixed(2)} s exceeds the bucket`,
        );
        assert.equal(flooder.connected, true, 'a flood is refused event by event, not by disconnecting');
      });
    });

    describe('every frame costs from the rate', () => {
      it('a flood of unknown events (and on /v1 of frames that are no request) is rate-limited too', async () => {
        const server = await startServer({ rateLimit: 5, rateBurst: 10 });
        const client = await connect(server.url, edge);
        const answers = await Promise.all(
          Array.from({ length: 30 }, (_, i) => request(client, `invented-${i}`, {}).then((r) => !r.ok && r.error.code)),
        );
        assert.ok(answers.includes('unknown-event'), 'the first are answered unknown-event');
        assert.ok(answers.includes('rate-limited'), 'the rest are refused by the rate limit');
        if (edge === 'v1') {
          const errors: string[] = [];
          client.on('error', (e: { code: string }) => errors.push(e.code));
          for (let i = 0; i < 30; i++) (client as unknown as { sendRaw(f: string): void }).sendRaw('not json');
          await request(client, 'barrier');
          assert.ok(errors.every((code) => code === 'rate-limited' || code === 'bad-request'));
          assert.ok(errors.includes('rate-limited'), 'garbage is rate-limited like any frame');
        }
      });
    });

    describe('connections', () => {
      it('beyond --max-connections-per-ip, one more is refused with too-many-connections; a freed place is reused', async () => {
        const server = await startServer({ maxConnectionsPerIp: 3 });
        const admitted = await Promise.all([1, 2, 3].map(() => attempt(server.url, {}, undefined, edge)));
        assert.ok(admitted.every((c) => typeof c !== 'string'));
        assert.equal(await attempt(server.url, {}, undefined, edge), 'too-many-connections');
        const gone = next(admitted[0] as Client, 'disconnect');
        (admitted[0] as Client).disconnect();
        await gone;
        // The server counts the departure when it sees the close; ask until it has (bounded).
        let again: Client | string = 'too-many-connections';
        for (let i = 0; i < 50 && again === 'too-many-connections'; i++)
          again = await attempt(server.url, {}, undefined, edge);
        assert.notEqual(typeof again, 'string');
        (admitted as Client[]).concat(again as Client).forEach((c) => c.disconnect());
      });

      it('beyond --max-connections, one more is refused', async () => {
        const server = await startServer({ maxConnections: 2 });
        const admitted = await Promise.all([1, 2].map(() => attempt(server.url, {}, undefined, edge)));
        assert.ok(admitted.every((c) => typeof c !== 'string'));
        assert.equal(await attempt(server.url, {}, undefined, edge), 'too-many-connections');
        (admitted as Client[]).forEach((c) => c.disconnect());
      });
    });

    describe('connection counts', () => {
      it('handshakes aborted during the token check give their count back: the next client is admitted', async () => {
        const server = await startServer({ auth: 'token', tokenSecret: SECRET, maxConnectionsPerIp: 1 });
        const token = await sign({ sub: 'honest', room: 'r' });
        for (let i = 0; i < 40; i++) await abandonHandshake(server.port, token, edge);
        // The server counts a departure when it sees the close; wait until it has seen them all (bounded).
        for (let i = 0; i < 100 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
        const honest = await attempt(server.url, {}, token, edge);
        assert.notEqual(typeof honest, 'string', `refused: ${String(honest)}`);
        (honest as Client).disconnect();
      });

      it('behind nginx, a client that writes its own X-Forwarded-For is still counted under its real address', async () => {
        const server = await startServer({ trustProxy: '1', maxConnectionsPerIp: 1 });
        const lb = await startNginx([server.port]);
        const first = await attempt(lb.url, { 'x-forwarded-for': '203.0.113.1' }, undefined, edge);
        assert.notEqual(typeof first, 'string');
        assert.equal(
          await attempt(lb.url, { 'x-forwarded-for': '198.51.100.2' }, undefined, edge),
          'too-many-connections',
        );
        (first as Client).disconnect();
      });
    });

    describe('rooms', () => {
      it('beyond --max-rooms, opening one more room is too-many-rooms; joining an open one is fine', async () => {
        const server = await startServer({ maxRooms: 2 });
        const [a, b, c] = await Promise.all([1, 2, 3].map(() => connect(server.url, edge)));
        await joined(a, 'one');
        await joined(b, 'two');
        const third = await request(c, 'join', { room: 'three' });
        assert.equal(!third.ok && third.error.code, 'too-many-rooms');
        await joined(c, 'two');
        await request(a, 'leave'); // room "one" closes
        await joined(c, 'three');
      });
    });

    describe('origin allowlist', () => {
      it('socket.io and HTTP refuse pages from origins not on the list; clients without an Origin pass', async () => {
        const server = await startServer({ allowedOrigins: 'https://app.example.test' });
        const good = await attempt(server.url, { origin: 'https://app.example.test' }, undefined, edge);
        assert.notEqual(typeof good, 'string');
        (good as Client).disconnect();
        assert.equal(
          typeof (await attempt(server.url, { origin: 'https://evil.example.test' }, undefined, edge)),
          'string',
          'refused',
        );
        const plain = await attempt(server.url, {}, undefined, edge);
        assert.notEqual(typeof plain, 'string');
        (plain as Client).disconnect();

        const evil = await fetch(`${server.url}/ice-servers`, { headers: { origin: 'https://evil.example.test' } });
        assert.equal(evil.status, 403);
        const ok = await fetch(`${server.url}/ice-servers`, { headers: { origin: 'https://app.example.test' } });
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example.test');
      });
    });
  });
}
