/**
 * A real Redis Cluster (redis-server processes in cluster mode, slots spread by `redis-cli --cluster create`)
 * for the specs that run tsunagu with `--redis-cluster`: a single redis-server cannot show MOVED redirects,
 * cross-slot errors or per-shard pub/sub, so those paths need the real thing.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { exited, waitForLine } from './processes.js';

const run = promisify(execFile);

export interface RedisCluster {
  /** Seed node URLs, comma-separated: what `--redis` takes with `--redis-cluster`. */
  urls: string;
  ports: number[];
  stop(): Promise<void>;
}

/**
 * Distinct free loopback ports. Each node needs two (clients, and the cluster bus, which otherwise
 * defaults to port + 10000 and could be taken or past 65535), and freePort alone may hand one out twice.
 */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Resolves once every node says `cluster_state:ok`, i.e. all 16384 slots are assigned and it agrees. */
async function waitForClusterOk(ports: number[], ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    const infos = await Promise.all(
      ports.map((port) =>
        run('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']).then(
          (r) => r.stdout,
          (err: Error) => err.message,
        ),
      ),
    );
    const ok = (info: string) =>
      info.includes('cluster_state:ok') &&
      info.includes('cluster_slots_ok:16384') &&
      info.includes(`cluster_known_nodes:${ports.length}`);
    if (infos.every(ok)) return;
    last = infos.join('\n');
    await new Promise((r) => setTimeout(r, 100)); // polling the daemons' cluster state, bounded by `ms`, 100 ms steps
  }
  throw new Error(`Redis Cluster not ok within ${ms} ms:\n${last.slice(-2000)}`);
}

/**
 * A throwaway Redis Cluster of `masters` masters (at least 3, as `redis-cli --cluster create` demands)
 * and no replicas, without persistence, in a fresh temp dir. Resolves once every node reports
 * `cluster_state:ok`, so the first command a test sends lands on a settled slot map.
 * The caller registers `after(cluster.stop)` once its nodes exist, as with startRedis: nodes should
 * close while Redis still answers. `stop` may be called more than once.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  if (masters < 3) throw new Error(`redis-cli --cluster create needs at least 3 masters, got ${masters}`);
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-redis-cluster-'));
  const allPorts = await freePorts(masters * 2);
  const ports = allPorts.slice(0, masters);
  const busPorts = allPorts.slice(masters);
  const procs: ChildProcess[] = [];

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.all(
        procs.map(async (proc) => {
          if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
          const done = exited(proc);
          proc.kill('SIGTERM');
          await done;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    await Promise.all(
      ports.map((port, i) => {
        const proc = spawn(
          '/usr/bin/redis-server',
          [
            '--port',
            String(port),
            '--cluster-port',
            String(busPorts[i]),
            '--bind',
            '127.0.0.1',
            '--dir',
            dir,
            '--save',
            '',
            '--appendonly',
            'no',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '5000',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        procs.push(proc);
        return waitForLine(proc, /Ready to accept connections/);
      }),
    );
    await run(
      '/usr/bin/redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 20_000 },
    );
    await waitForClusterOk(ports);
  } catch (err) {
    await stop();
    throw err;
  }

  return { urls: ports.map((p) => `redis://127.0.0.1:${p}`).join(','), ports, stop };
}
