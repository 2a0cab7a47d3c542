/**
 * Bad input gets a clear error and nothing else happens: every event with malformed payloads is
 * answered `bad-request`, nobody else hears of it, and the server answers the next good request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorEvent } from '../src/protocol/index.js';
import { EDGES, connect, joined, next, record, request, settle } from './helpers/clients.js';
import { rawClient } from './helpers/raw-client.js';
import { serverPerEdge } from './helpers/server.js';

const servers = await serverPerEdge();
const long = 'x'.repeat(65);

const malformed: Record<string, Array<[string, unknown]>> = {
  join: [
    ['no payload', undefined],
    ['null', null],
    ['a string', 'room-1'],
    ['a number', 42],
    ['an array', [{ room: 'r' }]],
    ['room missing', { name: 'Alice' }],
    ['room empty', { room: '' }],
    ['room too long', { room: long }],
    ['room with a slash', { room: 'a/b' }],
    ['room with a space', { room: 'a b' }],
    ['room with unicode', { room: 'つなぐ' }],
    ['room a number', { room: 7 }],
    ['room an object', { room: { toString: 'x' } }],
    ['name empty', { room: 'r', name: '   ' }],
    ['name too long', { room: 'r', name: long }],
    ['name with a control character', { room: 'r', name: 'a\u0000b' }],
    ['name a number', { room: 'r', name: 1 }],
    ['prototype pollution', JSON.parse('{"__proto__":{"room":"polluted"}}')],
  ],
  signal: [
    ['no payload', undefined],
    ['null', null],
    ['a string', 'hello'],
    ['to missing', { data: 1 }],
    ['data missing', { to: 'abc' }],
    ['to empty', { to: '', data: 1 }],
    ['to a number', { to: 5, data: 1 }],
    ['to too long', { to: 'x'.repeat(200), data: 1 }],
    ['to an array', { to: ['a', 'b'], data: 1 }],
  ],
  leave: [
    ['a string', 'now'],
    ['a number', 1],
    ['an object with fields', { room: 'r' }],
  ],
};

for (const edge of EDGES) {
  describe(`over ${edge}`, () => {
    const server = servers[edge];
    describe('malformed payloads', () => {
      let rooms = 0;
      for (const [event, cases] of Object.entries(malformed)) {
        for (const [label, payload] of cases) {
          it(`${event} with ${label} gets bad-request, and the room hears nothing`, async () => {
            const room = `victims-${++rooms}`;
            const [sender, bystander] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
            await joined(sender, room);
            await joined(bystander, room);
            const bystanderSaw = record(bystander);
            const answer = await request(sender, event, payload);
            assert.equal(answer.ok, false);
            assert.equal(!answer.ok && answer.error.code, 'bad-request');
            assert.match(!answer.ok ? answer.error.message : '', new RegExp(`^${event}: `));
            // The sender is still in its room and the server still answers it.
            const again = await joined(sender, room);
            assert.deepEqual(
              again.peers.map((p) => p.id),
              [bystander.id],
            );
            await settle(bystander);
            assert.deepEqual(bystanderSaw, []);
          });
        }
      }

      it('message without a payload gets bad-request', async () => {
        const sender = await connect(server.url, edge);
        const answer = await request(sender, 'message');
        assert.equal(!answer.ok && answer.error.code, 'bad-request');
      });

      it('an unknown event gets unknown-event', async () => {
        const sender = await connect(server.url, edge);
        const answer = await request(sender, 'offer', { sdp: 'v=0' });
        assert.equal(!answer.ok && answer.error.code, 'unknown-event');
      });

      it('a failing event sent without an ack is answered with an error event', async () => {
        const sender = await connect(server.url, edge);
        const error = next<ErrorEvent>(sender, 'error');
        sender.emit('join', { room: 'a/b' });
        const event = await error;
        assert.equal(event.code, 'bad-request');
        assert.equal(event.event, 'join');
      });

      it('a message over the payload limit gets payload-too-large, is not relayed, and the sender stays connected', async () => {
        const [big, other] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        await joined(big, 'size-1');
        await joined(other, 'size-1');
        const otherSaw = record(other);
        const answer = await request(big, 'signal', {
          to: other.id!,
          data: 'x'.repeat(server.config.maxPayloadBytes + 1),
        });
        assert.equal(!answer.ok && answer.error.code, 'payload-too-large');
        assert.deepEqual(await request(big, 'signal', { to: other.id!, data: 'small' }), { ok: true });
        await settle(other);
        assert.deepEqual(
          otherSaw.map((e) => e.args[0]),
          [{ from: big.id, data: 'small' }],
        );
      });

      if (edge === 'v1')
        it('frames that are not requests get bad-request (with their ack when it is valid); the link stays', async () => {
          const sender = await connect(server.url, edge);
          const raw = sender as unknown as { sendRaw(frame: string | Buffer): void };
          const errors: ErrorEvent[] = [];
          sender.on('error', (e: ErrorEvent) => errors.push(e));
          for (const frame of [
            'not json',
            '[1,2]',
            '"text"',
            'null',
            '{"data":1}',
            '{"event":7}',
            '{"event":"join","ack":0}',
          ])
            raw.sendRaw(frame);
          raw.sendRaw(Buffer.from([1, 2, 3]));
          await settle(sender);
          assert.equal(errors.length, 8);
          assert.ok(errors.every((e) => e.code === 'bad-request'));
          assert.deepEqual(await request(sender, 'join', { room: 'frames-ok' }).then((r) => r.ok), true);
        });
      if (edge === 'socket.io')
        it('a message over the limit is refused even when a small one is read with it (pipelined)', async () => {
          const sender = await rawClient(server.port);
          sender.send(`421["join",{"room":"size-3"}]`);
          assert.match(await sender.answer(), /^431\[\{"ok":true/);
          assert.match(await sender.answer(), /^42\["session",\{"id":/, 'the offset a resume starts from');
          const other = await connect(server.url, edge);
          await joined(other, 'size-3');
          assert.match(await sender.answer(), /^42\["peer-joined"/);
          const otherSaw = record(other);
          const to = JSON.stringify(other.id);
          // Both decoded before either is handled: each must be judged by its own size.
          sender.sendTogether(
            `422["signal",{"to":${to},"data":"${'x'.repeat(server.config.maxPayloadBytes + 1)}"}]`,
            `423["signal",{"to":${to},"data":"small"}]`,
          );
          assert.match(await sender.answer(), /^432\[\{"ok":false,"error":\{"code":"payload-too-large"/);
          assert.equal(await sender.answer(), '433[{"ok":true}]');
          await settle(other);
          assert.deepEqual(
            otherSaw.map((e) => e.args[0]),
            [{ from: sender.id, data: 'small' }],
          );
        });

      it('a frame far over the limit (4x) closes only that connection', async () => {
        const [big, other] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        await joined(big, 'size-2');
        await joined(other, 'size-2');
        const bigId = big.id;
        const dropped = next(big, 'disconnect');
        const away = next<{ id: string }>(other, 'peer-reconnecting');
        big.emit('signal', { to: other.id!, data: 'x'.repeat(server.config.maxPayloadBytes * 4 + 1) });
        await dropped;
        assert.equal((await away).id, bigId, 'the others see it away (it may resume), not gone');
        // Away is still a member: listed, marked away, until it comes back or its window ends.
        const b = await joined(other, 'size-2');
        assert.deepEqual(b.peers, [{ id: bigId, name: null, away: true }]);
      });

      it('a signal just under the payload limit is relayed', async () => {
        const [alice, bob] = await Promise.all([connect(server.url, edge), connect(server.url, edge)]);
        await joined(alice, 'size-ok');
        await joined(bob, 'size-ok');
        const data = 'x'.repeat(server.config.maxPayloadBytes - 200);
        const got = next<{ data: string }>(bob, 'signal');
        assert.deepEqual(await request(alice, 'signal', { to: bob.id, data }), { ok: true });
        assert.equal((await got).data.length, data.length);
      });

      it('a burst of garbage on every event leaves the server answering good requests', async () => {
        const sender = await connect(server.url, edge);
        const garbage = [
          undefined,
          null,
          0,
          -1,
          '',
          'x'.repeat(10_000),
          [],
          {},
          [[[[[]]]]],
          { a: { b: { c: {} } } },
          true,
        ];
        for (const event of ['join', 'leave', 'signal', 'message', 'constructor', '__proto__', 'toString']) {
          for (const payload of garbage) sender.emit(event as 'join', payload as never);
        }
        const result = await joined(sender, 'still-up');
        assert.equal(result.self.id, sender.id);
      });
    });
  });
}
