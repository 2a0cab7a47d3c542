/**
 * Property: whatever arrives — random values, prototype-pollution keys, deep nesting, huge strings,
 * binary — every event is answered with a result or a known error code, nothing else is emitted to
 * anyone, the server stays up, and its heap stays bounded.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { errorCodes, type Result } from '../src/protocol/index.js';
import { connect, joined, record, request, settle } from './helpers/clients.js';
import { openPeer } from './helpers/peerjs.js';
import { startNode } from './helpers/processes.js';
import { rawClient } from './helpers/raw-client.js';
import { startServer } from './helpers/server.js';

// A generous rate: this test is about payloads, the rate limit has its own.
const server = await startServer({ rateLimit: 1_000_000, rateBurst: 1_000_000 });
const codes = new Set(Object.keys(errorCodes));

const nasty = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.anything({ withBigInt: false, withBoxedValues: false, withTypedArray: false, withMap: false, withSet: false }),
    fc.string({ maxLength: 100 }),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
    fc.constant(JSON.parse('{"__proto__":{"polluted":true,"room":"x"},"constructor":{"prototype":{"polluted":true}}}')),
    fc.constant('x'.repeat(70_000)),
    fc.constant(Array.from({ length: 200 }).reduce<unknown>((inner) => [inner], 'deep')),
    fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
    fc.dictionary(fc.constantFrom('room', 'name', 'to', 'data', '__proto__', 'constructor'), tie('value'), {
      maxKeys: 4,
    }),
  ),
}));

describe('fuzzing every event', () => {
  it('random and malformed payloads get a result or a known error code, and nothing else happens', async () => {
    const [sender, bystander] = await Promise.all([connect(server.url), connect(server.url)]);
    await joined(bystander, 'fuzz-watch');
    const bystanderSaw = record(bystander);
    const heapBefore = process.memoryUsage().heapUsed;

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('join', 'leave', 'signal', 'message', 'offer', '__proto__', 'constructor'),
        nasty.value,
        async (event, payload) => {
          const answer = (await request(sender, event, payload)) as Result;
          assert.equal(typeof answer, 'object');
          if (!answer.ok) assert.ok(codes.has(answer.error.code), `unknown code ${answer.error.code}`);
          // The bystander's room is never the sender's (whatever the sender joined): it hears nothing.
          if (answer.ok && event === 'join') assert.notEqual(socketRoom(payload), 'fuzz-watch');
        },
      ),
      { numRuns: 600 },
    );

    await settle(bystander);
    assert.deepEqual(bystanderSaw, []);
    const probe = await connect(server.url);
    assert.equal((await joined(probe, 'still-up')).self.id, probe.id);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was not polluted');
    // Bounded: 600 events with payloads up to 70 KB may not leave tens of MB behind.
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`);
  });
});

function socketRoom(payload: unknown): unknown {
  return typeof payload === 'object' && payload !== null ? (payload as { room?: unknown }).room : undefined;
}

/** How many frames the edge fuzz sends, split between socket.io, /v1 and PeerJS. */
const FRAMES = 100_002;
/** Frames between barriers: enough in flight to be quick, few enough to bound what is buffered. */
const BATCH = 1_000;

/** Values as JSON text: anything, nested past any limit, huge, and the keys that pollute prototypes. */
const jsonText = fc.oneof(
  { weight: 80, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 3_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)) },
  { weight: 4, arbitrary: fc.integer({ min: 20, max: 1_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)) },
  { weight: 1, arbitrary: fc.constant(`"${'x'.repeat(70_000)}"`) },
  { weight: 3, arbitrary: fc.constant('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":1}}}') },
);
/** A PeerJS frame: a well-formed one around a fuzzed payload, or anything at all. */
const peerjsFrame = (dst: string) =>
  fc.oneof(
    jsonText.map((p) => `{"type":"OFFER","dst":"${dst}","payload":{"x":${p}}}`),
    jsonText.map((p) => `{"type":"CANDIDATE","dst":"${dst}","payload":${p}}`),
    jsonText,
    fc.string({ maxLength: 200 }),
    jsonText.map((p) => p.slice(0, Math.max(1, p.length >> 1))),
  );

/** A /v1 frame: a request around a fuzzed payload, or anything at all. */
const v1Frame = (events: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(events, jsonText).map(([e, p]) => `{"event":"${e}","data":${p}}`) },
    { weight: 1, arbitrary: jsonText },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.integer().map((n) => `{"event":"join","data":{"room":"x"},"ack":${n}}`) },
  );

/** A raw /v1 connection: frames out, and the next frame in that `match`es. */
async function rawV1(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1`);
  const frames: string[] = [];
  let wake: () => void = () => {};
  ws.on('message', (data) => {
    frames.push(String(data));
    wake();
  });
  after(() => ws.terminate());
  await once(ws, 'open');
  return {
    ws,
    async until(match: (frame: string) => boolean): Promise<void> {
      for (;;) {
        while (frames.length > 0) if (match(frames.shift()!)) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

describe('fuzzing every edge as its own process', () => {
  it(`${FRAMES} nested, huge and malformed frames on socket.io, /v1 and /peerjs: no exit, bystanders still served`, async () => {
    const node = await startNode('--rate-limit', '1000000', '--rate-burst', '1000000');
    const raw = await rawClient(node.port);
    raw.send('420["join",{"room":"fuzz-edge"}]');
    while (!(await raw.answer()).startsWith('430')) {
      // the join's answer, after whatever came first
    }
    const [peer, watcher] = await Promise.all([openPeer(node.url), openPeer(node.url)]);
    const events = fc.constantFrom('join', 'leave', 'signal', 'message', '__proto__');
    const v1 = await rawV1(node.port);
    v1.ws.send('{"event":"join","data":{"room":"fuzz-edge"},"ack":1}');
    await v1.until((f) => f.startsWith('{"ack":1,'));
    const third = FRAMES / 3;
    const socketIo = fc.sample(fc.tuple(events, jsonText), { numRuns: third, seed: 21 });
    const peerjs = fc.sample(peerjsFrame(peer.id), { numRuns: third, seed: 42 });
    const native = fc.sample(v1Frame(events), { numRuns: third, seed: 15 });
    for (let start = 0, barrier = 1; start < third; start += BATCH, barrier++) {
      for (const [event, payload] of socketIo.slice(start, start + BATCH)) raw.send(`42["${event}",${payload}]`);
      for (const frame of peerjs.slice(start, start + BATCH)) peer.ws.send(frame);
      for (const frame of native.slice(start, start + BATCH)) v1.ws.send(frame);
      // On /v1, a ping with an ack number beyond the fuzz's integers (32-bit): its answer comes
      // after every frame of the batch.
      const mark = 2 ** 40 + barrier;
      v1.ws.send(`{"event":"ping","ack":${mark}}`);
      await v1.until((f) => f.startsWith(`{"ack":${mark},`));
      // Barriers: an ack on socket.io, a frame through to the watcher on PeerJS.
      raw.send(`42${barrier}["no-such-event"]`);
      while (!(await raw.answer()).startsWith(`43${barrier}`)) {
        // answers and errors of the batch
      }
      peer.send({ type: 'CANDIDATE', dst: watcher.id, payload: { barrier } });
      while ((await watcher.next()).payload?.barrier !== barrier) {
        // nothing else reaches the watcher
      }
      assert.equal(node.proc.exitCode, null, node.output().slice(-2000));
    }
    const probe = await connect(node.url);
    assert.equal((await joined(probe, 'still-up')).self.id, probe.id);
    probe.disconnect();
    assert.equal(node.proc.exitCode, null);
  });
});
