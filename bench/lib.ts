/** What every scenario shares: server processes pinned to core 0, /proc readings, quantiles. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { serverEnv, serverProgram, type ServerKind } from './drivers.js';

export interface Server {
  proc: ChildProcess;
  port: number;
}

/** Starts `bench/servers/<program>.ts` on core 0; resolves once it prints `ready <port>`. */
export async function startServer(
  kind: ServerKind,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Server> {
  const program = `bench/servers/${serverProgram(kind)}.ts`;
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const proc = spawn('taskset', ['-c', '0', process.execPath, ...extra, ...nodeArgs, '--import', 'tsx', program, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...serverEnv(kind), ...env },
  });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      const match = /ready (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  return { proc, port };
}

export async function stopServer(server: { proc: ChildProcess }): Promise<void> {
  if (server.proc.exitCode !== null) return;
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  server.proc.kill('SIGKILL');
  await exited;
}

/** Runs `fn` against a fresh server of `kind`, stopped afterwards whatever happens. */
export async function withServer<T>(kind: ServerKind, fn: (server: Server) => Promise<T>): Promise<T> {
  const server = await startServer(kind);
  try {
    return await fn(server);
  } finally {
    await stopServer(server);
  }
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process, in KiB, from /proc. */
export function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

export const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The steady-state window every rate scenario uses: 2 s of the running load first (JIT, buffers),
 * for every server alike, then `count()`'s growth over 10 s, per second and per second of the
 * server's CPU (fair when the one-core load generator, not the server, is the limit).
 */
export async function steadyRate(
  server: Server,
  count: () => number,
): Promise<{ perSecond: number; perCpuSecond: number; cpu: number }> {
  await sleep(2_000);
  const n0 = count();
  const cpu0 = cpuSeconds(server.proc.pid!);
  const t0 = performance.now();
  await sleep(10_000); // the measurement window itself
  const seconds = (performance.now() - t0) / 1000;
  const n = count() - n0;
  const cpu = (cpuSeconds(server.proc.pid!) - cpu0) / seconds;
  return { perSecond: Math.round(n / seconds), perCpuSecond: Math.round(n / seconds / cpu), cpu: +cpu.toFixed(2) };
}
