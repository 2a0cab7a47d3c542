/** Real daemons for the cluster specs: redis-server, nginx and tsunagu CLI nodes, on free loopback ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { freePort } from './ports.js';

/** Resolves once `proc` prints a line matching `ready`; rejects if it exits or takes over `ms`. */
export function waitForLine(proc: ChildProcess, ready: RegExp, ms = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`not ready within ${ms} ms:\n${output.slice(-2000)}`)), ms);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => ready.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${output.slice(-2000)}`));
    });
  });
}

export function exited(proc: ChildProcess): Promise<number | null> {
  return proc.exitCode !== null ? Promise.resolve(proc.exitCode) : new Promise((r) => proc.once('exit', r));
}

export interface Redis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A throwaway redis-server (no persistence), which a test may stop and start again on its port.
 * The caller registers `after(redis.stop)` once its nodes exist: hooks run in order, and nodes
 * should close while Redis still answers.
 */
export async function startRedis(): Promise<Redis> {
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const redis: Redis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      proc = spawn(
        '/usr/bin/redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      await waitForLine(proc, /Ready to accept connections/);
    },
    async stop() {
      if (!proc || proc.exitCode !== null) return;
      const done = exited(proc);
      proc.kill('SIGTERM');
      await done;
    },
  };
  await redis.start();
  return redis;
}

/** nginx running docs/deploy/nginx.conf, with its ports swapped for the test's nodes. */
export async function startNginx(upstreams: number[]): Promise<{ url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-nginx-'));
  const shipped = readFileSync('docs/deploy/nginx.conf', 'utf8');
  const servers = upstreams.map((p) => `        server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n');
  const conf = shipped
    .replace(/(upstream tsunagu \{[^}]*?)((?:\s*server 127\.0\.0\.1:\d+[^\n]*\n)+)/, `$1\n${servers}\n`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace(
      'worker_processes auto;',
      `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\ndaemon off;`,
    )
    .replace(
      'access_log off;',
      `access_log off;\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;`,
    );
  if (!conf.includes(`127.0.0.1:${upstreams[0]}`)) throw new Error('docs/deploy/nginx.conf: upstream block not found');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const proc = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  after(() => proc.kill('SIGQUIT'));
  // nginx says nothing when it starts: ready once it answers.
  for (let attempt = 0; attempt < 100; attempt++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url: `http://127.0.0.1:${port}` };
    await new Promise((r) => setTimeout(r, 50)); // polling a daemon's start-up, bounded: 100 x 50 ms
  }
  throw new Error('nginx did not answer within 5 s');
}

export interface Node {
  proc: ChildProcess;
  url: string;
  port: number;
  /** Everything it logged so far (JSON lines). */
  output(): string;
  /** Its inspector's WebSocket address, when started with `inspect` (see startNodeWith). */
  inspector?: string | null;
}

/** A tsunagu node as its own process (so a test can kill it outright). */
export function startNode(...args: string[]): Promise<Node> {
  return startNodeWith({}, ...args);
}

/**
 * A node as its own process, with Node's inspector on a free loopback port when `inspect` is set:
 * a test can then force a garbage collection in it through the inspector protocol (inspector.ts)
 * and read an honest heap figure from /metrics, with nothing added to the server for it. With a
 * `logLevel` above info (a node that takes a flood, whose info lines would cost it more than the
 * flood), it never says it listens: it gets a free port, and is ready once /healthz answers.
 */
export async function startNodeWith(
  options: { inspect?: boolean; logLevel?: 'warn' | 'error' },
  ...args: string[]
): Promise<Node> {
  const flags = options.inspect ? ['--inspect=127.0.0.1:0'] : [];
  const quiet = options.logLevel !== undefined;
  const listen = quiet ? ['--port', String(await freePort()), '--log-level', options.logLevel!] : ['--port', '0'];
  const proc = spawn(
    process.execPath,
    [...flags, '--import', 'tsx', 'src/cli.ts', ...listen, '--host', '127.0.0.1', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let errors = '';
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  after(() => proc.kill('SIGKILL'));
  let port: number;
  if (quiet) {
    port = Number(listen[1]);
    for (let attempt = 0; ; attempt++) {
      if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode}:\n${errors}${output}`);
      if (attempt >= 400) throw new Error(`no /healthz within 20 s:\n${errors}${output}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50)); // polling a daemon's start-up, bounded: 400 x 50 ms
    }
  } else {
    const line = await waitForLine(proc, /"msg":"listening"/);
    port = (JSON.parse(line) as { port: number }).port;
  }
  // The inspector prints its address on stderr before any module loads: it is there by now.
  const inspector = options.inspect ? (/Debugger listening on (ws:\/\/\S+)/.exec(errors)?.[1] ?? null) : null;
  if (options.inspect && inspector === null) throw new Error(`no inspector address in:\n${errors}`);
  return { proc, url: `http://127.0.0.1:${port}`, port, output: () => output, inspector };
}
