/**
 * Classic compatibility — the tutorial's page talks to tsunagu with nothing changed but its socket.io
 * client: `socket.send(obj)` reaches the others as `message`, and a departure is `user disconnected`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, joined, next, record, request, settle } from './helpers/clients.js';
import { startServer } from './helpers/server.js';

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const candidate = {
  type: 'candidate',
  sdpMLineIndex: 0,
  sdpMid: '0',
  candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host',
};

describe('classic relay (clients that never join)', async () => {
  // One server per scenario: the lobby is shared by every client that never joins.
  it('socket.send(obj) reaches every other classic client as message, and not the sender', async () => {
    const server = await startServer();
    const [left, right, third] = await Promise.all([1, 2, 3].map(() => connect(server.url)));
    const leftSaw = record(left);
    const toRight = next(right, 'message');
    const toThird = next(third, 'message');
    left.send(offer);
    assert.deepEqual(await toRight, offer);
    assert.deepEqual(await toThird, offer);
    const answer = next(left, 'message');
    right.send(candidate);
    assert.deepEqual(await answer, candidate);
    await settle(left);
    assert.deepEqual(
      leftSaw.map((e) => e.event),
      ['message'],
    );
  });

  it('works over HTTP long-polling too, as old pages connect', async () => {
    const server = await startServer();
    const [left, right] = await Promise.all([connect(server.url, ['polling']), connect(server.url, ['polling'])]);
    const got = next(right, 'message');
    left.send(offer);
    assert.deepEqual(await got, offer);
  });

  it('a classic client that goes away is announced to the others as user disconnected', async () => {
    const server = await startServer();
    const [left, right] = await Promise.all([connect(server.url), connect(server.url)]);
    const gone = next(right, 'user disconnected');
    left.disconnect();
    await gone;
  });

  it('classic clients never see room traffic, and joined clients never see the lobby', async () => {
    const server = await startServer();
    const [classic, alice, bob] = await Promise.all([1, 2, 3].map(() => connect(server.url)));
    const classicSaw = record(classic);
    await joined(alice, 'r');
    await joined(bob, 'r');
    const aliceSaw = record(alice);
    await request(bob, 'message', offer);
    await request(alice, 'signal', { to: bob.id, data: 1 });
    classic.send(candidate);
    await settle(classic);
    await settle(alice);
    assert.deepEqual(classicSaw, []);
    assert.deepEqual(
      aliceSaw.map((e) => e.event),
      ['message'],
    );
  });
});

describe('classic relay inside a room', () => {
  it('a joined client that sends message reaches only its room', async () => {
    const server = await startServer();
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => connect(server.url)));
    await joined(alice, 'room-1');
    await joined(bob, 'room-1');
    await joined(carol, 'room-2');
    const carolSaw = record(carol);
    const got = next(bob, 'message');
    assert.deepEqual(await request(alice, 'message', offer), { ok: true });
    assert.deepEqual(await got, offer);
    await settle(carol);
    assert.deepEqual(carolSaw, []);
  });

  it('a joined client that disconnects is user disconnected in its room as well as peer-left', async () => {
    const server = await startServer();
    const [alice, bob] = await Promise.all([connect(server.url), connect(server.url)]);
    await joined(alice, 'room-3');
    await joined(bob, 'room-3');
    const both = Promise.all([next(bob, 'user disconnected'), next(bob, 'peer-left')]);
    alice.disconnect();
    await both;
  });

  it('after leave, a client is back in the lobby with the classic clients', async () => {
    const server = await startServer();
    const [classic, alice] = await Promise.all([connect(server.url), connect(server.url)]);
    await joined(alice, 'room-4');
    await request(alice, 'leave');
    const got = next(classic, 'message');
    alice.send(offer);
    assert.deepEqual(await got, offer);
  });
});
