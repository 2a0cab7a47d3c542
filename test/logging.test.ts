/** Logs are JSON lines with the socket id, room and error code — and never a token or a credential. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { io } from 'socket.io-client';
import { createServer } from '../src/server/index.js';
import type { Client } from './helpers/clients.js';
import { joined, request } from './helpers/clients.js';
import { SECRET, sign } from './helpers/tokens.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});
const server = await createServer({
  port: 0,
  host: '127.0.0.1',
  auth: 'token',
  tokenSecret: SECRET,
  turnSecret: 'turn-secret-never-logged',
  turnUrls: 'turn:127.0.0.1:3478',
  logger: pino({ level: 'debug' }, sink),
});
after(() => server.close());

describe('logs', () => {
  it('carry socket id, room and error code, and never the token or TURN credentials', async () => {
    const token = await sign({ sub: 'aiko', room: 'logged' });
    const client: Client = io(server.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token },
    });
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const id = client.id;
    const { iceServers } = await joined(client, 'logged');
    const credential = iceServers[0].credential!;
    await request(client, 'join', { room: 'elsewhere' }); // forbidden
    await request(client, 'signal', { to: 'nobody', data: { token } }); // peer-not-found, token in a payload
    const refused = io(server.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: token + 'x' },
    });
    await new Promise((resolve) => refused.once('connect_error', resolve));
    client.disconnect();

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(records.some((r) => r.msg === 'joined' && r.socket === id && r.room === 'logged'));
    assert.ok(records.some((r) => r.code === 'forbidden' && r.socket === id));
    assert.ok(records.some((r) => r.code === 'peer-not-found' && r.room === 'logged'));
    assert.ok(records.some((r) => r.code === 'unauthorized' && r.msg === 'connection refused'));
    const all = lines.join('\n');
    for (const secret of [token, token.split('.')[2], credential, SECRET, 'turn-secret-never-logged']) {
      assert.ok(!all.includes(secret), `a secret was logged: ${secret.slice(0, 12)}…`);
    }
  });
});
