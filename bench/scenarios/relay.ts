/**
 * relay-rtt: 5,000 sequential candidate-sized round trips A → B → A (after 2,000 warm-up): p50/p99.
 * relay-throughput: 50 pairs echoing, 32 messages in flight each, 10 s after 2 s of warm-up:
 * delivered msgs/s and server CPU.
 * cross-node: relay-rtt on tsunagu with the two peers on one node, or on two nodes sharing Redis.
 */
import { spawn } from 'node:child_process';
import { CANDIDATE, connectPeer, type Endpoint, type ServerKind } from '../drivers.js';
import { quantile, sleep, startServer, steadyRate, stopServer, withServer, type Server } from '../lib.js';

async function pair(kind: ServerKind, ports: [number, number], n: number): Promise<[Endpoint, Endpoint]> {
  const room = `bench-${n}`;
  return [await connectPeer(kind, ports[0], `a${n}`, room), await connectPeer(kind, ports[1], `b${n}`, room)];
}

/**
 * The round trips, after `settleMs`; `phase` (cross-node-fanout) is started just before the first
 * signal and ended, with the number of signals sent, just after the last, before the peers leave.
 */
export async function roundTrips(
  kind: ServerKind,
  ports: [number, number],
  settleMs = 0,
  phase?: () => Promise<(signals: number) => Promise<Record<string, number>>>,
): Promise<Record<string, number>> {
  const [a, b] = await pair(kind, ports, 0);
  await sleep(settleMs); // across nodes: each node's directory has the other's peer
  const endPhase = await phase?.();
  b.onMessage((_from, data) => b.send(a.id, data));
  let resolveEcho: () => void = () => {};
  a.onMessage(() => resolveEcho());
  const roundTrip = async () => {
    const echoed = new Promise<void>((resolve) => (resolveEcho = resolve));
    const start = process.hrtime.bigint();
    a.send(b.id, CANDIDATE);
    await echoed;
    return Number(process.hrtime.bigint() - start) / 1000;
  };
  for (let i = 0; i < 2000; i++) await roundTrip(); // warm-up: JIT, buffers
  const samples: number[] = [];
  for (let i = 0; i < 5000; i++) samples.push(await roundTrip());
  const extra = (await endPhase?.(2 * (2000 + 5000))) ?? {};
  a.close();
  b.close();
  samples.sort((x, y) => x - y);
  return { p50_us: Math.round(quantile(samples, 0.5)), p99_us: Math.round(quantile(samples, 0.99)), ...extra };
}

export const relayRtt = (kind: ServerKind) => withServer(kind, (s) => roundTrips(kind, [s.port, s.port]));

/**
 * The relay-throughput load, running until `stop()`: 50 pairs echoing a candidate, 32 in flight
 * per pair. `delivered()` counts the messages relayed so far (also drives `npm run bench -- profile`).
 * With two ports (cross-node-fanout), each pair's first peer is on the first, its second on the other.
 */
export async function echoLoad(
  kind: ServerKind,
  port: number | [number, number],
  pairCount = 50,
): Promise<{ delivered(): number; stop(): void }> {
  const ports: [number, number] = typeof port === 'number' ? [port, port] : port;
  const pairs: Array<[Endpoint, Endpoint]> = [];
  for (let i = 0; i < pairCount; i++) pairs.push(await pair(kind, ports, i));
  let delivered = 0;
  let running = true;
  for (const [a, b] of pairs) {
    b.onMessage((_from, data) => {
      delivered++;
      b.send(a.id, data);
    });
    a.onMessage((_from, data) => {
      delivered++;
      if (running) a.send(b.id, data);
    });
  }
  for (const [a, b] of pairs) for (let i = 0; i < 32; i++) a.send(b.id, CANDIDATE);
  return {
    delivered: () => delivered,
    stop() {
      running = false;
      for (const [a, b] of pairs) {
        a.close();
        b.close();
      }
    },
  };
}

export function relayThroughput(kind: ServerKind): Promise<Record<string, number>> {
  return withServer(kind, async (server: Server) => {
    const load = await echoLoad(kind, server.port);
    const rate = await steadyRate(server, load.delivered);
    load.stop();
    return { msgs_per_s: rate.perSecond, msgs_per_core_s: rate.perCpuSecond, server_cpu: rate.cpu };
  });
}

/** A throwaway redis-server on core 0 with the servers (no persistence). */
export async function startRedis(port: number) {
  const proc = spawn(
    'taskset',
    ['-c', '0', 'redis-server', '--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (/Ready to accept connections/.test(chunk.toString())) resolve();
    });
  });
  return { proc };
}

/**
 * `single-node`: one tsunagu, no Redis, for reference. `same-node` / `cross-node`: two nodes sharing
 * Redis, the pair on one node or split; `-noresume`: the same with `--resume-window 0`; `-v1`: the
 * clients on the native WebSocket edge instead of socket.io.
 */
export async function crossNode(variant: string): Promise<Record<string, number>> {
  const kind: ServerKind = variant.endsWith('-v1') ? 'tsunagu-v1' : 'tsunagu';
  if (variant.startsWith('single-node')) return relayRtt(kind);
  const redisPort = 20_000 + Math.floor(Math.random() * 20_000);
  const redis = await startRedis(redisPort);
  const env = {
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    ...(variant.endsWith('-noresume') ? { RESUME_WINDOW: '0' } : {}),
  };
  const nodes = [await startServer('tsunagu', env), await startServer('tsunagu', env)];
  try {
    await sleep(3_000); // both nodes' heartbeats have been seen, as in a running cluster
    const ports: [number, number] = variant.startsWith('cross-node')
      ? [nodes[0].port, nodes[1].port]
      : [nodes[0].port, nodes[0].port];
    return await roundTrips(kind, ports, 1_000);
  } finally {
    for (const node of nodes) await stopServer(node);
    await stopServer(redis);
  }
}
