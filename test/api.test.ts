/**
 * The server API (`/api/v1`): admin tokens only, the protocol's error shape, and cluster-wide
 * answers — two real nodes sharing a real redis-server, real socket.io clients on each.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { PeerLeftEvent } from '../src/protocol/index.js';
import { mintToken } from '../src/server/auth.js';
import type { TsunaguServer } from '../src/server/index.js';
import { connect, joined, next, type Client } from './helpers/clients.js';
import { startRedis } from './helpers/processes.js';
import { startServer } from './helpers/server.js';
import { SECRET, sign } from './helpers/tokens.js';

const redis = await startRedis();
const a = await startServer({ redis: redis.url, tokenSecret: SECRET });
const b = await startServer({ redis: redis.url, tokenSecret: SECRET });
const alone = await startServer({ tokenSecret: SECRET });
after(() => redis.stop()); // after the nodes have closed

const admin = await mintToken({ secret: SECRET, sub: 'ops', admin: true, ttl: 600 });

interface Answer {
  status: number;
  body: Record<string, unknown> & { ok: boolean; error?: { code: string; message: string } };
}

async function call(
  server: TsunaguServer,
  method: string,
  path: string,
  body?: unknown,
  token = admin,
): Promise<Answer> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** A client on `server` in `room`. */
async function member(server: TsunaguServer, room: string, name: string): Promise<Client> {
  const client = await connect(server.url);
  await joined(client, room, name);
  return client;
}

describe('server API: who may call it', () => {
  it('refuses a request without a token: 401 unauthorized, in the protocol error shape', async () => {
    const { status, body } = await call(a, 'GET', '/rooms', undefined, '');
    assert.equal(status, 401);
    assert.equal(body.ok, false);
    assert.equal(body.error?.code, 'unauthorized');
  });

  it('refuses a badly signed token: 401 unauthorized', async () => {
    const forged = await mintToken({ secret: 'x'.repeat(40), sub: 'ops', admin: true, ttl: 60 });
    const { status, body } = await call(a, 'GET', '/rooms', undefined, forged);
    assert.equal(status, 401);
    assert.equal(body.error?.code, 'unauthorized');
  });

  it("refuses a client's token, without the admin grant: 403 forbidden", async () => {
    const client = await sign({ sub: 'aiko', room: 'any' });
    const { status, body } = await call(a, 'GET', '/rooms', undefined, client);
    assert.equal(status, 403);
    assert.deepEqual(body, { ok: false, error: { code: 'forbidden', message: 'the token has no admin grant' } });
  });

  it('answers a bad room name with 400 bad-request, by the same rule as join', async () => {
    const { status, body } = await call(a, 'GET', '/rooms/no%20spaces');
    assert.equal(status, 400);
    assert.equal(body.error?.code, 'bad-request');
    assert.match(body.error!.message, /room/);
  });

  it('answers an unknown room with 404 not-found, and a body that is not the schema with 400', async () => {
    assert.equal((await call(a, 'GET', '/rooms/api-nobody')).body.error?.code, 'not-found');
    const bad = await call(a, 'POST', '/rooms/api-nobody/message', { data: 1, extra: true });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'bad-request');
  });
});

describe('server API: two nodes sharing Redis', () => {
  it('lists rooms and members across both nodes, on either node', async () => {
    const x1 = await member(a, 'api-list', 'on A');
    const x2 = await member(b, 'api-list', 'on B');
    await member(b, 'api-list-other', 'elsewhere');
    for (const node of [a, b]) {
      const rooms = await call(node, 'GET', '/rooms');
      assert.equal(rooms.status, 200);
      const listed = (rooms.body.rooms as Array<{ room: string; members: number; createdAt: number }>).filter((r) =>
        r.room.startsWith('api-list'),
      );
      assert.deepEqual(
        listed.map(({ room, members }) => ({ room, members })),
        [
          { room: 'api-list', members: 2 },
          { room: 'api-list-other', members: 1 },
        ],
      );
      const room = await call(node, 'GET', '/rooms/api-list');
      const members = room.body.members as Array<{ id: string; name: string; node: string; away: boolean }>;
      assert.deepEqual(
        members.map(({ id, name, node, away }) => ({ id, name, node, away })),
        [
          { id: x1.id, name: 'on A', node: a.core.node, away: false },
          { id: x2.id, name: 'on B', node: b.core.node, away: false },
        ],
      );
    }
  });

  it('removes a member connected to the other node: it hears removed, then is disconnected; the others see peer-left removed', async () => {
    const onA = await member(a, 'api-remove', 'stays');
    const onB = await member(b, 'api-remove', 'goes');
    const goes = onB.id!; // a disconnected client forgets its id
    const removed = next<{ reason: string }>(onB, 'removed');
    const disconnected = next<string>(onB, 'disconnect');
    const left = next<PeerLeftEvent>(onA, 'peer-left');
    const answer = await call(a, 'DELETE', `/rooms/api-remove/members/${goes}?reason=spam`);
    assert.deepEqual(answer, { status: 200, body: { ok: true, removed: 1 } });
    assert.deepEqual(await removed, { reason: 'spam' });
    assert.equal(await disconnected, 'io server disconnect');
    assert.deepEqual(await left, { id: goes, reason: 'removed' });
    const room = await call(b, 'GET', '/rooms/api-remove');
    assert.deepEqual(
      (room.body.members as Array<{ id: string }>).map((m) => m.id),
      [onA.id],
    );
    assert.equal((await call(a, 'DELETE', `/rooms/api-remove/members/${goes}`)).status, 404);
  });

  it('closes a room: every member, on both nodes, is removed with reason room-closed', async () => {
    const onA = await member(a, 'api-close', 'A');
    const onB = await member(b, 'api-close', 'B');
    const heard = Promise.all([next(onA, 'removed'), next(onB, 'removed')]);
    const answer = await call(b, 'DELETE', '/rooms/api-close');
    assert.deepEqual(answer, { status: 200, body: { ok: true, removed: 2 } });
    assert.deepEqual(await heard, [{ reason: 'room-closed' }, { reason: 'room-closed' }]);
  });

  it('sends server-message { data } to every member of a room, on both nodes', async () => {
    const onA = await member(a, 'api-message', 'A');
    const onB = await member(b, 'api-message', 'B');
    const heard = Promise.all([next(onA, 'server-message'), next(onB, 'server-message')]);
    const answer = await call(a, 'POST', '/rooms/api-message/message', { data: { notice: 'ends in 5 min' } });
    assert.deepEqual(answer, { status: 200, body: { ok: true, members: 2 } });
    assert.deepEqual(await heard, [{ data: { notice: 'ends in 5 min' } }, { data: { notice: 'ends in 5 min' } }]);
  });
});

describe('server API: one node, no Redis', () => {
  it('lists, removes and messages from the node’s own views', async () => {
    const x = await member(alone, 'api-alone', 'X');
    const xId = x.id!;
    const y = await member(alone, 'api-alone', 'Y');
    const rooms = await call(alone, 'GET', '/rooms');
    assert.deepEqual(
      (rooms.body.rooms as Array<{ room: string; members: number }>).map(({ room, members }) => ({ room, members })),
      [{ room: 'api-alone', members: 2 }],
    );
    const message = next(y, 'server-message');
    await call(alone, 'POST', '/rooms/api-alone/message', { data: 'hi' });
    assert.deepEqual(await message, { data: 'hi' });
    const left = next<PeerLeftEvent>(y, 'peer-left');
    const removed = next(x, 'removed');
    assert.equal((await call(alone, 'DELETE', `/rooms/api-alone/members/${xId}`)).status, 200);
    assert.deepEqual(await removed, { reason: 'removed' });
    assert.deepEqual(await left, { id: xId, reason: 'removed' });
  });
});

describe('server API: its OpenAPI document', () => {
  it('is served at /api/v1/openapi.json, generated from the same schemas', async () => {
    const res = await fetch(`${a.url}/api/v1/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { parameters: Array<{ name: string; schema: { pattern?: string } }> }>>;
      components: { schemas: Record<string, unknown> };
    };
    assert.match(doc.openapi, /^3\./);
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/rooms',
      '/rooms/{room}',
      '/rooms/{room}/members/{id}',
      '/rooms/{room}/message',
    ]);
    assert.deepEqual(Object.keys(doc.paths['/rooms/{room}']).sort(), ['delete', 'get']);
    assert.equal(doc.paths['/rooms/{room}'].get.parameters[0].schema.pattern, '^[A-Za-z0-9._-]{1,64}$');
    for (const name of ['Error', 'Member', 'Rooms', 'Room', 'WebhookEvent'])
      assert.ok(doc.components.schemas[name], name);
  });
});
