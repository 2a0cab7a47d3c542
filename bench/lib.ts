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
  const proc = spawn('taskset', ['-c', '0', process.execPath, ...nodeArgs, '--import', 'tsx', program, '0'], {
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
