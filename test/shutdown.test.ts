/**
 * Graceful shutdown of the real `tsunagu` process: on SIGTERM it stops being ready, refuses new
 * connections, tells its clients to move, and exits once they have gone or the grace period ends.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { io } from 'socket.io-client';
import type { Client } from './helpers/clients.js';
import { connect, next } from './helpers/clients.js';

interface Running {
  proc: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** Starts the CLI on a free port and resolves once it logs that it listens. */
async function startCli(...args: string[]): Promise<Running> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', '--port', '0', '--host', '127.0.0.1', ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the server did not start within 20 s')), 20_000);
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`);
      }
    });
  });
  return { proc, url, exited };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);
}

async function connected(url: string): Promise<Client> {
  const client: Client = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return client;
}

describe('graceful shutdown', () => {
  it('on SIGTERM: readyz 503, new connections refused, clients of both edges told; exits once they leave', async () => {
    const server = await startCli('--shutdown-grace', '60');
    const leaver = await connected(server.url);
    const lingerer = await connect(server.url, 'v1');
    const told = next<{ graceMs: number }>(leaver, 'server-shutdown');
    const lingererTold = next(lingerer, 'server-shutdown');
    server.proc.kill('SIGTERM');
    assert.deepEqual(await told, { graceMs: 60_000 });
    await lingererTold;

    // Still serving HTTP while draining, but not ready, and not taking newcomers.
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    const refused = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const error = await new Promise<{ data?: { code: string } }>((resolve) => refused.once('connect_error', resolve));
    assert.equal(error.data?.code, 'shutting-down');
    const refusedV1 = await connect(server.url, 'v1').then(
      () => 'admitted',
      (err: { data?: { code: string } }) => err.data?.code,
    );
    assert.equal(refusedV1, 'shutting-down');

    // The process waits for its clients, not for the 60 s grace period.
    leaver.disconnect();
    lingerer.disconnect();
    assert.equal(await within(server.exited, 20_000, 'exit after the last client left'), 0);
  });

  it('clients that stay are disconnected when the grace period ends, and the process exits', async () => {
    const server = await startCli('--shutdown-grace', '1');
    const stubborn = await connected(server.url);
    const dropped = next(stubborn, 'disconnect', 20_000);
    server.proc.kill('SIGTERM');
    await dropped;
    assert.equal(await within(server.exited, 20_000, 'exit after the grace period'), 0);
  });
});
