/**
 * A Redis outage, or a node frozen, for less than the resume window ends no call: the nodes wait,
 * say so on /readyz, and carry on when it is over — no peer-left, no restart, signals both ways.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SignalEvent } from '../src/protocol/index.js';
import { connect, joined, next, record, request, type Client } from './helpers/clients.js';
import { startNode, startRedis, type Node } from './helpers/processes.js';

/** The fault's own length: how long Redis stays down, or a node frozen. Not a wait for anything. */
const FAULT_MS = 10_000;
/** How long a node waits after Redis returns before it judges the others (a node lease) and a beat more. */
const AFTERMATH_MS = 17_000;

const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check().catch(() => false)) return;
    await hold(50); // polling a daemon's HTTP endpoint: bounded, 20 s at most
  }
  throw new Error(`${what}: not within ${tries * 50} ms`);
}

/** Two nodes on one Redis, a pair across them in `room`; what each client hears from then on. */
async function pairAcross(room: string) {
  const redis = await startRedis();
  const nodes: Node[] = [await startNode('--redis', redis.url), await startNode('--redis', redis.url)];
  after(() => redis.stop());
  const [a, b] = [await connect(nodes[0].url), await connect(nodes[1].url)];
  await joined(a, room);
  const met = next(a, 'peer-joined');
  await joined(b, room);
  await met;
  return { redis, nodes, a, b, aSaw: record(a), bSaw: record(b) };
}

/** A signal each way arrives. */
async function bothWays(a: Client, b: Client): Promise<void> {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const got = next<SignalEvent>(to, 'signal', 10_000);
    assert.deepEqual(await request(from, 'signal', { to: to.id, data: `hello from ${from.id}` }), { ok: true });
    assert.equal((await got).from, from.id);
  }
}

const leftOf = (saw: Array<{ event: string }>) => saw.filter((e) => e.event === 'peer-left');

describe('faults shorter than the resume window end no call', () => {
  it('Redis stopped 10 s and restarted: neither side hears peer-left, and signals flow both ways', async () => {
    const { redis, nodes, a, b, aSaw, bSaw } = await pairAcross('outage');
    await redis.stop();
    await until('readyz 503 while Redis is down', async () => (await fetch(`${nodes[0].url}/readyz`)).status === 503);
    await hold(FAULT_MS);
    await redis.start();
    await until('readyz 200 on both once Redis is back', async () => {
      const codes = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/readyz`)).status));
      return codes.every((c) => c === 200);
    });
    await bothWays(a, b);
    // Past the time a node takes before it may judge the others again: still nobody left.
    await hold(AFTERMATH_MS);
    await bothWays(a, b);
    assert.deepEqual([leftOf(aSaw), leftOf(bSaw)], [[], []]);
    assert.deepEqual(
      nodes.map((n) => n.proc.exitCode),
      [null, null],
      'no node restarted',
    );
  });

  it('a node frozen (SIGSTOP) 10 s and continued: neither side hears peer-left, and signals flow both ways', async () => {
    const { nodes, a, b, aSaw, bSaw } = await pairAcross('frozen');
    nodes[0].proc.kill('SIGSTOP');
    await hold(FAULT_MS);
    nodes[0].proc.kill('SIGCONT');
    await bothWays(a, b);
    await hold(AFTERMATH_MS);
    await bothWays(a, b);
    assert.deepEqual([leftOf(aSaw), leftOf(bSaw)], [[], []]);
  });
});
