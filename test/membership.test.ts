/**
 * A room's members are its connected and away sessions, the one source for capacity, the join ack
 * and presence — the same on one node and in a cluster.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import type { PeerInfo, Result } from '../src/protocol/index.js';
import type { TsunaguServer } from '../src/server/index.js';
import { connect, joined, next, request, type Client } from './helpers/clients.js';
import { openLink, type Link } from './helpers/link.js';
import { startRedis } from './helpers/processes.js';
import { startServer } from './helpers/server.js';

/** A client through `link`, reconnecting by itself as soon as it notices the link is gone. */
async function through(link: Link): Promise<Client> {
  const client: Client = io(link.url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 50 });
  after(() => void client.disconnect());
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return client;
}

/** A through `link` to `nodes[0]`, B on `nodes[last]`, both in `room`; then A's link is cut and B sees it away. */
async function awayScene(nodes: readonly TsunaguServer[], room: string) {
  const link = await openLink(nodes[0].port);
  const a = await through(link);
  const b = await connect(nodes[nodes.length - 1].url);
  await joined(a, room);
  await joined(b, room);
  const aId = a.id!;
  const away = next<{ id: string }>(b, 'peer-reconnecting');
  link.cut();
  assert.deepEqual(await away, { id: aId });
  return { link, a, aId, b };
}

const redis = await startRedis();
const single = await startServer({ maxPeersPerRoom: 2 });
const singleOf3 = await startServer({ maxPeersPerRoom: 3 });
const pair2 = [
  await startServer({ redis: redis.url, maxPeersPerRoom: 2 }),
  await startServer({ redis: redis.url, maxPeersPerRoom: 2 }),
];
const pair3 = [
  await startServer({ redis: redis.url, maxPeersPerRoom: 3 }),
  await startServer({ redis: redis.url, maxPeersPerRoom: 3 }),
];
after(() => redis.stop()); // after the nodes have closed

for (const [where, two, three] of [
  ['on one node', [single], [singleOf3]],
  ['in a cluster', pair2, pair3],
] as const) {
  describe(`away members count, ${where}`, () => {
    it('capacity 2: with A away, a third peer is refused room-full', async () => {
      await awayScene(two, `cap2-${two.length}`);
      const c = await connect(two[0].url);
      const result = await request(c, 'join', { room: `cap2-${two.length}` });
      assert.equal((result as Result & { ok: false }).error?.code, 'room-full');
    });

    it("capacity 3: the newcomer's ack lists A as away, and it hears peer-resumed when A returns", async () => {
      const room = `cap3-${three.length}`;
      const { link, aId, b } = await awayScene(three, room);
      const c = await connect(three[0].url);
      const ack = await joined(c, room);
      const byId = new Map<string, PeerInfo>(ack.peers.map((p) => [p.id, p]));
      assert.deepEqual(byId.get(aId), { id: aId, name: null, away: true });
      assert.deepEqual(byId.get(b.id!), { id: b.id, name: null });
      const back = next<{ id: string }>(c, 'peer-resumed');
      link.release();
      assert.deepEqual(await back, { id: aId });
    });
  });
}
