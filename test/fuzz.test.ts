/**
 * Property: whatever arrives — random values, prototype-pollution keys, deep nesting, huge strings,
 * binary — every event is answered with a result or a known error code, nothing else is emitted to
 * anyone, the server stays up, and its heap stays bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { errorCodes, type Result } from '../src/protocol/index.js';
import { connect, joined, record, request, settle } from './helpers/clients.js';
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
