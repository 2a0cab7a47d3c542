/**
 * The SDK's logic that needs no browser: SignalingClient against a real server, on `/v1` (the
 * default) and on socket.io, from one table; and pure helpers.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type WebSocket from 'ws';
import {
  SignalingClient,
  SignalingError,
  type SignalingClientOptions,
  type SocketIoTransport,
  type WebSocketTransport,
} from '../packages/client/src/index.js';
import { isPolite, isSignalPayload } from '../packages/client/src/negotiation.js';
import { quality, summarizeStats } from '../packages/client/src/stats.js';
import type { PeerInfo, SignalEvent } from '../src/protocol/index.js';
import { NODE_WEBSOCKET, nextEvent } from './helpers/sdk.js';
import { startServer } from './helpers/server.js';

const server = await startServer({ maxPeersPerRoom: 2 });
const clients: SignalingClient[] = [];
after(() => clients.forEach((c) => c.close()));

/** Each transport, and how to cut its link under it as a network failure would. */
const TRANSPORTS = [
  {
    name: '/v1',
    key: 'v1',
    options: { WebSocket: NODE_WEBSOCKET } satisfies SignalingClientOptions,
    cut: (c: SignalingClient) => ((c.transport as WebSocketTransport).socket as unknown as WebSocket).terminate(),
    /** Every frame the server writes to `c` from now on. */
    written(c: SignalingClient): string[] {
      const frames: string[] = [];
      const socket = (c.transport as WebSocketTransport).socket as unknown as WebSocket;
      socket.on('message', (data) => frames.push(String(data)));
      return frames;
    },
    answer: /^\{"ack":\d+,"data":\{"ok":true\}\}$/,
  },
  {
    name: 'socket.io',
    key: 'sio',
    options: { transport: 'socket.io' } satisfies SignalingClientOptions,
    cut: (c: SignalingClient) => (c.transport as SocketIoTransport).socket!.io.engine.close(),
    written(c: SignalingClient): string[] {
      const frames: string[] = [];
      (c.transport as SocketIoTransport).socket!.io.engine.on(
        'packet',
        ({ type, data }: { type: string; data?: unknown }) => {
          if (type === 'message') frames.push(String(data));
        },
      );
      return frames;
    },
    answer: /^3\d+\[\{"ok":true\}\]$/,
  },
] as const;

for (const transport of TRANSPORTS) {
  describe(`SignalingClient on ${transport.name}`, () => {
    const client = (url = server.url): SignalingClient => {
      const c = new SignalingClient(url, { timeout: 5000, ...transport.options });
      clients.push(c);
      return c;
    };

    it('join, signal and leave are promises typed by the protocol', async () => {
      const [alice, bob] = [client(), client()];
      const a = await alice.join(`sdk-1-${transport.key}`, 'Alice');
      assert.equal(a.self.name, 'Alice');
      assert.equal(alice.state, 'connected');
      const seen = nextEvent<PeerInfo>(alice, 'peer-joined');
      const b = await bob.join(`sdk-1-${transport.key}`);
      assert.equal((await seen).id, b.self.id);
      const got = nextEvent<SignalEvent>(bob, 'signal');
      await alice.signal(b.self.id, { hello: 1 });
      assert.deepEqual(await got, { from: a.self.id, data: { hello: 1 } });
      await bob.leave();
    });

    it("a server error rejects with a SignalingError carrying the server's code", async () => {
      const alice = client();
      await alice.join(`sdk-2-${transport.key}`);
      await assert.rejects(alice.signal('nobody', 1), (err: unknown) => {
        assert.ok(err instanceof SignalingError);
        assert.equal(err.code, 'peer-not-found');
        return true;
      });
      await assert.rejects(alice.join('not a room'), { code: 'bad-request' });
    });

    it('send() relays without an answer from the server; a refused one comes back as an error event', async () => {
      const [alice, bob] = [client(), client()];
      await alice.join(`sdk-send-${transport.key}`);
      const b = await bob.join(`sdk-send-${transport.key}`);
      const written = transport.written(alice);
      const got = nextEvent<SignalEvent>(bob, 'signal');
      alice.send(b.self.id, { hello: 2 });
      assert.deepEqual((await got).data, { hello: 2 });
      // An acked signal after it: its answer is the first thing written back, nothing before it.
      await alice.signal(b.self.id, 'marker');
      assert.equal(written.length, 1, written.join(' | '));
      assert.match(written[0], transport.answer);

      const refused = nextEvent<SignalingError>(alice, 'error');
      alice.send('nobody', 1);
      const err = await refused;
      assert.ok(err instanceof SignalingError);
      assert.equal(err.code, 'peer-not-found');
    });

    it('a join over capacity rejects with room-full', async () => {
      const [a, b, c] = [client(), client(), client()];
      await a.join(`sdk-full-${transport.key}`);
      await b.join(`sdk-full-${transport.key}`);
      await assert.rejects(c.join(`sdk-full-${transport.key}`), { code: 'room-full' });
    });

    it('after its link drops, it resumes with the same id and room; its peers see it away, then back', async () => {
      const [alice, bob] = [client(), client()];
      const room = `sdk-3-${transport.key}`;
      await alice.join(room, 'Alice');
      await bob.join(room);
      const away = nextEvent<{ id: string }>(bob, 'peer-reconnecting');
      const back = nextEvent<{ id: string }>(bob, 'peer-resumed');
      const states: string[] = [];
      alice.on('connection-state', (state, reason) => states.push(`${state} ${reason}`));
      const oldId = alice.id!;
      transport.cut(alice);
      assert.deepEqual(await away, { id: oldId });
      assert.deepEqual(await back, { id: oldId });
      assert.equal(alice.id, oldId);
      assert.deepEqual(states, ['reconnecting link-lost', 'connected resumed']);
      // What bob sends now reaches her, under the same id.
      const got = nextEvent<SignalEvent>(alice, 'signal');
      await bob.signal(oldId, 'still here?');
      assert.equal((await got).data, 'still here?');
    });

    it('without a resume window, it reconnects and rejoins its room under a new id by itself', async () => {
      const noResume = await startServer({ resumeWindowMs: 0 });
      const [alice, bob] = [client(noResume.url), client(noResume.url)];
      await alice.join(`sdk-4-${transport.key}`, 'Alice');
      await bob.join(`sdk-4-${transport.key}`);
      const rejoined = nextEvent<{ self: PeerInfo; peers: PeerInfo[] }>(alice, 'joined');
      const left = nextEvent<{ id: string }>(bob, 'peer-left');
      const back = nextEvent<PeerInfo>(bob, 'peer-joined');
      const oldId = alice.id;
      transport.cut(alice);
      const result = await rejoined;
      assert.notEqual(result.self.id, oldId);
      assert.equal(result.self.name, 'Alice');
      assert.deepEqual(
        result.peers.map((p) => p.id),
        [bob.id],
      );
      assert.equal((await left).id, oldId);
      assert.equal((await back).id, result.self.id);
    });

    it('a closed client rejects requests with closed, and says why it closed', async () => {
      const c = client();
      c.close();
      assert.equal(c.state, 'closed');
      assert.equal(c.reason, 'client-closed');
      await assert.rejects(c.join(`sdk-4-${transport.key}`), { code: 'closed' });
    });
  });
}

describe('perfect negotiation roles', () => {
  it('exactly one side of every pair is polite', () => {
    for (const [a, b] of [
      ['a', 'b'],
      ['Zx', 'aA'],
      ['_-1', '-_1'],
    ])
      assert.notEqual(isPolite(a, b), isPolite(b, a));
  });

  it("only the SDK's own payloads are taken as signals", () => {
    assert.equal(isSignalPayload({ description: { type: 'offer', sdp: 'v=0' } }), true);
    assert.equal(isSignalPayload({ candidates: [] }), true);
    for (const other of [null, 1, 'x', {}, { description: { type: 'nope' } }, { candidates: 'x' }, { bye: true }]) {
      assert.equal(isSignalPayload(other), false, JSON.stringify(other));
    }
  });
});

describe('stats summary', () => {
  const report = (bytesIn: number, bytesOut: number) => [
    { type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: 0.042 },
    {
      type: 'inbound-rtp',
      kind: 'video',
      bytesReceived: bytesIn,
      packetsReceived: 990,
      packetsLost: 10,
      framesDecoded: 300,
    },
    { type: 'inbound-rtp', kind: 'audio', bytesReceived: 0, packetsReceived: 0, packetsLost: 0 },
    { type: 'outbound-rtp', kind: 'video', bytesSent: bytesOut },
  ];

  it('reads RTT, loss and frames; rates need a previous snapshot', () => {
    const first = summarizeStats(report(100_000, 50_000), 1000);
    assert.equal(first.stats.rttMs, 42);
    assert.equal(first.stats.packetLoss, 0.01);
    assert.equal(first.stats.framesDecoded, 300);
    assert.equal(first.stats.inboundKbps, null);
    const second = summarizeStats(report(350_000, 175_000), 3000, first.snapshot);
    assert.equal(second.stats.inboundKbps, 1000); // 250 kB in 2 s = 1 Mbit/s
    assert.equal(second.stats.outboundKbps, 500);
    assert.equal(second.stats.quality, 'good');
  });

  it('grades quality by round trip and loss', () => {
    assert.equal(quality(null, null), 'unknown');
    assert.equal(quality(40, 0), 'good');
    assert.equal(quality(200, 0.01), 'fair');
    assert.equal(quality(40, 0.05), 'fair');
    assert.equal(quality(500, 0), 'poor');
    assert.equal(quality(40, 0.2), 'poor');
  });
});
