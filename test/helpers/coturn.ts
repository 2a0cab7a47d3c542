/** A real coturn (Debian `coturn`) on free loopback ports, REST-auth (use-auth-secret), for one test file. */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { freePort } from './ports.js';

/** One STUN Binding request; resolves when coturn answers it (so it is really serving). */
function stunPing(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    request.set(Buffer.from('tsunagu-ping'), 8); // 12-byte transaction id
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('message', (msg) => done(msg.readUInt16BE(0) === 0x0101));
    socket.send(request, port, '127.0.0.1');
  });
}

export interface Coturn {
  url: string;
  secret: string;
}

export async function startCoturn(secret: string): Promise<Coturn> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-coturn-'));
  const relayBase = 40000 + Math.floor(Math.random() * 200) * 100;
  const proc = spawn(
    '/usr/bin/turnserver',
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${relayBase}`,
      `--max-port=${relayBase + 99}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=tsunagu.test',
      // Both browsers are on this machine: their relayed peers are loopback addresses.
      '--allow-loopback-peers',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--fingerprint',
      '--log-file=stdout',
      '--simple-log',
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--userdb=${join(dir, 'turndb')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  after(() => {
    proc.kill('SIGTERM');
  });
  // Ready when it answers STUN: up to 50 tries of 100 ms each.
  for (let attempt = 0; attempt < 50; attempt++) {
    if (proc.exitCode !== null) throw new Error(`turnserver exited (${proc.exitCode}):\n${output}`);
    if (await stunPing(port, 100)) return { url: `turn:127.0.0.1:${port}?transport=udp`, secret };
  }
  proc.kill('SIGKILL');
  throw new Error(`turnserver did not answer STUN on ${port}:\n${output.slice(-2000)}`);
}
