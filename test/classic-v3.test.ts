/**
 * The classic tutorial's own clients — socket.io-client 1.x and 2.x, which speak Engine.IO v3 —
 * connect unchanged (`--allow-eio3`, on by default): the `message` relay and `user disconnected`
 * with v4 clients alongside, and the v1 events with their acks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, next, request } from './helpers/clients.js';
import {
  connectLegacy,
  LEGACY_VERSIONS,
  nextArgs,
  requestLegacy,
  type LegacySocket,
} from './helpers/legacy-clients.js';
import { startServer } from './helpers/server.js';
import { SECRET, sign } from './helpers/tokens.js';

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const candidate = { type: 'candidate', label: 0, id: '0', candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' };

/** Everything `event` brought `socket` from now on (a listener's arguments, in order). */
function collect(socket: Pick<LegacySocket, 'on'>, event: string): unknown[][] {
  const seen: unknown[][] = [];
  socket.on(event, (...args: unknown[]) => seen.push(args));
  return seen;
}

/** A round trip through the server: what was sent to `socket` before it has arrived by its end. */
const settleLegacy = (socket: LegacySocket) => requestLegacy(socket, 'no-such-event-barrier', null);

describe('socket.io-client 1.x and 2.x (Engine.IO v3) on the classic relay', () => {
  it('socket.json.send(obj) reaches every other classic client as message — 1.x, 2.x and v4 alike — and not the sender', async () => {
    const server = await startServer();
    const v1 = await connectLegacy('1.7.4', server.url);
    const v2 = await connectLegacy('2.5.0', server.url);
    const v4 = await connect(server.url);
    const v1Saw = collect(v1, 'message');

    let arrived = Promise.all([nextArgs(v2, 'message'), next(v4, 'message')]);
    v1.json.send(offer);
    const [[atV2], atV4] = await arrived;
    assert.deepEqual(atV2, offer);
    assert.deepEqual(atV4, offer);

    arrived = Promise.all([nextArgs(v1, 'message'), next(v4, 'message')]);
    v2.json.send(candidate);
    const [[atV1], atV4Again] = await arrived;
    assert.deepEqual(atV1, candidate);
    assert.deepEqual(atV4Again, candidate);

    const fromV4 = Promise.all([nextArgs(v1, 'message'), nextArgs(v2, 'message')]);
    v4.send({ type: 'answer', sdp: 'v=0' });
    for (const [value] of await fromV4) assert.deepEqual(value, { type: 'answer', sdp: 'v=0' });

    await settleLegacy(v1);
    assert.deepEqual(
      v1Saw.map(([value]) => value),
      [candidate, { type: 'answer', sdp: 'v=0' }],
    );
  });

  for (const version of LEGACY_VERSIONS) {
    it(`a ${version} client that goes away is user disconnected to the others, and hears it of others`, async () => {
      const server = await startServer();
      const old = await connectLegacy(version, server.url);
      const [v4, leaving] = await Promise.all([connect(server.url), connect(server.url)]);
      const heard = Promise.all([nextArgs(old, 'user disconnected'), next(v4, 'user disconnected')]);
      leaving.disconnect();
      await heard;
      const v4Heard = next(v4, 'user disconnected');
      old.disconnect();
      await v4Heard;
    });

    it(`a ${version} client joins a room with an ack and signals a v4 peer with acks, from stamped by the server`, async () => {
      const server = await startServer();
      const old = await connectLegacy(version, server.url);
      const v4 = await connect(server.url);
      assert.deepEqual(await request(v4, 'join', { room: 'tutorial', name: 'new' }), {
        ok: true,
        self: { id: v4.id, name: 'new' },
        peers: [],
        iceServers: [],
      });
      const announced = next(v4, 'peer-joined');
      assert.deepEqual(await requestLegacy(old, 'join', { room: 'tutorial', name: 'old' }), {
        ok: true,
        self: { id: old.id, name: 'old' },
        peers: [{ id: v4.id, name: 'new' }],
        iceServers: [],
      });
      assert.deepEqual(await announced, { id: old.id, name: 'old' });

      const toV4 = next(v4, 'signal');
      assert.deepEqual(await requestLegacy(old, 'signal', { to: v4.id, from: 'forged', data: offer }), { ok: true });
      assert.deepEqual(await toV4, { from: old.id, data: offer });
      const toOld = nextArgs(old, 'signal');
      assert.deepEqual(await request(v4, 'signal', { to: old.id, data: candidate }), { ok: true });
      assert.deepEqual((await toOld)[0], { from: v4.id, data: candidate });
    });
  }

  it('a joined 2.x client whose link drops is peer-left at once: Engine.IO v3 cannot resume, so no place is kept', async () => {
    const server = await startServer(); // with the default resume window
    const old = await connectLegacy('2.5.0', server.url, { transports: ['websocket'] });
    const v4 = await connect(server.url);
    await requestLegacy(old, 'join', { room: 'drop' });
    await request(v4, 'join', { room: 'drop' });
    const seen: string[] = [];
    v4.onAny((event: string) => seen.push(event));
    const left = next(v4, 'peer-left');
    const id = old.id; // the 2.x client forgets its id when it disconnects
    old.io.engine.close(); // the transport dies without socket.io's goodbye, as on a network loss
    assert.deepEqual(await left, { id, reason: 'disconnected' });
    assert.equal(seen[0], 'peer-left', 'no peer-reconnecting first');
  });

  it('with --auth token, a 2.x client brings its token in the URL; refused, it hears error with the code', async () => {
    const server = await startServer({ auth: 'token', tokenSecret: SECRET });
    await assert.rejects(connectLegacy('2.5.0', server.url), (err: Error) => {
      assert.equal((JSON.parse(err.message) as { code: string }).code, 'unauthorized');
      return true;
    });
    const token = await sign({ sub: 'aiko', name: 'Aiko', room: 'signed' });
    const old = await connectLegacy('2.5.0', `${server.url}/?token=${token}`);
    assert.deepEqual(await requestLegacy(old, 'join', { room: 'signed' }), {
      ok: true,
      self: { id: old.id, name: 'Aiko' },
      peers: [],
      iceServers: [],
    });
  });
});

describe('--allow-eio3 false', () => {
  for (const version of LEGACY_VERSIONS) {
    it(`a ${version} client cannot connect; a v4 client still can`, async () => {
      const server = await startServer({ allowEio3: false });
      await assert.rejects(connectLegacy(version, server.url));
      await connect(server.url);
    });
  }
});

describe('CORS for pages on another origin', () => {
  it('an Engine.IO v3 polling request (sent with credentials) is answered with its origin and credentials allowed; v4 keeps *', async () => {
    const server = await startServer();
    const headers = { origin: 'http://tutorial.example.test' };
    const v3 = await fetch(`${server.url}/socket.io/?EIO=3&transport=polling`, { headers });
    assert.equal(v3.status, 200);
    assert.equal(v3.headers.get('access-control-allow-origin'), 'http://tutorial.example.test');
    assert.equal(v3.headers.get('access-control-allow-credentials'), 'true');
    const v4 = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers });
    assert.equal(v4.headers.get('access-control-allow-origin'), '*');
    assert.equal(v4.headers.get('access-control-allow-credentials'), null);
  });

  it('with --allowed-origins, a v3 request from another origin is still refused', async () => {
    const server = await startServer({ allowedOrigins: 'http://tutorial.example.test' });
    const res = await fetch(`${server.url}/socket.io/?EIO=3&transport=polling`, {
      headers: { origin: 'http://elsewhere.example.test' },
    });
    assert.notEqual(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), null, 'a browser reads nothing of it');
  });
});
