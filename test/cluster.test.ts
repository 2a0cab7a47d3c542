/**
 * Three nodes sharing Redis, with a real nginx in front: rooms, presence, signals, the classic
 * relay and room capacity behave as on one node, whichever node each peer is on. Every spec runs
 * twice: on one redis-server, and on a real 3-master Redis Cluster.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { PeerInfo, SignalEvent } from '../src/protocol/index.js';
import type { TsunaguServer } from '../src/server/index.js';
import {
  EDGES,
  connect,
  joined,
  next,
  reconnecting,
  record,
  request,
  settle,
  type Client,
  type Edge,
} from './helpers/clients.js';
import { startNginx, startRedis } from './helpers/processes.js';
import { startRedisCluster } from './helpers/redis-cluster.js';
import { startServer } from './helpers/server.js';

/** Three nodes on `redis` (with `--redis-cluster` when it is a cluster's seed list) behind nginx. */
async function cluster(redis: string, redisCluster: boolean) {
  const nodes: TsunaguServer[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await startServer({ redis, redisCluster }));
  const lb = await startNginx(nodes.map((n) => n.port));
  return { nodes, lb };
}

const single = await startRedis();
const redisCluster = await startRedisCluster(3);
const backends = [
  { name: 'one redis-server', ...(await cluster(single.url, false)) },
  { name: 'a 3-master Redis Cluster', ...(await cluster(redisCluster.urls, true)) },
];
after(() => Promise.all([single.stop(), redisCluster.stop()])); // after the nodes have closed

for (const { name, nodes, lb } of backends) {
  /** Which node holds a client's socket. */
  const nodeOf = (client: Client) => nodes.findIndex((n) => n.core.sessions.get(client.id!)?.link);

  /** One client on each node, connected directly: the test knows who is where. */
  async function onEachNode(edge: Edge): Promise<Client[]> {
    return Promise.all(nodes.map((n) => connect(n.url, edge)));
  }

  for (const edge of EDGES) {
    describe(`three nodes, ${name}, over ${edge}`, () => {
      it('presence is cluster-wide: the join ack lists peers on other nodes, and they hear peer-joined', async () => {
        const [a, b, c] = await onEachNode(edge);
        await joined(a, `x-presence-${edge}`, 'A');
        const heardB = next<PeerInfo>(a, 'peer-joined');
        const bJoin = await joined(b, `x-presence-${edge}`, 'B');
        assert.deepEqual(bJoin.peers, [{ id: a.id, name: 'A' }]);
        assert.deepEqual(await heardB, { id: b.id, name: 'B' });
        const heardC = Promise.all([next<PeerInfo>(a, 'peer-joined'), next<PeerInfo>(b, 'peer-joined')]);
        const cJoin = await joined(c, `x-presence-${edge}`, 'C');
        assert.deepEqual(cJoin.peers.map((p) => p.name).sort(), ['A', 'B']);
        assert.deepEqual(
          (await heardC).map((p) => p.id),
          [c.id, c.id],
        );
        const left = next(a, 'peer-left');
        await request(c, 'leave');
        assert.deepEqual(await left, { id: c.id, reason: 'left' });
      });

      it('a signal reaches its target on another node, from stamped, in order; other rooms hear nothing', async () => {
        const [a, b, c] = await onEachNode(edge);
        await joined(a, `x-signal-${edge}`);
        await joined(b, `x-signal-${edge}`);
        await joined(c, `x-other-${edge}`);
        const cSaw = record(c);
        const got: unknown[] = [];
        const all = new Promise<void>((resolve) =>
          b.on('signal', ({ from, data }: SignalEvent) => {
            assert.equal(from, a.id);
            got.push(data);
            if (got.length === 50) resolve();
          }),
        );
        for (let i = 0; i < 50; i++) assert.deepEqual(await request(a, 'signal', { to: b.id, data: i }), { ok: true });
        await all;
        assert.deepEqual(got, [...Array(50).keys()]);
        const wrongRoom = await request(a, 'signal', { to: c.id, data: 'x' });
        assert.equal(!wrongRoom.ok && wrongRoom.error.code, 'peer-not-found');
        await settle(c);
        assert.deepEqual(cSaw, []);
      });

      it('the classic relay crosses nodes: socket.send reaches lobby clients on the others', async () => {
        const [a, b, c] = await onEachNode(edge);
        const toB = next(b, 'message');
        const toC = next(c, 'message');
        a.send({ type: 'offer', sdp: 'v=0' });
        assert.deepEqual(await toB, { type: 'offer', sdp: 'v=0' });
        assert.deepEqual(await toC, { type: 'offer', sdp: 'v=0' });
        const gone = next(b, 'user disconnected');
        c.disconnect();
        await gone;
      });

      it('through nginx: clients land on different nodes and still call each other', async () => {
        const clients = await Promise.all([1, 2, 3, 4, 5, 6].map(() => connect(lb.url, edge)));
        assert.ok(new Set(clients.map(nodeOf)).size >= 2, 'nginx spread the clients over the nodes');
        for (const client of clients) await joined(client, `x-lb-${edge}`);
        const [first, ...rest] = clients;
        await Promise.all(
          rest.map(async (peer) => {
            const got = next<SignalEvent>(peer, 'signal');
            await request(first, 'signal', { to: peer.id, data: 'hello' });
            assert.equal((await got).from, first.id);
          }),
        );
      });

      it('capacity holds cluster-wide: 20 clients racing for 8 places on three nodes, exactly 8 get in', async () => {
        const clients = await Promise.all([...Array(20).keys()].map((i) => connect(nodes[i % 3].url, edge)));
        const answers = await Promise.all(clients.map((c) => request(c, 'join', { room: `x-race-${edge}` })));
        const admitted = answers.filter((a) => a.ok).length;
        const full = answers.filter((a) => !a.ok && a.error.code === 'room-full').length;
        assert.equal(admitted, 8);
        assert.equal(full, 12);
        // A place freed on one node is free for a client on another.
        const inside = clients.filter((_, i) => answers[i].ok);
        const outside = clients.find((_, i) => !answers[i].ok && nodeOf(clients[i]) !== nodeOf(inside[0]))!;
        await request(inside[0], 'leave');
        assert.deepEqual((await request(outside, 'join', { room: `x-race-${edge}` })).ok, true);
      });
    });

    describe(`nothing lost on a short drop, ${name}, over ${edge}`, () => {
      it('a client cut off meanwhile receives every signal sent to it, once, in order; its peer never sees peer-left', async () => {
        // Through nginx, so it may well come back on another node: the session lives in Redis.
        const alice = await reconnecting(lb.url, edge, 1500);
        const bob = await connect(lb.url, edge);
        await joined(alice, `x-resume-${nodes[0].port}-${edge}`);
        await joined(bob, `x-resume-${nodes[0].port}-${edge}`);
        const bobSaw = record(bob);
        const aliceId = alice.id;
        const received: unknown[] = [];
        alice.on('signal', ({ data }: SignalEvent) => received.push(data));

        const away = next<{ id: string }>(bob, 'peer-reconnecting');
        alice.io.engine.close(); // cut: the transport dies, socket.io-client reconnects in 1.5 s
        assert.deepEqual(await away, { id: aliceId });
        for (let i = 0; i < 20; i++)
          assert.deepEqual(await request(bob, 'signal', { to: aliceId, data: i }), { ok: true });
        const back = next<{ id: string }>(bob, 'peer-resumed');
        await new Promise<void>((resolve) => alice.once('connect', resolve));
        assert.equal(alice.recovered, true);
        assert.equal(alice.id, aliceId);
        assert.deepEqual(await back, { id: aliceId });
        // One more after the return, then a round trip to be sure everything before it has arrived.
        const last = next(alice, 'signal');
        await request(bob, 'signal', { to: aliceId, data: 'after' });
        await last;
        assert.deepEqual(received, [...Array(20).keys(), 'after']);
        await settle(bob);
        assert.deepEqual(
          bobSaw.map((e) => e.event),
          ['peer-reconnecting', 'peer-resumed'],
        );
        alice.disconnect();
      });
    });
  }
}
