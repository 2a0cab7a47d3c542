/**
 * The PeerJS server protocol under /peerjs, spoken by a raw WebSocket client: what PeerJS server
 * (npm `peer` 1.0) answers, tsunagu answers; and what PeerJS server lets through unchecked,
 * tsunagu refuses with PeerJS's own error message, leaving everyone else untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import parsePrometheus from 'parse-prometheus-text-format';
import { WebSocket } from 'ws';
import { PEERJS_ERRORS } from '../src/protocol/index.js';
import { barrier, offer, openPeer, rawPeer } from './helpers/peerjs.js';
import { startServer } from './helpers/server.js';
import { SECRET, sign } from './helpers/tokens.js';

const server = await startServer({ peerjsExpireMs: 300 });

describe('PeerJS HTTP routes', () => {
  it('GET /peerjs/<key>/id hands out a fresh id each time, as text', async () => {
    const ids = await Promise.all(
      [1, 2].map(async () => {
        const res = await fetch(`${server.url}/peerjs/peerjs/id?ts=123&version=1.5.5`);
        assert.equal(res.status, 200);
        return res.text();
      }),
    );
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.notEqual(ids[0], ids[1]);
  });

  it('GET /peerjs/<key>/peers is 401 unless discovery is on, and then lists the connected ids', async () => {
    assert.equal((await fetch(`${server.url}/peerjs/peerjs/peers`)).status, 401);
    const open = await startServer({ peerjsDiscovery: true });
    const [a, b] = await Promise.all([openPeer(open.url), openPeer(open.url)]);
    const res = await fetch(`${open.url}/peerjs/peerjs/peers`);
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as string[]).sort(), [a.id, b.id].sort());
  });

  it('GET /peerjs describes the endpoint; other paths under it are 404', async () => {
    assert.equal((await fetch(`${server.url}/peerjs`)).status, 200);
    assert.equal((await fetch(`${server.url}/peerjs/peerjs/nothing`)).status, 404);
  });

  it('--peerjs false: no routes and no socket', async () => {
    const off = await startServer({ peerjs: false });
    assert.equal((await fetch(`${off.url}/peerjs/peerjs/id`)).status, 404);
    await assert.rejects(rawPeer(off.url, { key: 'peerjs', id: 'a', token: 't' }));
  });
});

describe('PeerJS socket: opening', () => {
  it('a peer with key, id and token gets OPEN', async () => {
    const peer = await rawPeer(server.url, { key: 'peerjs', id: 'opening-1', token: 'tok', version: '1.5.5' });
    assert.deepEqual(await peer.next(), { type: 'OPEN' });
  });

  for (const missing of ['key', 'id', 'token']) {
    it(`without ${missing}: ERROR "${PEERJS_ERRORS.INVALID_WS_PARAMETERS}", then closed`, async () => {
      const params: Record<string, string> = { key: 'peerjs', id: `missing-${missing}`, token: 'tok' };
      delete params[missing];
      const peer = await rawPeer(server.url, params);
      assert.deepEqual(await peer.next(), {
        type: 'ERROR',
        payload: { msg: PEERJS_ERRORS.INVALID_WS_PARAMETERS, code: 'bad-request' },
      });
      await peer.closed;
    });
  }

  it('another key: INVALID-KEY, then closed', async () => {
    const peer = await rawPeer(server.url, { key: 'not-ours', id: 'wrong-key', token: 'tok' });
    assert.deepEqual(await peer.next(), { type: 'INVALID-KEY', payload: { msg: PEERJS_ERRORS.INVALID_KEY } });
    await peer.closed;
  });

  it('an id the PeerJS client would never send: ERROR, then closed', async () => {
    for (const id of ['a/b', ' lead', 'x'.repeat(129), 'two  spaces']) {
      const peer = await rawPeer(server.url, { key: 'peerjs', id, token: 'tok' });
      const frame = await peer.next();
      assert.equal(frame.type, 'ERROR');
      assert.equal(frame.payload?.code, 'bad-request');
      assert.match(String(frame.payload?.msg), /^Invalid id: /);
      await peer.closed;
    }
  });

  it('an id in use under another token: ID-TAKEN and closed; the holder is undisturbed', async () => {
    const holder = await openPeer(server.url, { id: 'taken-1', token: 'first' });
    const other = await openPeer(server.url);
    const thief = await rawPeer(server.url, { key: 'peerjs', id: 'taken-1', token: 'second' });
    assert.deepEqual(await thief.next(), { type: 'ID-TAKEN', payload: { msg: PEERJS_ERRORS.ID_TAKEN } });
    await thief.closed;
    other.send(offer('taken-1'));
    assert.equal((await holder.next()).src, other.id);
  });

  it('the same token takes its id back (a reconnect): the old socket is closed, messages go to the new one', async () => {
    const first = await openPeer(server.url, { id: 'comeback', token: 'mine' });
    const again = await openPeer(server.url, { id: 'comeback', token: 'mine' });
    await first.closed;
    const other = await openPeer(server.url);
    other.send(offer('comeback'));
    assert.equal((await again.next()).src, other.id);
  });

  it('the id is free again once its socket closes', async () => {
    const first = await openPeer(server.url, { id: 'freed', token: 'one' });
    first.ws.close();
    await first.closed;
    // The close reaches the server after the client's own close; a new claim may briefly race it.
    let frame;
    for (let attempt = 0; attempt < 20 && frame?.type !== 'OPEN'; attempt++) {
      const next = await rawPeer(server.url, { key: 'peerjs', id: 'freed', token: 'two' });
      frame = await next.next();
      if (frame.type !== 'OPEN') await next.closed;
    }
    assert.deepEqual(frame, { type: 'OPEN' });
  });

  it('a page from an origin not allowed cannot open the socket', async () => {
    const strict = await startServer({ allowedOrigins: 'https://app.example' });
    await assert.rejects(
      rawPeer(strict.url, { key: 'peerjs', id: 'o', token: 't' }, { origin: 'https://evil.example' }),
      /403/,
    );
    const ok = await rawPeer(strict.url, { key: 'peerjs', id: 'o', token: 't' }, { origin: 'https://app.example' });
    assert.deepEqual(await ok.next(), { type: 'OPEN' });
  });
});

describe('PeerJS socket: relay', () => {
  it('OFFER, ANSWER and CANDIDATE reach dst in order with src stamped; a forged src and extra fields are dropped', async () => {
    const [a, b] = await Promise.all([openPeer(server.url), openPeer(server.url)]);
    a.send({ ...offer(b.id, 'sdp-1'), src: 'someone-else', extra: true });
    b.send({ type: 'ANSWER', dst: a.id, payload: { sdp: { type: 'answer', sdp: 'sdp-2' }, connectionId: 'mc_1' } });
    for (let i = 0; i < 5; i++)
      a.send({ type: 'CANDIDATE', dst: b.id, payload: { candidate: { candidate: `c${i}` } } });
    assert.deepEqual(await b.next(), {
      type: 'OFFER',
      src: a.id,
      dst: b.id,
      payload: { sdp: { type: 'offer', sdp: 'sdp-1' }, type: 'media', connectionId: 'mc_1' },
    });
    assert.deepEqual(await a.next(), {
      type: 'ANSWER',
      src: b.id,
      dst: a.id,
      payload: { sdp: { type: 'answer', sdp: 'sdp-2' }, connectionId: 'mc_1' },
    });
    for (let i = 0; i < 5; i++) {
      const frame = await b.next();
      assert.equal(frame.type, 'CANDIDATE');
      assert.deepEqual(frame.payload, { candidate: { candidate: `c${i}` } });
    }
  });

  it('LEAVE is relayed; a LEAVE to no one closes the sender, as PeerJS server frees its id', async () => {
    const [a, b] = await Promise.all([openPeer(server.url), openPeer(server.url)]);
    a.send({ type: 'LEAVE', dst: b.id });
    assert.deepEqual(await b.next(), { type: 'LEAVE', src: a.id, dst: b.id });
    a.send({ type: 'LEAVE' });
    await a.closed;
  });

  it('HEARTBEAT is answered with nothing, and nobody else hears of it', async () => {
    const [a, b] = await Promise.all([openPeer(server.url), openPeer(server.url)]);
    a.send({ type: 'HEARTBEAT' });
    await barrier(a, b);
    await barrier(b, a);
  });

  it('messages for an id not yet connected wait, and arrive in order right after its OPEN', async () => {
    const a = await openPeer(server.url);
    a.send(offer('latecomer', 'first'));
    a.send({ type: 'CANDIDATE', dst: 'latecomer', payload: { candidate: 'second' } });
    const late = await openPeer(server.url, { id: 'latecomer' });
    assert.equal((await late.next()).payload?.connectionId, 'mc_1');
    assert.deepEqual((await late.next()).payload, { candidate: 'second' });
  });

  it('an id that never connects: the sender hears one EXPIRE per destination, with src and dst swapped', async () => {
    const [a, b] = await Promise.all([openPeer(server.url), openPeer(server.url)]);
    a.send(offer('nobody-home'));
    a.send({ type: 'CANDIDATE', dst: 'nobody-home', payload: { candidate: 'c' } });
    a.send({ type: 'LEAVE', dst: 'also-nobody' }); // dropped, never queued: no EXPIRE for it
    assert.deepEqual(await a.next(), { type: 'EXPIRE', src: 'nobody-home', dst: a.id });
    await barrier(b, a); // nothing else came for a
  });
});

describe('PeerJS socket: malformed messages get ERROR and change nothing else', () => {
  const cases: Array<[string, string | Buffer | ((dst: string) => unknown), string]> = [
    ['not JSON', '{"type": "OFFER",', 'bad-request'],
    ['a JSON array', '[]', 'bad-request'],
    ['a JSON number', '42', 'bad-request'],
    ['JSON null', 'null', 'bad-request'],
    ['no type', () => ({ dst: 'x', payload: {} }), 'bad-request'],
    ['a type that is no string', (dst) => ({ type: 7, dst, payload: {} }), 'bad-request'],
    ['an unknown type', (dst) => ({ type: 'SUBSCRIBE', dst, payload: {} }), 'unknown-event'],
    ['OPEN from a client', (dst) => ({ type: 'OPEN', dst }), 'unknown-event'],
    ['OFFER without dst', () => ({ type: 'OFFER', payload: {} }), 'bad-request'],
    ['OFFER without payload', (dst) => ({ type: 'OFFER', dst }), 'bad-request'],
    ['OFFER with a string payload', (dst) => ({ type: 'OFFER', dst, payload: 'v=0' }), 'bad-request'],
    ['CANDIDATE with an array payload', (dst) => ({ type: 'CANDIDATE', dst, payload: [] }), 'bad-request'],
    ['a dst that is no string', () => ({ type: 'CANDIDATE', dst: ['a'], payload: {} }), 'bad-request'],
    ['an empty dst', () => ({ type: 'CANDIDATE', dst: '', payload: {} }), 'bad-request'],
    ['a dst too long', () => ({ type: 'CANDIDATE', dst: 'x'.repeat(129), payload: {} }), 'bad-request'],
    ['a dst no PeerJS id can be', () => ({ type: 'CANDIDATE', dst: '../admin', payload: {} }), 'bad-request'],
    ['EXPIRE without dst', () => ({ type: 'EXPIRE' }), 'bad-request'],
    ['a binary frame', Buffer.from('{"type":"HEARTBEAT"}'), 'bad-request'],
    ['a frame over --max-payload', (dst) => ({ ...offer(dst), pad: 'x'.repeat(70_000) }), 'payload-too-large'],
  ];

  for (const [name, frame, code] of cases) {
    it(`${name} → ${code}`, async () => {
      const [a, b, c] = await Promise.all([openPeer(server.url), openPeer(server.url), openPeer(server.url)]);
      const raw = typeof frame === 'function' ? JSON.stringify(frame(b.id)) : frame;
      a.ws.send(raw, { binary: Buffer.isBuffer(raw) });
      const answer = await a.next();
      assert.equal(answer.type, 'ERROR');
      assert.equal(answer.payload?.code, code);
      assert.equal(typeof answer.payload?.msg, 'string');
      // Still open, and nobody heard anything: the next frames of a and c arrive first.
      await barrier(a, b);
      await barrier(c, b);
      await barrier(b, c);
    });
  }

  it('__proto__ in a payload is carried as data and pollutes nothing', async () => {
    const [a, b] = await Promise.all([openPeer(server.url), openPeer(server.url)]);
    a.send(`{"type":"CANDIDATE","dst":"${b.id}","payload":{"__proto__":{"polluted":true},"candidate":"c"}}`);
    const frame = await b.next();
    assert.equal(frame.payload?.candidate, 'c');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('PeerJS socket: the limits of socket.io clients', () => {
  it('a flood past --rate-burst is answered rate-limited; the rest of the burst went through', async () => {
    const limited = await startServer({ rateLimit: 1, rateBurst: 5 });
    const [a, b] = await Promise.all([openPeer(limited.url), openPeer(limited.url)]);
    for (let i = 0; i < 6; i++) a.send({ type: 'CANDIDATE', dst: b.id, payload: { i } });
    const answer = await a.next();
    assert.equal(answer.payload?.code, 'rate-limited');
    for (let i = 0; i < 5; i++) assert.deepEqual((await b.next()).payload, { i });
  });

  it('past --max-connections: ERROR with PeerJS\'s "concurrent user limit" message', async () => {
    const small = await startServer({ maxConnections: 1 });
    await openPeer(small.url);
    const refused = await rawPeer(small.url, { key: 'peerjs', id: 'one-too-many', token: 't' });
    assert.deepEqual(await refused.next(), {
      type: 'ERROR',
      payload: { msg: PEERJS_ERRORS.CONNECTION_LIMIT_EXCEED, code: 'too-many-connections' },
    });
    await refused.closed;
  });

  it('with --auth token, the token parameter is the JWT, and its sub is the only id it opens', async () => {
    const secured = await startServer({ auth: 'token', tokenSecret: SECRET });
    const cases: Array<[string, string, string]> = [
      ['aiko', 'not-a-jwt', 'unauthorized'],
      [
        'aiko',
        await sign({ sub: 'aiko', room: 'x' }, new TextEncoder().encode('another-secret-0123456789abcdefghijkl')),
        'unauthorized',
      ],
      ['aiko', await sign({ sub: 'aiko', room: 'x', exp: -60 }), 'unauthorized'],
      ['aiko', await sign({ sub: 'ben', room: 'x' }), 'forbidden'],
    ];
    for (const [id, token, code] of cases) {
      const peer = await rawPeer(secured.url, { key: 'peerjs', id, token });
      const frame = await peer.next();
      assert.equal(frame.type, 'ERROR');
      assert.equal(frame.payload?.code, code);
      assert.match(String(frame.payload?.msg), new RegExp(`^${PEERJS_ERRORS.INVALID_TOKEN}: `));
      await peer.closed;
    }
    const ok = await rawPeer(secured.url, { key: 'peerjs', id: 'aiko', token: await sign({ sub: 'aiko', room: 'x' }) });
    assert.deepEqual(await ok.next(), { type: 'OPEN' });
  });

  it('/metrics counts PeerJS clients, signals and errors under protocol="peerjs"', async () => {
    const counted = await startServer();
    const [a, b] = await Promise.all([openPeer(counted.url), openPeer(counted.url)]);
    a.send(offer(b.id));
    await b.next();
    a.send('nope');
    await a.next();
    const families = parsePrometheus(await (await fetch(`${counted.url}/metrics`)).text()) as Array<{
      name: string;
      metrics: Array<{ value: string; labels?: Record<string, string> }>;
    }>;
    const sample = (name: string, labels: Record<string, string>) =>
      Number(
        families
          .find((f) => f.name === name)
          ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value,
      );
    assert.equal(sample('tsunagu_connected_sockets', { protocol: 'peerjs' }), 2);
    assert.equal(sample('tsunagu_signals_relayed_total', { kind: 'offer', protocol: 'peerjs' }), 1);
    assert.equal(sample('tsunagu_errors_total', { code: 'bad-request', protocol: 'peerjs' }), 1);
  });

  it('on close, PeerJS sockets are closed with 1001 (going away)', async () => {
    const closing = await startServer();
    const peer = await openPeer(closing.url);
    await closing.close();
    assert.equal(await peer.closed, 1001);
    assert.equal(peer.ws.readyState, WebSocket.CLOSED);
  });
});
