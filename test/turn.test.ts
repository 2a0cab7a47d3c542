/** TURN credentials the coturn REST way, handed out in the join ack and at GET /ice-servers. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { turnCredentials } from '../src/server/turn.js';
import { connect, joined } from './helpers/clients.js';
import { startServer } from './helpers/server.js';

const turn = {
  turnSecret: 'north-wind',
  turnUrls: 'turn:127.0.0.1:3478?transport=udp, turns:turn.test:5349',
  turnTtlSeconds: 600,
};

describe('TURN credentials', () => {
  it('username is <expiry>:<identity>, credential is base64(HMAC-SHA1(secret, username))', () => {
    const now = Date.UTC(2026, 10, 25, 0, 0, 0);
    const server = turnCredentials(turn, 'aiko', now);
    assert.equal(server.username, `${now / 1000 + 600}:aiko`);
    assert.equal(server.credential, createHmac('sha1', 'north-wind').update(server.username!).digest('base64'));
    assert.deepEqual(server.urls, ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.test:5349']);
  });

  it('a colon in the identity cannot change the expiry coturn reads', () => {
    const server = turnCredentials(turn, '9999999999:evil', 0);
    assert.equal(server.username, '600:9999999999_evil');
  });

  it('every join ack carries fresh credentials after the configured ICE servers', async () => {
    const server = await startServer({ ...turn, iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
    const client = await connect(server.url);
    const before = Math.floor(Date.now() / 1000);
    const { iceServers } = await joined(client, 'turn-room');
    assert.equal(iceServers.length, 2);
    assert.deepEqual(iceServers[0], { urls: 'stun:127.0.0.1:3478' });
    const [expiry, identity] = iceServers[1].username!.split(':');
    assert.equal(identity, client.id);
    assert.ok(Number(expiry) >= before + 600 && Number(expiry) <= before + 602);
  });

  it('GET /ice-servers answers the same way in open mode', async () => {
    const server = await startServer(turn);
    const res = await fetch(`${server.url}/ice-servers`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { iceServers: Array<{ username: string; credential: string }> };
    assert.equal(body.iceServers.length, 1);
    assert.match(body.iceServers[0].username, /^\d+:anonymous-/);
  });

  it('a secret without URLs (or URLs without a secret) is a configuration error', async () => {
    await assert.rejects(startServer({ turnSecret: 's' }), /--turn-secret and --turn-urls go together/);
  });
});
