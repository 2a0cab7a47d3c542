/**
 * idle-capacity: N idle connections opened from a separate, pinned process (bench/idle-client.ts;
 * at most 20,000 open files per process here): server RSS growth per connection, time to connect
 * them all, and how many are still up after the hold.
 */
import { spawn } from 'node:child_process';
import type { ServerKind } from '../drivers.js';
import { rssKiB, withServer } from '../lib.js';

export function idleCapacity(kind: ServerKind, n: number, hold: number): Promise<Record<string, number>> {
  return withServer(kind, async (server) => {
    const before = rssKiB(server.proc.pid!);
    const args = ['-c', '1', process.execPath, '--import', 'tsx', 'bench/idle-client.ts', kind, String(server.port)];
    const client = spawn('taskset', [...args, String(n), String(hold)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const phases: Record<string, number>[] = [];
    const result: Record<string, number> = { conns: n };
    await new Promise<void>((resolve, reject) => {
      client.once('exit', (code) =>
        phases.length === 2 ? resolve() : reject(new Error(`idle client exited (${code})`)),
      );
      client.stdout.on('data', (chunk: Buffer) => {
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
  });
}
