/** Protocol v1 — rooms, presence and targeted signals, as a real client sees them. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { PeerInfo, PeerLeftEvent, SignalEvent } from '../src/protocol/index.js';
import { EDGES, connect, joined, next, record, request, settle } from './helpers/clients.js';
import { serverPerEdge, startServer } from './helpers/server.js';

const servers = await serverPerEdge({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });

for (const edge of EDGES) {
  describe(`over ${edge}`, () => {
    const server = servers[edge];
    describe('join', () => {
      it('answers with self, the peers already there and the configured ICE servers', async () => {
        const alice = await connect(server.url, edge);
        const bob = await connect(server.url, edge);
        const a = await joined(alice, 'join-1', 'Alice');
        assert.deepEqual(a.self, { id: alice.id, name: 'Alice' });
        assert.deepEqual(a.peers, []);
        assert.deepEqual(a.iceServers, [{ urls: 'stun:127.0.0.1:3478' }]);

        const announced = next<PeerInfo>(alice, 'peer-joined');
        const b = await joined(bob, 'join-1');
        assert.deepEqual(b.self, { id: bob.id, name: null });
        assert.deepEqual(b.peers, [{ id: alice.id, name: 'Alice' }]);
        assert.deepEqual(await announced, { id: bob.id, name: null });
      });

      it('switching rooms leaves the first: its peers get peer-left, the new room gets peer-joined', async () => {
        const alice = await connect(server.url, edge);
        const bob = await connect(server.url, edge);
        const carol = await connect(server.url, edge);
        await joined(alice, 'switch-a');
        await joined(bob, 'switch-a');
        await joined(carol, 'switch-b');

        const left = next<PeerLeftEvent>(bob, 'peer-left');
        const arrived = next<PeerInfo>(carol, 'peer-joined');
        const result = await joined(alice, 'switch-b');
        assert.deepEqual(await left, { id: alice.id, reason: 'left' });
        assert.equal((await arrived).id, alice.id);
        assert.deepEqual(
          result.peers.map((p) => p.id),
          [carol.id],
        );

        const toOldRoom = await request(alice, 'signal', { to: bob.id, data: 'hi' });
        assert.equal(toOldRoom.ok, false);
      });

      it('joining the room one is already in changes nothing and announces nothing', async () => {
        const alice = await connect(server.url, edge);
        const bob = await connect(server.url, edge);
        await joined(alice, 'rejoin');
        await joined(bob, 'rejoin');
        const seen = record(bob);
        const again = await joined(alice, 'rejoin');
        assert.deepEqual(
          again.peers.map((p) => p.id),
          [bob.id],
        );
        await settle(bob);
        assert.deepEqual(seen, []);
      });

      it('a name is trimmed; a room name is used exactly as given', async () => {
        const alice = await connect(server.url, edge);
        const a = await joined(alice, 'Case.Sensitive_room-1', '  Alice  ');
        assert.equal(a.self.name, 'Alice');
        const bob = await connect(server.url, edge);
        const b = await joined(bob, 'case.sensitive_room-1');
        assert.deepEqual(b.peers, []);
      });
    });

    describe('signal', () => {
      it('reaches only the addressed peer, with `from` stamped by the server', async () => {
        const [alice, bob, carol] = await Promise.all([
          connect(server.url, edge),
          connect(server.url, edge),
          connect(server.url, edge),
        ]);
        await joined(alice, 'sig-1');
        await joined(bob, 'sig-1');
        await joined(carol, 'sig-1');
        const carolSaw = record(carol);

        const received = next<SignalEvent>(bob, 'signal');
        const ack = await request(alice, 'signal', {
          to: bob.id,
          data: { description: { type: 'offer', sdp: 'v=0' } },
        });
        assert.deepEqual(ack, { ok: true });
        assert.deepEqual(await received, { from: alice.id, data: { description: { type: 'offer', sdp: 'v=0' } } });
        await settle(carol);
        assert.deepEqual(carolSaw, []);
      });

      it('`from` cannot be forged: a `from` in the payload is ignored', async () => {
        const [alice, bob, carol] = await Promise.all([
          connect(server.url, edge),
          connect(server.url, edge),
          connect(server.url, edge),
        ]);
        for (const c of [alice, bob, carol]) await joined(c, 'forge');
        const received = next<SignalEvent>(bob, 'signal');
        await request(alice, 'signal', { to: bob.id, from: carol.id, data: { from: carol.id } });
        const event = await received;
        assert.equal(event.from, alice.id);
        assert.deepEqual(Object.keys(event).sort(), ['data', 'from']);
      });

      it('keeps the order in which one sender sent', async () => {
        const [alice, bob] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        await joined(alice, 'order');
        await joined(bob, 'order');
        const got: unknown[] = [];
        const all = new Promise<void>((resolve) =>
          bob.on('signal', ({ data }) => {
            got.push(data);
            if (got.length === 100) resolve();
          }),
        );
        for (let i = 0; i < 100; i++) alice.emit('signal', { to: bob.id!, data: i });
        await all;
        assert.deepEqual(got, [...Array(100).keys()]);
      });

      it('to a peer in another room is peer-not-found, and nothing is delivered', async () => {
        const [alice, bob] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        await joined(alice, 'iso-a');
        await joined(bob, 'iso-b');
        const bobSaw = record(bob);
        const ack = await request(alice, 'signal', { to: bob.id, data: 'x' });
        assert.equal(ack.ok, false);
        assert.equal(!ack.ok && ack.error.code, 'peer-not-found');
        await settle(bob);
        assert.deepEqual(bobSaw, []);
      });

      it('to oneself or to an unknown id is peer-not-found', async () => {
        const alice = await connect(server.url, edge);
        await joined(alice, 'self');
        for (const to of [alice.id, 'no-such-peer']) {
          const ack = await request(alice, 'signal', { to, data: 1 });
          assert.equal(!ack.ok && ack.error.code, 'peer-not-found');
        }
      });

      it('before joining is not-in-room', async () => {
        const [alice, bob] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        const ack = await request(alice, 'signal', { to: bob.id, data: 1 });
        assert.equal(!ack.ok && ack.error.code, 'not-in-room');
      });
    });

    describe('room isolation', () => {
      it('a peer in room A never receives anything sent in room B', async () => {
        const [a1, a2, b1, b2] = await Promise.all([1, 2, 3, 4].map(() => connect(server.url, edge)));
        await joined(a1, 'A');
        await joined(a2, 'A');
        const a1Saw = record(a1);
        const a2Saw = record(a2);
        await joined(b1, 'B');
        await joined(b2, 'B');
        await request(b1, 'signal', { to: b2.id, data: 'for b2' });
        await request(b1, 'message', { type: 'offer', sdp: 'v=0' });
        await request(b1, 'leave');
        b2.disconnect();
        await settle(b1);
        await Promise.all([settle(a1), settle(a2)]);
        assert.deepEqual(a1Saw, []);
        assert.deepEqual(a2Saw, []);
      });

      it("a room whose name is another socket's id does not reach that socket", async () => {
        const [victim, attacker] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        await joined(victim, 'elsewhere');
        const victimSaw = record(victim);
        const id = victim.id!;
        assert.match(id, /^[A-Za-z0-9._-]{1,64}$/, 'socket ids are valid room names, which is the danger');
        await joined(attacker, id);
        await request(attacker, 'message', 'hello');
        await settle(victim);
        assert.deepEqual(victimSaw, []);
      });
    });

    describe('leave and disconnect', () => {
      it('leave takes no payload: none, null or {} are all answered ok', async () => {
        const client = await connect(server.url, edge);
        for (const payload of [[], [null], [{}]]) {
          await joined(client, 'leave-payloads');
          assert.deepEqual(await request(client, 'leave', ...payload), { ok: true }, JSON.stringify(payload));
        }
      });

      it('leave is acknowledged and the others get peer-left with reason left', async () => {
        const [alice, bob] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        await joined(alice, 'leave-1');
        await joined(bob, 'leave-1');
        const left = next<PeerLeftEvent>(bob, 'peer-left');
        assert.deepEqual(await request(alice, 'leave'), { ok: true });
        assert.deepEqual(await left, { id: alice.id, reason: 'left' });
        const again = await request(alice, 'leave');
        assert.equal(!again.ok && again.error.code, 'not-in-room');
      });

      it('a dropped connection is peer-left with reason disconnected', async () => {
        const [alice, bob] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        await joined(alice, 'drop');
        await joined(bob, 'drop');
        const left = next<PeerLeftEvent>(bob, 'peer-left');
        const aliceId = alice.id;
        alice.disconnect();
        assert.deepEqual(await left, { id: aliceId, reason: 'disconnected' });
        const b = await joined(bob, 'drop');
        assert.deepEqual(b.peers, []);
      });
    });

    describe('several calls on one server', () => {
      it('ten pairs in ten rooms each signal only their own partner', async () => {
        const pairs = await Promise.all(
          [...Array(10).keys()].map(async (i) => {
            const [x, y] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
            await joined(x, `pair-${i}`);
            await joined(y, `pair-${i}`);
            return { i, x, y };
          }),
        );
        await Promise.all(
          pairs.map(async ({ i, x, y }) => {
            const got = next<SignalEvent>(y, 'signal');
            await request(x, 'signal', { to: y.id, data: `pair ${i}` });
            assert.deepEqual(await got, { from: x.id, data: `pair ${i}` });
          }),
        );
      });
    });

    describe('signal payloads, with and without a resume window', () => {
      for (const resumeWindowMs of [30_000, 0]) {
        it(`a 6 KB description, a candidate (and over socket.io binary data) arrive as sent (resume window ${resumeWindowMs} ms)`, async () => {
          const node = resumeWindowMs === 0 ? await startServer({ resumeWindowMs: 0 }) : server;
          try {
            const [alice, bob] = [await connect(node.url, edge), await connect(node.url, edge)];
            await joined(alice, `payloads-${resumeWindowMs}`);
            await joined(bob, `payloads-${resumeWindowMs}`);
            const sdp = `v=0\r\n${'a=candidate:1 1 udp 2122260223 192.0.2.2 40000 typ host\r\n'.repeat(100)}`;
            for (const data of [
              { description: { type: 'offer', sdp } }, // relayed as the text its sender wrote
              { candidates: [{ candidate: 'candidate:1 1 udp 1 192.0.2.2 9 typ host', sdpMid: '0' }] },
              // Binary data: socket.io carries it as attachments; /v1 frames are JSON text only.
              ...(edge === 'socket.io' ? [{ blob: Buffer.from([0, 1, 2, 255]) }] : []),
            ]) {
              const got = next<SignalEvent>(bob, 'signal');
              assert.deepEqual(await request(alice, 'signal', { to: bob.id, data }), { ok: true });
              assert.deepEqual(await got, { from: alice.id, data });
            }
            alice.disconnect();
            bob.disconnect();
          } finally {
            if (node !== server) await node.close();
          }
        });
      }
    });
  });
}

describe('over v1, frames as any client may write them', () => {
  const server = servers.v1;

  /** A raw `/v1` socket: the frames it receives, in order, parsed. */
  async function raw(): Promise<{ ws: WebSocket; frame(): Promise<V1Frame> }> {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1`);
    const frames: V1Frame[] = [];
    const waiting: Array<(f: V1Frame) => void> = [];
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as V1Frame;
      const w = waiting.shift();
      if (w) w(f);
      else frames.push(f);
    });
    after(() => ws.terminate());
    await once(ws, 'open');
    return {
      ws,
      frame: () =>
        frames.length > 0
          ? Promise.resolve(frames.shift()!)
          : Promise.race([
              new Promise<V1Frame>((resolve) => waiting.push(resolve)),
              once(ws, 'close').then(() => Promise.reject(new Error('closed'))),
            ]),
    };
  }

  it('a join sent before the welcome is answered after it: a client may be ready after one round trip', async () => {
    const client = await raw();
    client.ws.send(JSON.stringify({ event: 'join', data: { room: 'at-once' }, ack: 1 }));
    const welcome = await client.frame();
    assert.equal(welcome.event, 'welcome');
    const answer = await client.frame();
    assert.equal(answer.ack, 1);
    assert.equal((answer.data as { self: { id: string } }).self.id, (welcome.data as { id: string }).id);
  });

  it('a signal written with other key orders, spaces or a second `to` inside arrives as the value it is', async () => {
    const [alice, bob] = [await raw(), await raw()];
    const ids: string[] = [];
    for (const [i, c] of [alice, bob].entries()) {
      c.ws.send(JSON.stringify({ event: 'join', data: { room: 'shapes' }, ack: 1 }));
      ids[i] = ((await c.frame()).data as { id: string }).id;
      assert.equal((await c.frame()).ack, 1);
    }
    await alice.frame(); // bob's peer-joined
    const bobId = ids[1]!;
    const data = { description: { type: 'offer', sdp: 'v=0' }, to: 'someone-else' };
    for (const frame of [
      `{"event":"signal","data":{"to":${JSON.stringify(bobId)},"data":${JSON.stringify(data)}}}`,
      `{"data":{"data":${JSON.stringify(data)},"to":${JSON.stringify(bobId)}},"event":"signal"}`,
      `{ "event" : "signal", "data" : { "to" : ${JSON.stringify(bobId)}, "data" : ${JSON.stringify(data, null, 2)} } }`,
      `{"event":"signal","data":{"to":${JSON.stringify(bobId)},"data":{"x":1}},"ack":7}`,
    ]) {
      alice.ws.send(frame);
      const got = await bob.frame();
      assert.equal(got.event, 'signal');
      const expected = frame.endsWith('"ack":7}') ? { x: 1 } : data;
      assert.deepEqual(got.data, { from: ids[0], data: expected });
    }
    assert.deepEqual((await alice.frame()).data, { ok: true }); // the ack of the last one
  });
});

interface V1Frame {
  event?: string;
  ack?: number;
  seq?: number;
  data: unknown;
}
