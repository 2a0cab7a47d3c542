/**
 * When parts of a cluster fail: a node killed outright (its clients come back through nginx on
 * the others), and Redis restarting under running nodes (they wait, say so on /readyz, and resume).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SignalingClient } from '../packages/client/src/index.js';
import type { JoinResult, PeerInfo, SignalEvent } from '../src/protocol/index.js';
import { connect, joined, next, request } from './helpers/clients.js';
import { startNginx, startNode, startRedis, type Node } from './helpers/processes.js';
import { NODE_WEBSOCKET } from './helpers/sdk.js';
import { startServer } from './helpers/server.js';

const clients: SignalingClient[] = [];
after(() => clients.forEach((c) => c.close()));

function once<T>(
  client: SignalingClient,
  event: 'joined' | 'peer-joined' | 'peer-left' | 'signal',
  ms = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    client.once(event, ((value: T) => {
      clearTimeout(timer);
      resolve(value);
    }) as never);
  });
}

async function until(what: string, check: () => Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50)); // polling an HTTP endpoint: bounded, 10 s at most
  }
  throw new Error(`${what}: not within ${tries * 50} ms`);
}

describe('a node dies', () => {
  it('mid-call-setup: its client comes back through nginx on another node and the call completes', async () => {
    const redis = await startRedis();
    after(() => redis.stop()); // the nodes are processes, killed outright: the order does not matter
    const nodes: Node[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await startNode('--redis', redis.url, '--log-level', 'info'));
    const lb = await startNginx(nodes.map((n) => n.port));
    const nodeOf = (id: string) => nodes.find((n) => n.output().includes(`"socket":"${id}","room"`));

    const alice = new SignalingClient(lb.url, { timeout: 5000, WebSocket: NODE_WEBSOCKET });
    const bob = new SignalingClient(lb.url, { timeout: 5000, WebSocket: NODE_WEBSOCKET });
    clients.push(alice, bob);
    const a = await alice.join('failover', 'Alice');
    await bob.join('failover', 'Bob');
    const aliceNode = nodeOf(a.self.id)!;
    assert.ok(aliceNode, 'the node holding Alice logged her join');

    // Alice has sent her offer; then her node dies without a word.
    const offer = once<SignalEvent>(bob, 'signal');
    await alice.signal(bob.id!, { description: { type: 'offer', sdp: 'v=0 first' } });
    await offer;
    const rejoined = once<JoinResult>(alice, 'joined');
    const newcomer = once<PeerInfo>(bob, 'peer-joined');
    const gone = once<{ id: string }>(bob, 'peer-left');
    aliceNode.proc.kill('SIGKILL');

    const back = await rejoined;
    assert.notEqual(nodeOf(back.self.id), aliceNode, 'she is on a surviving node');
    // Bob is there; so may be her old self, a member until its node is known to be dead (a node
    // frozen for a few seconds must not lose its members), then announced gone below.
    assert.deepEqual(
      back.peers.map((p) => p.id).filter((id) => id !== a.self.id),
      [bob.id],
    );
    assert.equal((await newcomer).id, back.self.id);
    // Her old self is gone for the others once her node is missed (heartbeats stop).
    assert.equal((await gone).id, a.self.id);

    // The call setup runs again and completes through the surviving nodes.
    const offer2 = once<SignalEvent>(bob, 'signal');
    await alice.signal(bob.id!, { description: { type: 'offer', sdp: 'v=0 again' } });
    assert.equal((await offer2).from, back.self.id);
    const answer = once<SignalEvent>(alice, 'signal');
    await bob.signal(back.self.id, { description: { type: 'answer', sdp: 'v=0' } });
    assert.equal((await answer).from, bob.id);
  });
});

describe('Redis restarts', () => {
  it('nodes report the outage on /readyz and serve across nodes again once Redis is back, without a restart', async () => {
    const redis = await startRedis();
    const nodes = [await startServer({ redis: redis.url }), await startServer({ redis: redis.url })];
    after(() => redis.stop()); // after the nodes have closed
    const ready = async (i: number) => (await fetch(`${nodes[i].url}/readyz`)).status;
    assert.equal(await ready(0), 200);

    await redis.stop();
    await until('readyz 503 while Redis is down', async () => (await ready(0)) === 503 && (await ready(1)) === 503);
    const body = (await (await fetch(`${nodes[0].url}/readyz`)).json()) as { reasons: string[] };
    assert.match(body.reasons.join(), /^redis: /);

    await redis.start();
    await until('readyz 200 once Redis is back', async () => (await ready(0)) === 200 && (await ready(1)) === 200);
    const [a, b] = [await connect(nodes[0].url), await connect(nodes[1].url)];
    await joined(a, 'after-restart');
    const bJoin = await joined(b, 'after-restart');
    assert.deepEqual(
      bJoin.peers.map((p) => p.id),
      [a.id],
    );
    const got = next<SignalEvent>(b, 'signal');
    assert.deepEqual(await request(a, 'signal', { to: b.id, data: 'across nodes again' }), { ok: true });
    assert.equal((await got).data, 'across nodes again');
  });
});
