/**
 * Specs of the outbound budget (core/budget.ts): a client that stops reading its socket is closed
 * as a slow consumer once what is queued for it passes `--max-send-buffer`, on every edge, and the
 * server's memory stays bounded; a reader that is merely slow is not; and a node holding too much
 * for its readers altogether refuses newcomers `overloaded` until it has let go of it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { V1_CLOSE, V1_PATH, V1_SUBPROTOCOL } from '../src/protocol/index.js';
import { connect, joined, request, type Client } from './helpers/clients.js';
import { openPeer, type RawPeer } from './helpers/peerjs.js';
import { startNode } from './helpers/processes.js';
import { startServer } from './helpers/server.js';

/** Small budgets, so a few megabytes of signals show what hundreds would. */
const BUDGET = 256 * 1024;
/** Inside --max-payload (64 KB), as the attack: large signals, each one allowed. */
const PAD = 'x'.repeat(60_000);
/** What else the server process may grow by while it relays megabytes (heap, buffers in flight). */
const MARGIN = 48 * 1024 * 1024;
/** What the attack sends each reader: half as much again as the margin, so a server that held it would be seen. */
const ATTACK = 1.5 * MARGIN;

/** One sample of a metric on `url`'s /metrics: the sum of the series matching `name{labels…}`. */
async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !(line.startsWith(`${name} `) || line.startsWith(`${name}{`))) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Resolves once `check` holds, asking again as the server answers; rejects after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A WebSocket client that can stop reading its socket (`ws.pause()`), and hears the close's code. */
interface Reader {
  id: string;
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
}

const closeOf = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );

/** Frames as they come, to await one by what it says. */
function frames(ws: WebSocket): (match: (text: string) => boolean) => Promise<string> {
  const seen: string[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (raw) => {
    seen.push(raw.toString());
    for (const w of waiters.splice(0)) w();
  });
  return async (match) => {
    for (;;) {
      const i = seen.findIndex(match);
      if (i >= 0) return seen.splice(0, i + 1)[i]!;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
}

/** A socket.io client written by hand (engine.io over ws), joined to `room`. */
async function socketIoReader(url: string, room: string): Promise<Reader> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
  ws.on('error', () => {});
  const closed = closeOf(ws);
  const next = frames(ws);
  await opened(ws);
  await next((t) => t.startsWith('0{'));
  ws.send('40');
  const { sid } = JSON.parse((await next((t) => t.startsWith('40{'))).slice(2)) as { sid: string };
  ws.send(`420${JSON.stringify(['join', { room }])}`);
  await next((t) => t.startsWith('430'));
  return { id: sid, ws, closed };
}

/** A `/v1` client written from the wire contract, joined to `room`. */
async function v1Reader(url: string, room: string): Promise<Reader> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${V1_PATH}`, [V1_SUBPROTOCOL]);
  ws.on('error', () => {});
  const closed = closeOf(ws);
  const next = frames(ws);
  await opened(ws);
  const welcome = JSON.parse(await next((t) => t.includes('"welcome"'))) as { data: { id: string } };
  ws.send(JSON.stringify({ event: 'join', data: { room }, ack: 1 }));
  await next((t) => t.includes('"ack":1'));
  return { id: welcome.data.id, ws, closed };
}

/** Senders in `room`, over `edge`. */
async function senders(url: string, edge: 'socket.io' | 'v1', room: string, n: number): Promise<Client[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => connect(url, edge)));
  for (const c of clients) await joined(c, room);
  return clients;
}

/**
 * Signals of 60 KB from every sender to `to`, a round of `perRound` each and then an answered
 * request, until `done` says so: every one inside the rate and payload limits.
 */
async function flood(
  clients: Client[],
  to: string,
  done: (sent: number) => Promise<boolean>,
  { rounds = 18, perRound = 10 } = {},
): Promise<number> {
  let sent = 0;
  for (let round = 0; round < rounds && !(await done(sent)); round++) {
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < perRound; i++) c.emit('signal', { to, data: { pad: PAD } });
        const answer = await request(c, 'signal', { to, data: { pad: PAD } });
        assert.equal(answer.ok, true, 'a sender is never refused for what its receiver does');
      }),
    );
    sent += clients.length * (perRound + 1) * PAD.length;
  }
  return sent;
}

describe('a client that stops reading its socket (the paused-reader attack)', () => {
  /** One node of its own (its RSS is what is measured), shared by the three edges' specs. */
  const node = startNode('--max-send-buffer', String(BUDGET), '--rate-burst', '1000');
  const rss = async () => metric((await node).url, 'tsunagu_process_resident_memory_bytes');
  /**
   * A new process grows by tens of MB as it first relays megabytes (code compiled, the heap
   * sized), whoever reads: measured from a node that has done that once over each edge, the
   * growth is the readers' alone.
   */
  const warm = node.then(async ({ url }) => {
    for (const edge of ['socket.io', 'v1'] as const) {
      const [a, b] = await senders(url, edge, `warm-${edge}`, 2);
      let got = 0;
      b!.on('signal', () => got++);
      // In rounds that b reads as they come (it is no slow consumer), 7 MB in all.
      for (let round = 1; round <= 40; round++) {
        for (let i = 0; i < 3; i++) a!.emit('signal', { to: b!.id!, data: { pad: PAD } });
        await until('a round of the warm-up arrived', async () => got >= round * 3);
      }
      a!.disconnect();
      b!.disconnect();
    }
    return rss();
  });

  for (const edge of ['socket.io', 'v1'] as const) {
    test(`over ${edge}: closed slow-consumer past --max-send-buffer, the server's memory bounded, its senders unharmed`, async (t) => {
      const { url } = await node;
      const room = `paused-${edge}`;
      await warm;
      const before = await rss();
      const reader = await (edge === 'v1' ? v1Reader : socketIoReader)(url, room);
      const others = await senders(url, edge, room, 3);
      const counted = () =>
        metric(url, 'tsunagu_slow_consumers_total', `protocol="${edge === 'v1' ? 'v1' : 'socketio'}"`);
      const already = await counted();
      reader.ws.pause(); // reads nothing more: the TCP window closes, the server's queue grows

      let sent = await flood(others, reader.id, async () => (await counted()) > already, { rounds: 100 });
      // Reading again (within the grace), it finds its close behind what was queued: the reason.
      reader.ws.resume();
      const { code, reason } = await reader.closed;
      assert.deepEqual({ code, reason }, { code: V1_CLOSE.slowConsumer, reason: 'slow-consumer' });
      // Its peers keep signalling it (away now: what they send is kept for a resume, within the
      // ledger's bound), past the margin: the server holds its budget for it and no more.
      sent += await flood(others, reader.id, async (more) => sent + more > ATTACK, { rounds: 100 });
      // The senders' other calls keep working.
      const [a, b] = others;
      const got = new Promise((resolve) => b!.once('signal', resolve));
      assert.equal((await request(a!, 'signal', { to: b!.id, data: { ok: 1 } })).ok, true);
      await got;
      const grown = (await rss()) - before;
      assert.ok(grown < BUDGET + MARGIN, `RSS grew ${grown} bytes for one reader`);
      t.diagnostic(`sent ${sent}, grown ${grown}`);
      for (const c of others) c.disconnect();
    });
  }

  test("over PeerJS: closed slow-consumer past --max-send-buffer, the server's memory bounded, its senders unharmed", async (t) => {
    const { url } = await node;
    await warm;
    const reader = await openPeer(url);
    const peers: RawPeer[] = await Promise.all([openPeer(url), openPeer(url), openPeer(url)]);
    const counted = () => metric(url, 'tsunagu_slow_consumers_total', 'protocol="peerjs"');
    reader.ws.pause();
    const before = await rss();
    let sent = 0;
    const attack = async (until: () => Promise<boolean>) => {
      for (let round = 0; round < 100 && !(await until()); round++) {
        for (const p of peers) {
          for (let i = 0; i < 10; i++) p.send({ type: 'OFFER', dst: reader.id, payload: { sdp: PAD } });
          sent += 10 * PAD.length;
        }
        // A round trip between two senders: every message sent before it has been relayed.
        peers[0]!.send({ type: 'CANDIDATE', dst: peers[1]!.id, payload: { candidate: round } });
        // (Once the reader is gone, its senders hear LEAVE for it, as PeerJS says so.)
        while ((await peers[1]!.next()).type !== 'CANDIDATE');
      }
    };
    await attack(async () => (await counted()) > 0);
    reader.ws.resume();
    assert.equal(await reader.closed, V1_CLOSE.slowConsumer);
    await attack(async () => sent > ATTACK);
    const grown = (await rss()) - before;
    assert.ok(grown < BUDGET + MARGIN, `RSS grew ${grown} bytes for one reader`);
    t.diagnostic(`sent ${sent}, grown ${grown}`);
    for (const p of [...peers]) p.ws.close();
  });
});

describe('a reader that is merely slow', () => {
  for (const edge of ['socket.io', 'v1'] as const) {
    test(`over ${edge}: keeps its connection while what is queued for it stays under the budget`, async () => {
      const server = await startServer({ maxSendBufferBytes: BUDGET });
      const room = 'slow';
      const reader = await (edge === 'v1' ? v1Reader : socketIoReader)(server.url, room);
      const [sender] = await senders(server.url, edge, room, 1);
      let received = 0;
      reader.ws.on('message', (raw) => (received += (raw as Buffer).length));
      // It reads in spurts: paused while a round of signals is sent, then reading all of it.
      for (let round = 0; round < 6; round++) {
        reader.ws.pause();
        for (let i = 0; i < 2; i++) sender!.emit('signal', { to: reader.id, data: { pad: PAD } });
        assert.equal((await request(sender!, 'signal', { to: reader.id, data: { pad: PAD } })).ok, true);
        reader.ws.resume();
        const target = (round + 1) * 3 * PAD.length;
        await until('the round arrived', async () => received >= target);
      }
      assert.equal(reader.ws.readyState, WebSocket.OPEN);
      assert.equal(await metric(server.url, 'tsunagu_slow_consumers_total'), 0);
      reader.ws.close();
    });
  }
});

describe('the node-wide budget', () => {
  test('many paused readers at once: newcomers refused overloaded and /readyz 503, then back to normal once they are gone', async () => {
    // Each reader's budget is more than the node's share of it: a few paused readers pass the node's.
    const server = await startServer({ maxSendBufferBytes: 128 * BUDGET, maxNodeSendBufferBytes: BUDGET });
    const ready = async () => (await fetch(`${server.url}/readyz`)).status;
    assert.equal(await ready(), 200);
    const rooms = ['crowd-0', 'crowd-1', 'crowd-2'];
    const readers = await Promise.all(rooms.map((room) => v1Reader(server.url, room)));
    const others = await Promise.all(rooms.map(async (room) => (await senders(server.url, 'v1', room, 1))[0]!));
    for (const r of readers) r.ws.pause();
    // Each reader's queue fills (none past its own budget), until the node's sample says no more.
    await Promise.all(
      readers.map((reader, i) => flood([others[i]!], reader.id, async () => (await ready()) === 503, { rounds: 18 })),
    );
    await until('the node samples its queues', async () => (await ready()) === 503);
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as { reasons: string[] };
    assert.match(body.reasons.join(' '), /overloaded/);
    const newcomers = [await connect(server.url, 'v1'), await connect(server.url, 'socket.io')];
    for (const newcomer of newcomers) {
      const refused = await request(newcomer, 'join', { room: 'elsewhere' });
      assert.deepEqual(refused.ok ? null : refused.error.code, 'overloaded');
    }
    const peer = await openPeer(server.url).catch((err: Error) => err);
    assert.ok(peer instanceof Error && /overloaded/.test(peer.message), 'a PeerJS newcomer is refused too');

    for (const r of readers) r.ws.terminate();
    await until('the node lets go of their queues', async () => (await ready()) === 200);
    for (const newcomer of newcomers) assert.equal((await request(newcomer, 'join', { room: 'elsewhere' })).ok, true);
  });
});
