/**
 * A transport counts against the connection limits from its upgrade, before socket.io's CONNECT:
 * 500 bare Engine.IO transports from one address hold `--max-connections-per-ip` places, the rest
 * are refused; and a handshake that never completes is closed within socket.io's connect timeout.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { connect, joined } from './helpers/clients.js';
import { startServer } from './helpers/server.js';

const LIMIT = 50;
const server = await startServer({ maxConnectionsPerIp: LIMIT });

/** An Engine.IO transport that opens (the server's `0{…}` handshake) and never sends CONNECT. */
function bare(): Promise<{ closed: Promise<void> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  after(() => ws.terminate());
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('message', () => resolve({ closed }));
  });
}

/** A socket.io client's connection attempt: the refusal's code, or 'admitted'. */
function refusal(): Promise<string> {
  const client = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  after(() => client.disconnect());
  return new Promise((resolve) => {
    client.once('connect', () => resolve('admitted'));
    client.once('connect_error', (err: Error & { data?: { code: string } }) => resolve(err.data?.code ?? err.message));
  });
}

describe('transports that never send CONNECT', () => {
  it(`500 from one address: all but ${LIMIT} are closed first, the ${LIMIT} at the connect timeout`, async () => {
    const transports = await Promise.all(Array.from({ length: 500 }, bare));
    let closed = 0;
    const all = transports.map((t) => t.closed.then(() => closed++));
    // The over-limit ones go after a moment's grace; the counted ones wait for the connect timeout.
    await new Promise<void>((resolve) => {
      for (const t of transports) void t.closed.then(() => closed >= 500 - LIMIT && resolve());
    });
    assert.equal(closed, 500 - LIMIT);
    // The counted ones still hold the address's places: a client arriving now is refused.
    assert.equal(await refusal(), 'too-many-connections');
    await Promise.all(all);
    // Every place was given back: the address may connect again.
    const client = await connect(server.url);
    assert.equal((await joined(client, 'after-the-flood')).self.id, client.id);
    client.disconnect();
  });
});
