/**
 * cross-node-fanout: what a cluster node pays for the signals of peers it does not hold. Three
 * tsunagu nodes (A, B, C) on one redis-server, all four processes on core 0, each subject on a fresh
 * cluster.
 * - `fanout`: 10 pairs, each with one peer on A and one on B, in a room of its own, echoing a
 *   candidate, 32 in flight per pair; 10 s after 2 s of warm-up: delivered msgs/s, the CPU of each
 *   node and of Redis, and C's CPU as a share of A's, of B's and of their mean. `c_inbox_adds`:
 *   entries written to C's inbox from the pairs' joins to the end of the window; `xadds_per_msg`:
 *   Redis XADD calls per delivered message in the window; `c_idle_cpu`: C's CPU over 5 s before any
 *   client connects, its floor.
 * - `same-node` / `cross-node`: relay-rtt's round trips (2,000 warm-up + 5,000, sequential) with both
 *   peers on A, or one on A and one on B; and what Redis saw of those signals: XADD calls
 *   (`cmdstat_xadd`) per signal, entries added to any node's inbox (`entries-added`, which trimming
 *   does not undo), and commands from the nodes (heartbeats and inbox reads included).
 * Nodes log warnings and errors (BENCH_LOG_LEVEL=warn), echoed here; `node_warnings` counts them.
 */
import { createClient } from 'redis';
import { cpuSeconds, sleep, startServer, stopServer, type Server } from '../lib.js';
import { echoLoad, roundTrips, startRedis } from './relay.js';

const NODES = 'tsunagu:nodes';
const inboxKey = (node: string) => `tsunagu:{n:${node}}:inbox`; // as src/server/core/cluster.ts names it
/** Commands this scenario itself sends to Redis, left out of the nodes' count. */
const OWN_COMMANDS = new Set(['info', 'keys', 'exists', 'xinfo|stream', 'zrange', 'hello', 'client', 'ping']);

type RedisClient = ReturnType<typeof createClient>;

interface Node extends Server {
  label: string;
  /** The node's id in the cluster (its inbox is `inboxKey(id)`). */
  id: string;
}

/** Calls per command since Redis started (`INFO commandstats`). */
async function commandCalls(client: RedisClient): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1], Number(match[2]));
  }
  return calls;
}

/** Entries ever added to a stream (XINFO STREAM's `entries-added`, Redis 7), 0 if it does not exist. */
async function entriesAdded(client: RedisClient, key: string): Promise<number> {
  if ((await client.exists(key)) === 0) return 0;
  const info = (await client.sendCommand(['XINFO', 'STREAM', key])) as unknown[];
  return Number(info[info.indexOf('entries-added') + 1]);
}

async function allInboxesAdded(client: RedisClient): Promise<number> {
  let total = 0;
  for (const key of await client.keys('tsunagu:{n:*}:inbox')) total += await entriesAdded(client, key);
  return total;
}

/** Redis's counters now; `since(before)` says what the nodes did in between. */
async function redisStats(client: RedisClient) {
  return { calls: await commandCalls(client), inboxAdds: await allInboxesAdded(client) };
}

function since(before: Awaited<ReturnType<typeof redisStats>>, after: Awaited<ReturnType<typeof redisStats>>) {
  const delta = (name: string) => (after.calls.get(name) ?? 0) - (before.calls.get(name) ?? 0);
  let nodeCommands = 0;
  const byCommand: string[] = [];
  for (const name of after.calls.keys()) {
    if (OWN_COMMANDS.has(name) || delta(name) === 0) continue;
    nodeCommands += delta(name);
    byCommand.push(`${name} ${delta(name)}`);
  }
  return { xadds: delta('xadd'), inboxAdds: after.inboxAdds - before.inboxAdds, nodeCommands, byCommand };
}

/** Echoes a node's warnings and errors (pino JSON lines, level ≥ 40) and counts them. */
function watchLogs(node: Node, warnings: { count: number }): void {
  let partial = '';
  node.proc.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const level = (JSON.parse(line) as { level?: number }).level ?? 0;
      if (level < 40) continue;
      if (++warnings.count <= 20) console.error(`node ${node.label}: ${line}`);
    }
  });
}

/** Runs `fn` on a fresh cluster of three nodes (A, B, C) and its redis-server, stopped afterwards. */
async function withCluster<T>(
  fn: (nodes: Node[], client: RedisClient, redisPid: number, warnings: { count: number }) => Promise<T>,
): Promise<T> {
  const redisPort = 20_000 + Math.floor(Math.random() * 20_000);
  const redis = await startRedis(redisPort);
  const url = `redis://127.0.0.1:${redisPort}`;
  const client = createClient({ url });
  const nodes: Node[] = [];
  const warnings = { count: 0 };
  try {
    await client.connect();
    for (const label of ['A', 'B', 'C']) {
      const known = new Set(await client.zRange(NODES, 0, -1));
      const server = await startServer('tsunagu', { REDIS_URL: url, BENCH_LOG_LEVEL: 'warn' });
      // The node renews its lease before it listens: the new member of the set is this node.
      const id = (await client.zRange(NODES, 0, -1)).find((n) => !known.has(n));
      const node = { ...server, label, id: id ?? '' };
      nodes.push(node);
      if (!id) throw new Error(`node ${label}: not in ${NODES}`);
      watchLogs(node, warnings);
    }
    await sleep(3_000); // every node's heartbeat has been seen, as in a running cluster
    return await fn(nodes, client, redis.proc.pid!, warnings);
  } finally {
    for (const node of nodes) await stopServer(node);
    await client.quit().catch(() => {});
    await stopServer(redis);
  }
}

const pct = (part: number, whole: number) => +((100 * part) / whole).toFixed(1);

async function fanout(): Promise<Record<string, number>> {
  return withCluster(async ([a, b, c], client, redisPid, warnings) => {
    const pids = [a.proc.pid!, b.proc.pid!, c.proc.pid!, redisPid];
    // C's floor: what it uses with no clients anywhere (heartbeats, its idle inbox read).
    const idle0 = cpuSeconds(c.proc.pid!);
    await sleep(5_000);
    const cIdle = (cpuSeconds(c.proc.pid!) - idle0) / 5;
    const cInbox0 = await entriesAdded(client, inboxKey(c.id));
    const load = await echoLoad('tsunagu', [a.port, b.port], 10);
    try {
      await sleep(2_000); // warm-up; also lets each node's directory learn the other's peers
      // Messages delivered while INFO's count of XADDs was read: the midpoint, so both cover one window.
      const xaddsNow = async () => {
        const n = load.delivered();
        const xadds = (await commandCalls(client)).get('xadd') ?? 0;
        return { xadds, delivered: (n + load.delivered()) / 2 };
      };
      const before = await xaddsNow();
      const cpu0 = pids.map(cpuSeconds);
      const t0 = performance.now();
      await sleep(10_000); // the measurement window itself
      const seconds = (performance.now() - t0) / 1000;
      const cpu = pids.map((pid, i) => (cpuSeconds(pid) - cpu0[i]) / seconds);
      const after = await xaddsNow();
      const n = after.delivered - before.delivered;
      const [aCpu, bCpu, cCpu, redisCpu] = cpu;
      return {
        msgs_per_s: Math.round(n / seconds),
        a_cpu: +aCpu.toFixed(3),
        b_cpu: +bCpu.toFixed(3),
        c_cpu: +cCpu.toFixed(3),
        redis_cpu: +redisCpu.toFixed(3),
        c_of_ab_pct: pct(cCpu, (aCpu + bCpu) / 2),
        c_of_a_pct: pct(cCpu, aCpu),
        c_of_b_pct: pct(cCpu, bCpu),
        c_inbox_adds: (await entriesAdded(client, inboxKey(c.id))) - cInbox0,
        xadds_per_msg: +((after.xadds - before.xadds) / n).toFixed(3),
        c_idle_cpu: +cIdle.toFixed(3),
        node_warnings: warnings.count,
      };
    } finally {
      load.stop();
    }
  });
}

async function rtt(where: 'same-node' | 'cross-node'): Promise<Record<string, number>> {
  return withCluster(async ([a, b], client, _redisPid, warnings) => {
    const ports: [number, number] = where === 'same-node' ? [a.port, a.port] : [a.port, b.port];
    const result = await roundTrips('tsunagu', ports, 1_000, async () => {
      const before = await redisStats(client);
      return async (signals) => {
        const redis = since(before, await redisStats(client));
        console.error(
          `${where}: Redis commands from the nodes during ${signals} signals: ${redis.byCommand.join(', ')}`,
        );
        return {
          signals,
          xadds: redis.xadds,
          xadds_per_signal: +(redis.xadds / signals).toFixed(3),
          inbox_adds: redis.inboxAdds,
          node_redis_cmds: redis.nodeCommands,
        };
      };
    });
    return { ...result, node_warnings: warnings.count };
  });
}

export function crossNodeFanout(subject: string): Promise<Record<string, number>> {
  if (subject === 'fanout') return fanout();
  if (subject === 'same-node' || subject === 'cross-node') return rtt(subject);
  throw new Error(`cross-node-fanout: no subject ${subject} (same-node, cross-node, fanout)`);
}
