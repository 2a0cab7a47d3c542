/**
 * Property: whatever arrives — random values, prototype-pollution keys, deep nesting, huge strings,
 * binary — every event is answered with a result or a known error code, nothing else is emitted to
 * anyone, the server stays up, and its heap stays bounded.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { errorCodes, type Result } from '../src/protocol/index.js';
import { connect, joined, next, record, request, settle, type Client } from './helpers/clients.js';
import { FuzzRun, Lane, peerjsWire, socketIoWire, v1Wire } from './helpers/fuzz-lanes.js';
import { heapAfterGc, metric } from './helpers/inspector.js';
import { peerjsInput, socketIoInput, v1Input } from './helpers/packets.js';
import { startNodeWith } from './helpers/processes.js';
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

describe('what the packet fuzz found', () => {
  it('a join with a leave right behind it, read in one go, is answered ok (it was internal: the room was gone when the join answered)', async () => {
    // socket.io decodes both packets of one read before either is handled; the join's answer waits
    // for its admission, and the leave has emptied the room by then.
    const raw = await rawClient(Number(new URL(server.url).port));
    raw.sendTogether('421["join",{"room":"fz-found"}]', '422["leave"]');
    const acks = new Map<string, unknown>();
    while (acks.size < 2) {
      const packet = await raw.answer();
      const ack = /^43(\d+)(.*)$/.exec(packet);
      if (ack) acks.set(ack[1]!, (JSON.parse(ack[2]!) as unknown[])[0]);
    }
    assert.deepEqual(acks.get('2'), { ok: true });
    assert.equal((acks.get('1') as Result).ok, true, JSON.stringify(acks.get('1')));
    // On /v1, two frames of one read are handled in one go too.
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1`);
    after(() => ws.terminate());
    const frames: Array<{ ack?: number; data?: Result }> = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as { ack?: number; data?: Result }));
    await once(ws, 'message'); // the welcome
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.cork();
    ws.send('{"event":"join","data":{"room":"fz-found"},"ack":1}');
    ws.send('{"event":"leave","ack":2}');
    socket.uncork();
    while (frames.filter((f) => f.ack !== undefined).length < 2) await once(ws, 'message');
    const join = frames.find((f) => f.ack === 1)!;
    assert.equal(join.data!.ok, true, JSON.stringify(join));
  });

  it('CONNECTs pipelined on one socket.io transport open one session; the others are refused bad-request', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    after(() => ws.terminate());
    const answers: string[] = [];
    let wake = () => {};
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('0{')) {
        // All read in one go, before the first one's admission is done.
        const socket = (ws as unknown as { _socket: Socket })._socket;
        socket.cork();
        for (let i = 0; i < 50; i++) ws.send('40');
        socket.uncork();
      } else if (/^4[04]/.test(text)) {
        answers.push(text);
        wake();
      }
    });
    while (answers.length < 50) await new Promise<void>((resolve) => (wake = resolve));
    assert.equal(answers.filter((a) => a.startsWith('40{')).length, 1, answers.slice(0, 3).join('\n'));
    for (const refusal of answers.filter((a) => a.startsWith('44'))) {
      assert.equal((JSON.parse(refusal.slice(2)) as { data: { code: string } }).data.code, 'bad-request');
    }
    assert.equal(ws.readyState, WebSocket.OPEN, 'the transport and its one session stay');
  });
});

function socketRoom(payload: unknown): unknown {
  return typeof payload === 'object' && payload !== null ? (payload as { room?: unknown }).room : undefined;
}

/** How many inputs (packets, each one or more frames) the edge fuzz sends, split between the three edges. */
const INPUTS = 100_002;
/** Inputs per edge between barriers: enough in flight to be quick, few enough to bound what is buffered. */
const BATCH = 1_000;
/** Fuzzing clients per edge: a lane waits for its probes, the others keep the server busy meanwhile. */
const LANES = { socketIo: 4, v1: 2, peerjs: 2 };
/**
 * The heap after the fuzz, once idle and collected, may exceed the heap after the warm-up batch by
 * this much: what the server keeps may not grow with what it was sent (100,000 inputs, ~40 MB).
 */
const HEAP_TOLERANCE_BYTES = 8 * 1024 * 1024;

/** Two clients signalling each other in a loop: each completed round trip is counted. */
function roundTrips(a: Client, b: Client) {
  const seen = [record(a), record(b)];
  const each = new Set([a.id, b.id]);
  b.on('signal', ({ from, data }) => b.emit('signal', { to: from, data }));
  let done = 0;
  let running = true;
  let waiters: Array<() => void> = [];
  const loop = (async () => {
    while (running) {
      const back = next<{ from: string; data: { n: number } }>(a, 'signal', 30_000);
      a.emit('signal', { to: b.id!, data: { n: done } });
      assert.deepEqual(await back, { from: b.id, data: { n: done } });
      done++;
      for (const wake of waiters) wake();
      waiters = [];
    }
  })();
  return {
    get done() {
      return done;
    },
    /** Resolves once a round trip has completed after `mark` had. */
    async after(mark: number): Promise<void> {
      while (done <= mark) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    /** Ends the loop; resolves with what the pair heard besides each other's signals. */
    async stop(): Promise<Array<{ event: string; args: unknown[] }>> {
      running = false;
      await loop;
      // Whatever else they heard: nothing but each other's signals is expected.
      return seen
        .flat()
        .filter(({ event, args }) => !(event === 'signal' && each.has((args[0] as { from: string }).from)));
    },
  };
}

describe('fuzzing every edge at the packet level, against a node of its own', () => {
  it(`${INPUTS} generated packets on socket.io, /v1 and /peerjs: only valid answers, bystanders served throughout, no crash, heap back to its baseline`, async (t) => {
    const node = await startNodeWith(
      { inspect: true, logLevel: 'warn' },
      ...['--rate-limit', '1000000', '--rate-burst', '1000000', '--max-connections-per-ip', '1000'],
      ...['--resume-window', '1', '--peerjs-expire', '1'],
    );
    const pairs = await Promise.all(
      (['socket.io', 'v1'] as const).map(async (edge) => {
        const [a, b] = await Promise.all([connect(node.url, edge), connect(node.url, edge)]);
        // A room of their own per pair, which no fuzzing client joins.
        await joined(a, `bystanders-${edge}`);
        await joined(b, `bystanders-${edge}`);
        // What the joins told them (peer-joined, socket.io's session) is in before they listen.
        await Promise.all([settle(a), settle(b)]);
        return roundTrips(a, b);
      }),
    );

    const run = new FuzzRun(node.port);
    // Signals on socket.io and /v1 go to any of their clients; PeerJS relays among PeerJS ids.
    const sessions = () => [...run.ids].filter((id) => !id.startsWith('fuzz'));
    const peerjsIds = () => [...run.ids].filter((id) => id.startsWith('fuzz'));
    const edges = [
      { lanes: LANES.socketIo, input: socketIoInput, wire: socketIoWire, peers: sessions, seed: 20 },
      { lanes: LANES.v1, input: v1Input, wire: v1Wire, peers: sessions, seed: 15 },
      { lanes: LANES.peerjs, input: peerjsInput, wire: peerjsWire, peers: peerjsIds, seed: 42 },
    ].map(({ lanes, input, wire, peers, seed }) => ({
      inputs: fc.sample(input, { numRuns: INPUTS / 3, seed }),
      lanes: Array.from({ length: lanes }, () => new Lane(run, wire, peers)),
    }));
    const metrics = async () => (await fetch(`${node.url}/metrics`)).text();

    let baseline = 0;
    let frames = 0;
    for (let start = 0; start < INPUTS / 3; start += BATCH) {
      const marks = pairs.map((pair) => pair.done);
      await Promise.all(
        edges.flatMap(({ inputs, lanes }) =>
          lanes.map((lane, i) => {
            const mine = inputs.slice(start, start + BATCH).filter((_, k) => k % lanes.length === i);
            frames += mine.reduce((sum, input) => sum + input.frames.length, 0);
            return lane.send(mine);
          }),
        ),
      );
      // Every batch: each pair of bystanders completed a round trip while it ran or since.
      await Promise.all(pairs.map((pair, i) => pair.after(marks[i]!)));
      assert.equal(node.proc.exitCode, null, node.output().slice(-2000));
      assert.deepEqual(run.problems, []);
      if (start === 0) baseline = await heapAfterGc(node.url, node.inspector!);
    }

    const heard = (await Promise.all(pairs.map((pair) => pair.stop()))).flat();
    assert.deepEqual(heard, [], 'bystanders heard nothing but each other');
    const probe = await connect(node.url);
    assert.equal((await joined(probe, 'still-up')).self.id, probe.id);
    probe.disconnect();
    await Promise.all(edges.flatMap(({ lanes }) => lanes.map((lane) => lane.close())));

    // Idle: every fuzzing client gone (and its resume window past), only the bystanders left.
    for (let attempt = 0; ; attempt++) {
      const text = await metrics();
      if (metric(text, 'tsunagu_connected_sockets') === 4 && metric(text, 'tsunagu_peers') === 4) break;
      assert.ok(
        attempt < 100,
        `not idle within 10 s:\n${text
          .split('\n')
          .filter((l) => /^tsunagu_(connected|peers|rooms)/.test(l))
          .join('\n')}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100)); // polling a metric, bounded: 100 x 100 ms
    }
    const heap = await heapAfterGc(node.url, node.inspector!);
    const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
    assert.ok(
      heap < baseline + HEAP_TOLERANCE_BYTES,
      `heap ${mib(heap)} MiB after, ${mib(baseline)} MiB after the first batch`,
    );

    const text = await metrics();
    assert.equal(metric(text, 'tsunagu_unexpected_errors_total'), 0, 'no error was caught by a guard');
    const errors = node
      .output()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(errors.slice(0, 5), [], 'nothing was logged as an error');
    t.diagnostic(
      `${INPUTS} inputs in ${frames} frames; ${run.received} frames received, all valid; ` +
        `heap ${mib(baseline)} MiB after the first batch, ${mib(heap)} MiB at the end; ` +
        `${run.reconnects} connections closed by the server; ${pairs.map((p) => p.done).join(' + ')} bystander round trips; ` +
        `${metric(text, 'tsunagu_process_cpu_seconds_total').toFixed(1)} s of the node's CPU`,
    );
    assert.equal(node.proc.exitCode, null);
  });
});
