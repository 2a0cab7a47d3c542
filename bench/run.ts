/**
 * `npm run bench -- <scenario> [--reps N]`: runs one scenario against every server in the same
 * run, alternating their order each repetition, server pinned to core 0 and this load generator
 * to core 1; prints a table of medians and ratios to the floor, and writes JSON to bench/results/.
 *
 * Scenarios so far: relay-rtt (5,000 sequential candidate-sized round trips: p50/p99) and
 * relay-throughput (50 pairs, 32 messages in flight each, 10 s: delivered msgs/s, server CPU) and
 * idle-capacity (N idle connections from a separate process: server RSS per connection, time to
 * connect them all, how many are still up after --hold seconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CANDIDATE, connectPeer, serverProgram, type Endpoint, type ServerKind } from './drivers.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    reps: { type: 'string', default: '3' },
    servers: { type: 'string', default: 'floor,peerjs,classic,tsunagu,tsunagu-peerjs' },
    conns: { type: 'string', default: '1000,5000,15000' },
    hold: { type: 'string', default: '60' },
  },
});
const scenario = positionals[0];
const reps = Number(values.reps);
const kinds = values.servers!.split(',') as ServerKind[];
const SCENARIOS = ['relay-rtt', 'relay-throughput', 'idle-capacity'] as const;
if (!(SCENARIOS as readonly string[]).includes(scenario)) {
  console.error(`usage: npm run bench -- ${SCENARIOS.join('|')} [--reps 3] [--servers floor,peerjs,classic,tsunagu,tsunagu-peerjs]
  idle-capacity also takes --conns 1000,5000,15000 and --hold 60 (seconds)`);
  process.exit(2);
}

interface Server {
  proc: ChildProcess;
  port: number;
}

async function startServer(kind: ServerKind): Promise<Server> {
  const proc = spawn(
    'taskset',
    ['-c', '0', process.execPath, '--import', 'tsx', `bench/servers/${serverProgram(kind)}.ts`, '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      const match = /ready (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  return { proc, port };
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  server.proc.kill('SIGKILL');
  await exited;
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, in KiB, from /proc. */
function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/** Opens `n` idle connections from a separate, pinned process; measures the server meanwhile. */
async function idleCapacity(
  kind: ServerKind,
  server: Server,
  n: number,
  hold: number,
): Promise<Record<string, number>> {
  const before = rssKiB(server.proc.pid!);
  const client = spawn(
    'taskset',
    [
      '-c',
      '1',
      process.execPath,
      '--import',
      'tsx',
      'bench/idle-client.ts',
      kind,
      String(server.port),
      String(n),
      String(hold),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const phases: Record<string, number>[] = [];
  const result: Record<string, number> = { conns: n };
  await new Promise<void>((resolve, reject) => {
    client.once('exit', (code) =>
      phases.length === 2 ? resolve() : reject(new Error(`idle client exited (${code})`)),
    );
    client.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const phase = JSON.parse(line) as Record<string, number> & { phase: string };
        phases.push(phase);
        if (phase.phase === 'connected') {
          result.connect_s = phase.connect_s;
          result.rss_per_conn_kib = +((rssKiB(server.proc.pid!) - before) / n).toFixed(1);
        } else result.still_connected = phase.still_connected;
      }
    });
  });
  return result;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

async function pair(kind: ServerKind, port: number, n: number): Promise<[Endpoint, Endpoint]> {
  const room = `bench-${n}`;
  return [await connectPeer(kind, port, `a${n}`, room), await connectPeer(kind, port, `b${n}`, room)];
}

/** Sequential round trips A → B → A; returns p50 and p99 in µs. */
async function relayRtt(kind: ServerKind, port: number): Promise<Record<string, number>> {
  const [a, b] = await pair(kind, port, 0);
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
  a.close();
  b.close();
  samples.sort((x, y) => x - y);
  return { p50_us: Math.round(quantile(samples, 0.5)), p99_us: Math.round(quantile(samples, 0.99)) };
}

/** 50 pairs echoing, 32 messages in flight each, for 10 s: relayed messages per second and server CPU. */
async function relayThroughput(kind: ServerKind, server: Server): Promise<Record<string, number>> {
  const pairs = [];
  for (let i = 0; i < 50; i++) pairs.push(await pair(kind, server.port, i));
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
  // Steady state is what is measured: 2 s of the same load first, for every server alike (JIT, buffers).
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  delivered = 0;
  const cpu0 = cpuSeconds(server.proc.pid!);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 10_000)); // the measurement window itself
  running = false;
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    msgs_per_s: Math.round(delivered / seconds),
    server_cpu: +((cpuSeconds(server.proc.pid!) - cpu0) / seconds).toFixed(2),
  };
  for (const [a, b] of pairs) {
    a.close();
    b.close();
  }
  return result;
}

const runs: Record<string, Array<Record<string, number>>> = {};
const sizes = scenario === 'idle-capacity' ? values.conns!.split(',').map(Number) : [0];
for (let rep = 0; rep < reps; rep++) {
  // Alternate the order, so no server always runs on a warmer (or more tired) machine.
  const order = rep % 2 === 0 ? kinds : [...kinds].reverse();
  for (const size of sizes) {
    for (const kind of order) {
      if (scenario === 'relay-throughput' && kind === 'classic') continue; // broadcasts to all: one pair per server
      const key = size ? `${kind} ${size}` : kind;
      const server = await startServer(kind);
      try {
        const result =
          scenario === 'relay-rtt'
            ? await relayRtt(kind, server.port)
            : scenario === 'relay-throughput'
              ? await relayThroughput(kind, server)
              : await idleCapacity(kind, server, size, Number(values.hold));
        (runs[key] ??= []).push(result);
        console.error(`rep ${rep + 1}/${reps} ${key}: ${JSON.stringify(result)}`);
      } finally {
        await stopServer(server);
      }
    }
  }
}

const metrics = {
  'relay-rtt': ['p50_us', 'p99_us'],
  'relay-throughput': ['msgs_per_s', 'server_cpu'],
  'idle-capacity': ['rss_per_conn_kib', 'connect_s', 'still_connected'],
}[scenario]!;
const medians = Object.fromEntries(
  Object.entries(runs)
    .filter(([, r]) => r.length > 0)
    .map(([kind, r]) => [kind, Object.fromEntries(metrics.map((m) => [m, median(r.map((x) => x[m]))]))]),
);
const floorOf = (key: string) => medians[key.replace(/^\S+/, 'floor')];
console.log(`\n${scenario}: medians of ${reps} runs (ratio to the floor)`);
console.log(['server', ...metrics].map((h) => h.padEnd(22)).join(''));
for (const [kind, m] of Object.entries(medians)) {
  console.log(
    [kind, ...metrics.map((k) => `${m[k]}${floorOf(kind)?.[k] ? ` (${(m[k] / floorOf(kind)[k]).toFixed(2)}x)` : ''}`)]
      .map((c) => String(c).padEnd(22))
      .join(''),
  );
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ scenario, reps, node: process.version, runs, medians }, null, 2));
console.log(`\nwritten: ${file}`);
process.exit(0);
