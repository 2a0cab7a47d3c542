/**
 * Webhooks: two real nodes sharing a real redis-server POST room and member events to real HTTP
 * receivers in the test — each event once, whichever node saw it, signed; retried until a receiver
 * that fails answers.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { webhookEvent } from '../src/protocol/api.js';
import type { WebhookEvent } from '../src/protocol/index.js';
import { connect, joined, request, type Client } from './helpers/clients.js';
import { openLink } from './helpers/link.js';
import { startRedis } from './helpers/processes.js';
import { startServer } from './helpers/server.js';

const SECRET = 'webhook-secret-0123456789';

/** The check docs/operations.md shows receivers: HMAC-SHA256 of "t.body", compared in constant time, t recent. */
function verify(header: string | undefined, body: string, secret: string): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300 || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Delivery {
  event: WebhookEvent;
  signed: boolean;
  status: number;
}

/** A real HTTP receiver; answers 500 to its first `failures` requests, 200 after. */
async function receiver(failures = 0) {
  const got: Delivery[] = [];
  const news = new EventEmitter();
  let requests = 0;
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const status = ++requests <= failures ? 500 : 200;
      const delivery = {
        event: webhookEvent.parse(JSON.parse(body)),
        signed: verify(req.headers['tsunagu-signature'] as string | undefined, body, SECRET),
        status,
      };
      got.push(delivery);
      res.writeHead(status).end();
      news.emit('delivery', delivery);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    /** Answered 200 for events of `room`. */
    delivered: (room: string) => got.filter((d) => d.status === 200 && d.event.room === room),
    /** Resolves with the first delivery answered 200 that `match`es (already here, or to come). */
    waitFor(match: (e: WebhookEvent) => boolean, ms = 10_000): Promise<Delivery> {
      const found = got.find((d) => d.status === 200 && match(d.event));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a webhook')), ms);
        const listener = (d: Delivery) => {
          if (d.status !== 200 || !match(d.event)) return;
          clearTimeout(timer);
          news.off('delivery', listener);
          resolve(d);
        };
        news.on('delivery', listener);
      });
    },
  };
}

const redis = await startRedis();
const good = await receiver();
const flaky = await receiver(2);
const options = { redis: redis.url, webhookUrls: [good.url, flaky.url], webhookSecret: SECRET };
const a = await startServer(options);
const b = await startServer(options);
after(() => redis.stop()); // after the nodes have closed

const is = (event: string, room: string, member?: string) => (e: WebhookEvent) =>
  e.event === event && e.room === room && (member === undefined || e.member?.id === member);

/** Every node has sent what it was told before now: each says so with an event of its own, last in its queue. */
async function drained(): Promise<void> {
  const marks = await Promise.all([a, b].map((n) => connect(n.url)));
  await Promise.all(marks.map((c, i) => joined(c, `wh-mark-${i}-${Date.now()}`)));
  await Promise.all(marks.map((c) => good.waitFor((e) => e.event === 'member-joined' && e.member?.id === c.id)));
}

describe('webhooks, two nodes sharing Redis', () => {
  it('each event reaches a receiver once, from the one node where it happened, with a valid signature', async () => {
    const onA = await connect(a.url);
    const onB = await connect(b.url);
    const [idA, idB] = [onA.id!, onB.id!];
    await joined(onA, 'wh-life', 'A');
    await joined(onB, 'wh-life', 'B');
    await request(onB, 'leave');
    await request(onA, 'leave');
    await good.waitFor(is('room-finished', 'wh-life'));
    await drained();
    const got = good.delivered('wh-life');
    assert.deepEqual(
      got.map((d) => `${d.event.event} ${d.event.member?.id ?? ''}`.trim()).sort(),
      [
        `member-joined ${idA}`,
        `member-joined ${idB}`,
        `member-left ${idA}`,
        `member-left ${idB}`,
        'room-finished',
        'room-started',
      ].sort(),
    );
    assert.equal(new Set(got.map((d) => d.event.id)).size, got.length, 'every event has its own id');
    assert.ok(
      got.every((d) => d.signed),
      'every signature verifies',
    );
    const joinedB = got.find((d) => d.event.event === 'member-joined' && d.event.member?.id === idB)!;
    assert.deepEqual(
      { name: joinedB.event.member!.name, node: joinedB.event.member!.node },
      { name: 'B', node: b.core.node },
    );
    const leftA = got.find((d) => d.event.event === 'member-left' && d.event.member?.id === idA)!;
    assert.equal(leftA.event.member!.reason, 'left');
  });

  it('a receiver that fails twice, then answers 200, still gets every event', async () => {
    // The flaky receiver answered 500 to the first two requests it ever got (of the spec above).
    await drained();
    const failed = flaky.got.filter((d) => d.status === 500);
    assert.equal(failed.length, 2);
    for (const { event } of failed) await flaky.waitFor((e) => e.id === event.id);
    const ids = (d: Delivery[]) => d.map((x) => x.event.id).sort();
    assert.deepEqual(ids(flaky.delivered('wh-life')), ids(good.delivered('wh-life')));
  });

  it('a member whose link drops is away, then resumed; a removed member left with reason removed', async () => {
    const link = await openLink(a.port);
    const client: Client = io(link.url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 50 });
    after(() => void client.disconnect());
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const id = client.id!;
    await joined(client, 'wh-away');
    link.cut();
    const away = await good.waitFor(is('member-away', 'wh-away', id));
    link.release();
    const resumed = await good.waitFor(is('member-resumed', 'wh-away', id));
    assert.equal(resumed.event.member?.node, a.core.node);
    assert.ok(away.signed && resumed.signed);
    assert.ok(await b.core.remove('wh-away', id, 'removed'));
    const left = await good.waitFor(is('member-left', 'wh-away', id));
    assert.equal(left.event.member?.reason, 'removed');
    await good.waitFor(is('room-finished', 'wh-away'));
  });
});
