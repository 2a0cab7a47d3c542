/**
 * Nothing lost on a reconnect, including what the server wrote to a link that had already died
 * without anyone noticing: a client that comes back within the resume window gets every signal and
 * event it missed, once, in the order it was sent — on one node, or on another node of a cluster.
 * The core numbers every event to a session and keeps the last few (src/server/core/session.ts);
 * these specs hold it to that promise, and to its one refusal: more events lost than are kept means
 * a new session, not a gap.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createClient } from 'redis';
import type { SignalEvent } from '../src/protocol/index.js';
import type { TsunaguServer } from '../src/server/index.js';
import { inboxKey } from '../src/server/core/cluster.js';
import { KEPT_EVENTS } from '../src/server/core/session.js';
import { EDGES, connect, joined, next, reconnecting, request, type Client, type Edge } from './helpers/clients.js';
import { openLink, type Link } from './helpers/link.js';
import { startRedis } from './helpers/processes.js';
import { startServer } from './helpers/server.js';

const server = await startServer();
const redis = await startRedis();
const nodes = [await startServer({ redis: redis.url }), await startServer({ redis: redis.url })];
after(() => redis.stop()); // after the nodes have closed

/** A client through `link`, reconnecting by itself as soon as it notices the link is gone. */
const through = (link: Link, edge: Edge): Promise<Client> => reconnecting(link.url, edge, 50);

/** `alice` (through a link) and `bob` in `room`, alice having heard bob arrive. */
async function pair(alice: Client, bob: Client, room: string): Promise<void> {
  await joined(alice, room);
  const heard = next(alice, 'peer-joined');
  await joined(bob, room);
  await heard;
}

/** Everything `client` receives from now on, as `event:data` strings (signals by their data). */
function transcript(client: Client): string[] {
  const seen: string[] = [];
  client.onAny((event: string, payload: unknown) => {
    const p = payload as Partial<SignalEvent> & { id?: string };
    seen.push(event === 'signal' ? `signal:${String(p.data)}` : `${event}:${p.id ?? ''}`);
  });
  return seen;
}

/** Lost signal `i`, the third a ~4 KB description (kept differently from short ones: see resume.ts). */
const lost = (i: number) => (i === 2 ? `lost-2 ${'a=x-padding:0123456789abcdef\r\n'.repeat(140)}` : `lost-${i}`);

const signal = async (from: Client, to: string, data: unknown) =>
  assert.deepEqual(await request(from, 'signal', { to, data }), { ok: true });

/**
 * Kills `client`'s link the way networks do: silent first (whatever `whileSilent` sends is written
 * into the void), then cut; the server notices (its peers hear `peer-reconnecting`) before the
 * client may reconnect, which it then does — to `port` if given.
 */
async function dieAndReturn(
  link: Link,
  client: Client,
  peer: Client,
  whileSilent: () => Promise<void>,
  whileAway: () => Promise<void> = async () => {},
  port?: number,
): Promise<boolean> {
  link.silence();
  await whileSilent();
  const away = next(peer, 'peer-reconnecting');
  link.cut();
  await away;
  await whileAway();
  const back = new Promise<boolean>((resolve) => client.once('connect', () => resolve(client.recovered)));
  link.release(port);
  return back;
}

/** Resolves once `client` has received a signal with `data` (after everything written before it). */
const received = (client: Client, data: string, ms = 5000) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for signal '${data}'`)), ms);
    const listener = (event: SignalEvent) => {
      if (event.data !== data) return;
      client.off('signal', listener);
      clearTimeout(timer);
      resolve();
    };
    client.on('signal', listener);
  });

/**
 * The cast of most specs: alice through a link to `node`, bob directly, both in `room`, alice
 * having heard bob arrive; `seen` is alice's transcript from then on.
 */
async function scene(room: string, edge: Edge, node: TsunaguServer = server) {
  const link = await openLink(node.port);
  const alice = await through(link, edge);
  const bob = await connect(node.url, edge);
  await pair(alice, bob, room);
  return { link, alice, bob, id: alice.id!, seen: transcript(alice) };
}

/** Bob's last word, once alice is back: everything before it has arrived when it does. */
async function lastWord(alice: Client, bob: Client): Promise<void> {
  const done = received(alice, 'after');
  await signal(bob, alice.id!, 'after');
  await done;
}

for (const edge of EDGES) {
  describe(`over ${edge}`, () => {
    describe('a link that dies unnoticed', () => {
      it('signals written into it (a 4 KB description among them) reach the client when it comes back: once, in order, before those sent while it was away', async () => {
        const { link, alice, bob, id, seen } = await scene(`resume-1-${edge}`, edge);
        await signal(bob, id, 'before');
        await received(alice, 'before');

        const recovered = await dieAndReturn(
          link,
          alice,
          bob,
          async () => {
            for (let i = 0; i < 5; i++) await signal(bob, id, lost(i));
          },
          async () => {
            for (let i = 0; i < 2; i++) await signal(bob, id, `away-${i}`);
          },
        );
        assert.equal(recovered, true);
        assert.equal(alice.id, id);
        await lastWord(alice, bob);
        assert.deepEqual(seen, [
          'signal:before',
          ...[0, 1, 2, 3, 4].map((i) => `signal:${lost(i)}`),
          'signal:away-0',
          'signal:away-1',
          'signal:after',
        ]);
      });

      it('a presence event written among the lost signals comes back in its place', async () => {
        const carol = await connect(server.url, edge);
        const { link, alice, bob, id, seen } = await scene(`resume-2-${edge}`, edge);
        await signal(bob, id, 'before');
        await received(alice, 'before');
        const recovered = await dieAndReturn(link, alice, bob, async () => {
          await signal(bob, id, 'lost-0');
          await joined(carol, `resume-2-${edge}`);
          await signal(bob, id, 'lost-1');
        });
        assert.equal(recovered, true);
        await lastWord(alice, bob);
        assert.deepEqual(seen, [
          'signal:before',
          'signal:lost-0',
          `peer-joined:${carol.id}`,
          'signal:lost-1',
          'signal:after',
        ]);
      });

      it('a client whose last packet was a presence event gets only what came after it', async () => {
        const carol = await connect(server.url, edge);
        const { link, alice, bob, id, seen } = await scene(`resume-3-${edge}`, edge);
        await signal(bob, id, 'before');
        const heard = next(alice, 'peer-joined');
        await joined(carol, `resume-3-${edge}`);
        await heard; // alice's last packet is now the peer-joined, not a signal
        const recovered = await dieAndReturn(link, alice, bob, async () => {
          await signal(bob, id, 'lost-0');
          await signal(carol, id, 'lost-1');
        });
        assert.equal(recovered, true);
        await lastWord(alice, bob);
        assert.deepEqual(seen, [
          'signal:before',
          `peer-joined:${carol.id}`,
          'signal:lost-0',
          'signal:lost-1',
          'signal:after',
        ]);
      });

      it('it can die again right after coming back: nothing is replayed twice', async () => {
        const { link, alice, bob, id, seen } = await scene(`resume-4-${edge}`, edge);
        const first = received(alice, 'first');
        assert.equal(await dieAndReturn(link, alice, bob, () => signal(bob, id, 'first')), true);
        await first;
        assert.equal(await dieAndReturn(link, alice, bob, () => signal(bob, id, 'second')), true);
        await lastWord(alice, bob);
        assert.deepEqual(
          seen.filter((e) => e.startsWith('signal:')),
          ['signal:first', 'signal:second', 'signal:after'],
        );
      });

      if (edge === 'socket.io')
        it('a signal carrying binary data is relayed as binary, and comes back as binary', async () => {
          const { link, alice, bob, id } = await scene(`resume-bin-${edge}`, edge);
          const got: unknown[] = [];
          alice.on('signal', ({ data }: SignalEvent) => got.push(data));
          await signal(bob, id, { bytes: Buffer.from('before') });
          const synced = received(alice, 'sync');
          await signal(bob, id, 'sync');
          await synced;
          const recovered = await dieAndReturn(link, alice, bob, () => signal(bob, id, { bytes: Buffer.from('lost') }));
          assert.equal(recovered, true);
          await lastWord(alice, bob);
          assert.deepEqual(got, [{ bytes: Buffer.from('before') }, 'sync', { bytes: Buffer.from('lost') }, 'after']);
        });

      it(`with more than ${KEPT_EVENTS} signals lost, the client starts a new session instead of resuming with a gap`, async () => {
        const { link, alice, bob, id } = await scene(`resume-5-${edge}`, edge);
        await signal(bob, id, 'before');
        await received(alice, 'before');
        const recovered = await dieAndReturn(link, alice, bob, async () => {
          for (let i = 0; i <= KEPT_EVENTS; i++) await signal(bob, id, `lost-${i}`);
        });
        assert.equal(recovered, false);
        assert.notEqual(alice.id, id);
      });
    });

    /**
     * The commonest case in a real call: the joiner, waiting for the answer to its offer, has received
     * nothing but its join ack (and the offset that comes right after it) when its link drops.
     */
    async function cutAfterJoin(room: string, edge: Edge, node: TsunaguServer, returnTo?: TsunaguServer) {
      const bob = await connect(node.url, edge);
      await joined(bob, room);
      const link = await openLink(node.port);
      const alice = await through(link, edge);
      // socket.io's client can resume once it has an offset, which comes right after the join ack; a
      // /v1 client has its resume secret in the join ack itself.
      const offset = edge === 'socket.io' ? next(alice, 'session') : undefined;
      const ack = await joined(alice, room);
      await offset;
      const seen = transcript(alice);
      const id = alice.id!;
      assert.deepEqual(
        ack.peers.map((p) => p.id),
        [bob.id],
      );
      const recovered = await dieAndReturn(
        link,
        alice,
        bob,
        async () => {},
        async () => {
          for (let i = 0; i < 8; i++) await signal(bob, id, `meanwhile-${i}`);
        },
        returnTo?.port,
      );
      assert.equal(recovered, true);
      assert.equal(alice.id, id);
      await lastWord(alice, bob);
      assert.deepEqual(seen, [...Array(8).keys()].map((i) => `signal:meanwhile-${i}`).concat('signal:after'));
    }

    if (edge === 'socket.io')
      describe('which drops may resume', () => {
        it("every reason socket.io can recover from is one the core keeps a place for ('forced server close' too)", async () => {
          const link = await openLink(server.port);
          const alice = await through(link, edge);
          const bob = await connect(server.url, edge);
          await pair(alice, bob, `resume-reasons-${edge}`);
          const id = alice.id!;
          const bobSaw = transcript(bob);
          const back = next<{ id: string }>(bob, 'peer-resumed');
          const reconnected = new Promise<boolean>((resolve) => alice.once('connect', () => resolve(alice.recovered)));
          // A second CONNECT on a connected socket is an invalid state: socket.io closes the client
          // with 'forced server close', a reason its client may recover from.
          alice.io.engine.send('40');
          assert.deepEqual(await back, { id });
          assert.equal(await reconnected, true);
          assert.equal(alice.id, id);
          assert.deepEqual(bobSaw, [`peer-reconnecting:${id}`, `peer-resumed:${id}`]);
        });
      });

    describe('resumable from the join ack on', () => {
      it('a client cut right after its join ack comes back with its id and every signal sent meanwhile, once, in order', () =>
        cutAfterJoin(`resume-ack-${edge}`, edge, server));
    });

    describe('a link that dies unnoticed, in a cluster', () => {
      it('the client may come back on another node: the lost signals follow it there', async () => {
        const { link, alice, bob, id, seen } = await scene(`resume-x-${edge}`, edge, nodes[0]);
        await signal(bob, id, 'before');
        await received(alice, 'before');
        const recovered = await dieAndReturn(
          link,
          alice,
          bob,
          async () => {
            for (let i = 0; i < 3; i++) await signal(bob, id, lost(i));
          },
          () => signal(bob, id, 'away'),
          nodes[1].port,
        );
        assert.equal(recovered, true);
        assert.ok(nodes[1].core.sessions.get(id)?.link, 'alice is back, on the other node');
        await lastWord(alice, bob);
        assert.deepEqual(seen, [
          'signal:before',
          ...[0, 1, 2].map((i) => `signal:${lost(i)}`),
          'signal:away',
          'signal:after',
        ]);
      });

      it('a client cut right after its join ack comes back on the other node with every signal sent meanwhile', () =>
        cutAfterJoin(`resume-ack-x-${edge}`, edge, nodes[0], nodes[1]));

      it('a client of a quiet call resumes though everything it was sent is long let go of', async () => {
        const { link, alice, bob, id, seen } = await scene(`resume-quiet-${edge}`, edge, nodes[0]);
        await signal(bob, id, 'before');
        await received(alice, 'before');
        // What was written longer ago than a dead link can go unnoticed is let go of (the core's sweep,
        // every 45 s): here, of everything so far.
        nodes[0].core.sessions.get(id)!.forget(Date.now() + 1);
        assert.equal(await dieAndReturn(link, alice, bob, async () => {}), true);
        assert.equal(alice.id, id);
        await lastWord(alice, bob);
        assert.deepEqual(seen, ['signal:before', 'signal:after']);
      });

      it('a signal between two peers of one node never touches Redis; one across nodes does', async () => {
        const [a, b, c] = [
          await connect(nodes[0].url, edge),
          await connect(nodes[0].url, edge),
          await connect(nodes[1].url, edge),
        ];
        for (const client of [a, b, c]) await joined(client, `resume-hot-${edge}`);
        const here = received(b, 'same-node-7f3a');
        await signal(a, b.id!, 'same-node-7f3a');
        await here;
        const there = received(c, 'cross-node-7f3a');
        await signal(a, c.id!, 'cross-node-7f3a');
        await there;
        const client = createClient({ url: redis.url });
        await client.connect();
        const inbox = async (i: number) => JSON.stringify(await client.xRange(inboxKey(nodes[i].core.node), '-', '+'));
        const [first, second] = [await inbox(0), await inbox(1)];
        await client.close();
        assert.ok(second.includes('cross-node-7f3a'), "the cross-node signal went through the target node's inbox");
        assert.ok(!first.includes('cross-node-7f3a'), 'and through no other inbox');
        assert.ok(
          !first.includes('same-node-7f3a') && !second.includes('same-node-7f3a'),
          'the same-node signal did not',
        );
      });
    });
  });
}
