/**
 * One client cannot take the server down: a value nested deeper than the protocol allows
 * (`MAX_NESTING_DEPTH`) is refused where its frame is decoded, on every edge, with `bad-request`
 * to its sender and nothing to anyone else — before it could reach an encoder that recurses
 * (JSON.stringify, socket.io's encoder, a replay after a resume, the cluster's inbox). The server
 * runs as its own process here, so a crash shows as an exit instead of taking the test along.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { MAX_NESTING_DEPTH } from '../src/protocol/index.js';
import { connect, joined, next, request, type Client } from './helpers/clients.js';
import { openLink } from './helpers/link.js';
import type { V1Client } from './helpers/v1-client.js';
import { openPeer, type RawPeer } from './helpers/peerjs.js';
import { startNode, startRedis, type Node } from './helpers/processes.js';
import { rawClient, type RawClient } from './helpers/raw-client.js';

/** An array nested `depth` deep, as text: 5,000 deep is 10 KB, well within the payload limit. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const DEEP = nested(5_000);

/** The answer to the raw client's event with ack id `id`, as a result object. */
async function ackOf(raw: RawClient, id: number): Promise<{ ok: boolean; error?: { code: string } }> {
  for (;;) {
    const packet = await raw.answer();
    const prefix = `43${id}`;
    if (packet.startsWith(prefix)) return (JSON.parse(packet.slice(prefix.length)) as [never])[0];
  }
}

/** Reads the raw client's packets until an event named `event` arrives. */
async function eventOf(raw: RawClient, event: string): Promise<void> {
  for (;;) if ((await raw.answer()).startsWith(`42["${event}"`)) return;
}

/** Two fresh clients on `a` and `b` (the same node, or two) in a fresh room: a signal gets across. */
async function roundTrip(a: Node, b: Node, room: string): Promise<void> {
  const [one, two] = await Promise.all([connect(a.url), connect(b.url)]);
  await joined(one, room);
  const heard = next(two, 'peer-joined').catch(() => null);
  await joined(two, room);
  await heard;
  const got = next<{ from: string; data: unknown }>(two, 'signal');
  assert.deepEqual(await request(one, 'signal', { to: two.id, data: { sdp: 'v=0' } }), { ok: true });
  assert.deepEqual(await got, { from: one.id, data: { sdp: 'v=0' } });
  one.disconnect();
  two.disconnect();
}

/** One node for the single-node cases (a crash in one shows in the next as well). */
const single = await startNode();

const alive = (node: Node) => assert.equal(node.proc.exitCode, null, `the node exited:\n${node.output().slice(-2000)}`);

describe('a deeply nested value', () => {
  it(`is refused at decode time beyond ${MAX_NESTING_DEPTH} levels, and one just within passes`, async () => {
    const node = single;
    const raw = await rawClient(node.port);
    raw.send(`420["join",{"room":"depth"}]`);
    assert.equal((await ackOf(raw, 0)).ok, true);
    // The packet's array is level 1: a payload may nest MAX_NESTING_DEPTH - 1 levels.
    raw.send(`421["message",${nested(MAX_NESTING_DEPTH - 1)}]`);
    assert.deepEqual(await ackOf(raw, 1), { ok: true });
    raw.send(`422["message",${nested(MAX_NESTING_DEPTH)}]`);
    assert.equal((await ackOf(raw, 2)).error?.code, 'bad-request');
    alive(node);
  });

  it('in a /v1 frame (message or signal): the sender gets bad-request, the server stays up; one just within passes', async () => {
    const node = single;
    const [sender, peer] = [await connect(node.url, 'v1'), await connect(node.url, 'v1')];
    await joined(sender, 'v1-depth');
    await joined(peer, 'v1-depth');
    type Answer = { ok: boolean; error?: { code: string } };
    const ask = (frame: (ack: number) => string) =>
      (sender as unknown as V1Client).rawRequest(frame) as Promise<Answer>;
    // The frame's object is level 1 and `data` level 2: a payload may nest MAX_NESTING_DEPTH - 1 levels.
    const within = nested(MAX_NESTING_DEPTH - 1);
    assert.deepEqual(await ask((a) => `{"event":"message","data":${within},"ack":${a}}`), { ok: true });
    const over = nested(MAX_NESTING_DEPTH);
    assert.equal((await ask((a) => `{"event":"message","data":${over},"ack":${a}}`)).error?.code, 'bad-request');
    const to = JSON.stringify(peer.id);
    const signal = (a: number) => `{"event":"signal","data":{"to":${to},"data":${DEEP}},"ack":${a}}`;
    assert.equal((await ask(signal)).error?.code, 'bad-request');
    alive(node);
    await roundTrip(node, node, 'after-v1-depth');
    alive(node);
  });

  it('in a PeerJS frame to its own id: the sender gets bad-request, the server stays up', async () => {
    const node = single;
    const sender = await openPeer(node.url, { id: 'deep-sender' });
    sender.send(`{"type":"OFFER","dst":"deep-sender","payload":{"x":${DEEP}}}`);
    const answer = await sender.next();
    assert.equal(answer.type, 'ERROR');
    assert.equal(answer.payload?.code, 'bad-request');
    alive(node);
    // A bystander's round trip, and the sender's own next frame, still go through.
    const [b, c] = await Promise.all([openPeer(node.url), openPeer(node.url)]);
    await relayed(b, c);
    await relayed(sender, c);
  });

  it('sent as a socket.io message or signal with --redis: the sender gets bad-request, both nodes stay up', async () => {
    const redis = await startRedis();
    const nodes = [await startNode('--redis', redis.url), await startNode('--redis', redis.url)];
    after(() => redis.stop());
    const raw = await rawClient(nodes[0].port);
    // The lobby's message goes to every other node's inbox.
    raw.send(`421["message",${DEEP}]`);
    assert.equal((await ackOf(raw, 1)).error?.code, 'bad-request');
    // A signal to a peer on the other node goes through its inbox too.
    const remote = await connect(nodes[1].url);
    await joined(remote, 'cross');
    raw.send(`422["join",{"room":"cross"}]`);
    assert.equal((await ackOf(raw, 2)).ok, true);
    raw.send(`423["signal",{"to":${JSON.stringify(remote.id)},"data":${DEEP}}]`);
    assert.equal((await ackOf(raw, 3)).error?.code, 'bad-request');
    nodes.forEach(alive);
    await roundTrip(nodes[0], nodes[1], 'bystanders');
    nodes.forEach(alive);
  });

  it('sent to a peer that is away: its resume replays nothing unencodable, the server stays up', async () => {
    const node = single;
    const link = await openLink(node.port);
    const away: Client = io(link.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 50,
      randomizationFactor: 0,
    });
    after(() => void away.disconnect());
    await new Promise<void>((resolve) => away.once('connect', resolve));
    await joined(away, 'replay');
    const raw = await rawClient(node.port);
    raw.send(`420["join",{"room":"replay"}]`);
    assert.equal((await ackOf(raw, 0)).ok, true);
    // The peer drops abruptly; the server notices, and keeps its place for the resume window.
    link.cut();
    await eventOf(raw, 'peer-reconnecting');
    raw.send(`421["message",${DEEP}]`);
    assert.equal((await ackOf(raw, 1)).error?.code, 'bad-request');
    const back = new Promise<boolean>((resolve) => away.once('connect', () => resolve(away.recovered)));
    link.release();
    assert.equal(await back, true);
    alive(node);
    await roundTrip(node, node, 'after-replay');
    alive(node);
  });
});

/** `from` sends a CANDIDATE to `to`, which receives it. */
async function relayed(from: RawPeer, to: RawPeer): Promise<void> {
  from.send({ type: 'CANDIDATE', dst: to.id, payload: { candidate: 'c' } });
  const frame = await to.next();
  assert.equal(frame.type, 'CANDIDATE');
  assert.equal(frame.src, from.id);
}
