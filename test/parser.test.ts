/**
 * tsunagu's socket.io decoder (src/server/parser.ts). A signal's `data` is relayed as the text its
 * sender wrote when the packet has the exact shape socket.io-client writes, and re-serialised
 * otherwise. Either way the
 * receiver gets `{ from, data }`: `from` stamped by the server, `data` the value the server parsed
 * — whatever text a client writes: other key orders, whitespace, escapes, repeated keys, a forged
 * `from`. The sender here is a bare WebSocket speaking engine.io, so it can write any text at all.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { SignalEvent } from '../src/protocol/index.js';
import { decoderFor, OversizePayload, signalDataText } from '../src/server/parser.js';
import { connect, joined, next, type Client } from './helpers/clients.js';
import { rawClient } from './helpers/raw-client.js';
import { startServer } from './helpers/server.js';

const server = await startServer({ rateLimit: 1_000_000, rateBurst: 1_000_000 });

/** Alice writes raw packets, Bob (a socket.io client) receives, both in `room`. */
async function pair(room: string) {
  const alice = await rawClient(server.port);
  alice.send(`421["join",{"room":"${room}"}]`);
  assert.match(await alice.answer(), /^431\[\{"ok":true/);
  assert.match(await alice.answer(), /^42\["session"/);
  const bob = await connect(server.url);
  after(() => void bob.disconnect());
  await joined(bob, room);
  assert.match(await alice.answer(), /^42\["peer-joined"/);
  return { alice, bob };
}

/** Sends `text` (an event packet) from alice; what bob gets must be exactly `{ from: alice, data: expected }`. */
async function relays(alice: { id: string; send(p: string): void }, bob: Client, text: string) {
  const expected = (JSON.parse(text.slice(text.indexOf('['))) as [string, { data: unknown }])[1].data;
  const got = next<SignalEvent>(bob, 'signal');
  alice.send(text);
  const event = await got;
  assert.deepEqual(Object.keys(event), ['from', 'data'], text.slice(0, 200));
  assert.equal(event.from, alice.id);
  assert.deepEqual(event.data, expected, text.slice(0, 200));
}

describe("a signal's data as its sender wrote it", () => {
  it('a description written the way socket.io-client writes it arrives as the same value', async () => {
    const { alice, bob } = await pair('text-1');
    const sdp = `v=0\r\n${'a=candidate:1 1 udp 2122260223 192.0.2.2 40000 typ host\r\n'.repeat(60)}é ✓ "quoted" \\ \u2028`;
    await relays(
      alice,
      bob,
      `42${JSON.stringify(['signal', { to: bob.id, data: { description: { type: 'offer', sdp } } }])}`,
    );
  });

  it('other shapes are relayed as the value the server parsed: key order, spaces, escapes, repeated keys, a forged from', async () => {
    const { alice, bob } = await pair('text-2');
    const to = JSON.stringify(bob.id);
    // Each over a kilobyte: shorter signals are serialised again anyway (parser.ts).
    const pad = JSON.stringify('x'.repeat(1100));
    for (const text of [
      `42["signal",{"to":${to},"data":{"pad":${pad}}}]`, // the shape socket.io-client writes
      `42["signal",{"data":{"pad":${pad}},"to":${to}}]`, // data first
      `42[ "signal" , { "to" : ${to} , "data" : [1, ${pad}] } ]`, // spaces
      `42["signal",{"to":${to},"data":"\\u0041\\/\\n${'y'.repeat(1100)}"}]`, // escapes
      `42["signal",{"to":${to},"data":[1,${pad}],"data":[2,${pad}]}]`, // data repeated: the last one counts
      `42["signal",{"to":${to},"data":{"y":${pad}},"to":${to}}]`, // to repeated after data
      `42["signal",{"to":${to},"data":{"to":"someone","from":"mallory","pad":${pad}}}]`, // to and from inside data
      `42["signal",{"to":${to},"data":${pad},"from":"mallory"}]`, // a forged from
      `4277["signal",{"to":${to},"data":{"acked":${pad}}}]`, // with an ack id
    ]) {
      await relays(alice, bob, text);
    }
  });

  it('any JSON value, in any of those shapes, arrives as the value the server parsed', async () => {
    const { alice, bob } = await pair('text-3');
    const to = JSON.stringify(bob.id);
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom('canonical', 'data-first', 'spaced', 'to-repeated'),
        async (value, shape) => {
          const data = { value, pad: 'x'.repeat(1100) }; // over a kilobyte, as descriptions are
          const json = JSON.stringify(data);
          const text = {
            canonical: `42["signal",{"to":${to},"data":${json}}]`,
            'data-first': `42["signal",{"data":${json},"to":${to}}]`,
            spaced: `42["signal", {"to": ${to}, "data": ${JSON.stringify(data, null, 1)}}]`,
            'to-repeated': `42["signal",{"to":${to},"data":${json},"to":${to}}]`,
          }[shape];
          await relays(alice, bob, text);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the decoder', () => {
  /**
   * The payload the decoder hands socket.io for a socket.io packet (engine.io's `4` already taken
   * off) and its binary parts, under a payload limit of `limit` bytes.
   */
  function decoded(packet: string, limit = 65_536, ...attachments: Buffer[]): unknown {
    const decoder = new (decoderFor(limit))();
    let payload: unknown;
    decoder.on('decoded', (p: { data?: unknown[] }) => {
      payload = p.data?.[1];
    });
    decoder.add(packet);
    for (const part of attachments) decoder.add(part);
    return payload;
  }
  /** The text of its data the decoder remembers for a packet, or nothing. */
  const remembered = (packet: string) => signalDataText(decoded(packet));

  it('takes the text only from the exact shape socket.io-client writes', () => {
    const data = `{"description":{"type":"offer","sdp":"v=0\\r\\n${'a=x\\r\\n'.repeat(200)}"}}`;
    assert.equal(remembered(`2["signal",{"to":"bob","data":${data}}]`), data);
    assert.equal(remembered(`212["signal",{"to":"bob","data":${data}}]`), data);
    // Under a kilobyte, serialising again is cheaper than finding the text.
    assert.equal(remembered('2["signal",{"to":"bob","data":{"candidates":[]}}]'), undefined);
    for (const other of [
      `2["signal",{"data":${data},"to":"bob"}]`,
      `2["signal", {"to":"bob","data":${data}}]`,
      `2["signal",{"to":"bob","data":${data},"to":"bob"}]`,
      `2["signal",{"to":"bob","data":${data},"from":"mallory"}]`,
      `2["signal",{"to":"bob","data":{"to":"x"}}]`,
      `2["message",{"to":"bob","data":${data}}]`,
      `2/admin,["signal",{"to":"bob","data":${data}}]`,
    ]) {
      assert.equal(remembered(other), undefined, other);
    }
  });

  it('replaces the payload of an event over the limit by its size in bytes, binary parts counted', () => {
    const long = `2["signal",{"to":"bob","data":"${'x'.repeat(990)}"}]`;
    assert.deepEqual(decoded(long, 1_000), new OversizePayload(long.length));
    // 510 characters, 1,005 bytes in UTF-8: over.
    const accents = `2["join",{"room":"${'é'.repeat(495)}"}]`;
    assert.ok(accents.length < 1_000);
    assert.deepEqual(decoded(accents, 1_000), new OversizePayload(Buffer.byteLength(accents)));
    assert.deepEqual(decoded(`2["join",{"room":"${'x'.repeat(900)}"}]`, 1_000), { room: 'x'.repeat(900) });
    const header = '51-["signal",{"data":{"_placeholder":true,"num":0}}]';
    assert.deepEqual(decoded(header, 1_000, Buffer.alloc(990)), new OversizePayload(header.length + 990));
    assert.deepEqual(decoded(header, 1_000, Buffer.alloc(100)), { data: Buffer.alloc(100) });
  });
});
