/**
 * A server bug is the server's, not the client's: a handler that throws, or whose promise
 * rejects, is answered `internal` by the core (once, for every edge), the sender stays connected,
 * nobody else hears of it, and the next request is served.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EDGES, connect, joined, record, request, settle } from './helpers/clients.js';
import { startServer } from './helpers/server.js';

const server = await startServer();
after(() => server.close());

// The only stand-in of the suite's kind: a bug cannot be produced on purpose any other way. The
// core's own `message` handler (the classic relay) is replaced on this one server's core.
const core = server.core as unknown as { message: (...args: unknown[]) => unknown };
const message = core.message.bind(server.core);

for (const edge of EDGES) {
  describe(`over ${edge}`, () => {
    for (const [how, bug] of [
      [
        'throws',
        () => {
          throw new Error('a bug');
        },
      ],
      ['rejects', () => Promise.reject(new Error('a bug'))],
    ] as const) {
      it(`a handler that ${how} is answered internal; the sender stays, the room hears nothing`, async () => {
        const [sender, bystander] = [await connect(server.url, edge), await connect(server.url, edge)];
        await joined(sender, `bug-${how}-${edge}`);
        await joined(bystander, `bug-${how}-${edge}`);
        const heard = record(bystander);
        core.message = bug;
        try {
          const answer = await request(sender, 'message', { text: 'hello' });
          assert.equal(answer.ok, false);
          assert.equal(!answer.ok && answer.error.code, 'internal');
        } finally {
          core.message = message;
        }
        assert.equal(sender.connected, true);
        assert.deepEqual(await request(sender, 'message', { text: 'again' }), { ok: true });
        await settle(bystander);
        assert.deepEqual(
          heard.map((h) => [h.event, h.args[0]]),
          [['message', { text: 'again' }]],
        );
        sender.disconnect();
        bystander.disconnect();
      });
    }
  });
}
