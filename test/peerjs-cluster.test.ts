/**
 * The PeerJS endpoint on two nodes sharing a real redis-server: what PeerJS server can only do in
 * one process — ids, relay, the waiting queue, discovery — holds across nodes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { PEERJS_ERRORS } from '../src/protocol/index.js';
import type { TsunaguServer } from '../src/server/index.js';
import { offer, openPeer, rawPeer, type RawPeer } from './helpers/peerjs.js';
import { startNginx, startRedis } from './helpers/processes.js';
import { startServer } from './helpers/server.js';

const redis = await startRedis();
const nodes: TsunaguServer[] = [];
for (let i = 0; i < 2; i++)
  nodes.push(await startServer({ redis: redis.url, peerjsDiscovery: true, peerjsExpireMs: 300 }));
after(() => redis.stop()); // after the nodes have closed
const [one, two] = nodes;
const lb = await startNginx(nodes.map((n) => n.port));

/**
 * Opens `id` on `node` and resolves once the other node knows it: the news travels through that
 * node's inbox, so a test that sends right after OPEN first asks the other node's discovery route
 * until it lists the id (bounded polling of an HTTP endpoint, never a fixed sleep).
 */
async function openKnown(node: TsunaguServer, id = `p${randomUUID().slice(0, 8)}`): Promise<RawPeer> {
  const other = nodes.find((n) => n !== node)!;
  const peer = await openPeer(node.url, { id });
  for (let i = 0; i < 100; i++) {
    const ids = (await (await fetch(`${other.url}/peerjs/peerjs/peers`)).json()) as string[];
    if (ids.includes(id)) return peer;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} never reached the other node`);
}

describe('PeerJS endpoint, two nodes and one Redis', () => {
  it('a message reaches a peer on the other node, src stamped, in order, both ways', async () => {
    const a = await openKnown(one);
    const b = await openKnown(two);
    a.send(offer(b.id, 'cross'));
    for (let i = 0; i < 20; i++) a.send({ type: 'CANDIDATE', dst: b.id, payload: { i } });
    const first = await b.next();
    assert.equal(first.type, 'OFFER');
    assert.equal(first.src, a.id);
    for (let i = 0; i < 20; i++) assert.deepEqual((await b.next()).payload, { i });
    b.send({ type: 'ANSWER', dst: a.id, payload: { sdp: 'x' } });
    assert.deepEqual(await a.next(), { type: 'ANSWER', src: b.id, dst: a.id, payload: { sdp: 'x' } });
  });

  it('ID-TAKEN holds across nodes: an id open on one node is refused on the other under another token', async () => {
    await openPeer(one.url, { id: 'cluster-taken', token: 'first' });
    const thief = await rawPeer(two.url, { key: 'peerjs', id: 'cluster-taken', token: 'second' });
    assert.deepEqual(await thief.next(), { type: 'ID-TAKEN', payload: { msg: PEERJS_ERRORS.ID_TAKEN } });
    await thief.closed;
  });

  it('ten sockets racing for one id over both nodes: exactly one gets OPEN', async () => {
    const racers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => rawPeer(nodes[i % 2].url, { key: 'peerjs', id: 'raced', token: `t${i}` })),
    );
    const answers = await Promise.all(racers.map((r) => r.next()));
    assert.equal(answers.filter((a) => a.type === 'OPEN').length, 1);
    assert.equal(answers.filter((a) => a.type === 'ID-TAKEN').length, 9);
  });

  it('the same token takes its id back on the other node; the stale socket is closed and messages follow', async () => {
    const first = await openKnown(one, 'moved-peer');
    const again = await openPeer(two.url, {
      id: 'moved-peer',
      token: new URL(first.ws.url).searchParams.get('token')!,
    });
    await first.closed;
    const sender = await openKnown(one);
    sender.send(offer('moved-peer'));
    assert.equal((await again.next()).src, sender.id);
  });

  it('messages wait on the sender node for an id that then connects on the other node', async () => {
    const a = await openKnown(one);
    a.send(offer('late-elsewhere', 'queued'));
    a.send({ type: 'CANDIDATE', dst: 'late-elsewhere', payload: { n: 2 } });
    const late = await openPeer(two.url, { id: 'late-elsewhere' });
    const first = await late.next();
    assert.equal(first.type, 'OFFER');
    assert.equal(first.src, a.id);
    assert.deepEqual((await late.next()).payload, { n: 2 });
  });

  it('an id connected nowhere expires, as on one node', async () => {
    const a = await openKnown(one);
    a.send(offer('nowhere-at-all'));
    assert.deepEqual(await a.next(), { type: 'EXPIRE', src: 'nowhere-at-all', dst: a.id });
  });

  it('through the nginx of docs/deploy: PeerJS sockets open and reach peers on either node', async () => {
    const direct = await openKnown(one);
    const viaLb = await Promise.all([openPeer(lb.url), openPeer(lb.url)]);
    for (const peer of viaLb) {
      peer.send(offer(direct.id));
      assert.equal((await direct.next()).src, peer.id);
    }
    assert.equal((await (await fetch(`${lb.url}/peerjs/peerjs/id`)).text()).length, 36);
  });

  it('discovery lists the ids of both nodes, on either node', async () => {
    const a = await openKnown(one);
    const b = await openKnown(two);
    for (const node of nodes) {
      const ids = (await (await fetch(`${node.url}/peerjs/peerjs/peers`)).json()) as string[];
      assert.ok(ids.includes(a.id) && ids.includes(b.id), `${node.url} lists both`);
    }
  });
});
