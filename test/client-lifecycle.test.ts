/**
 * The SDK's connection lifecycle against real servers, on `/v1` and on socket.io: a refusal
 * surfaces at once with the server's code; `unauthorized` asks the token provider once; a full or
 * draining server is retried; the page's back/forward cache; `close()` leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  SignalingClient,
  SignalingError,
  type ReconnectContext,
  type SignalingClientOptions,
} from '../packages/client/src/index.js';
import { connect } from './helpers/clients.js';
import { NODE_WEBSOCKET, nextEvent, reaches } from './helpers/sdk.js';
import { startServer } from './helpers/server.js';
import { SECRET, sign } from './helpers/tokens.js';

const clients: SignalingClient[] = [];
after(() => clients.forEach((c) => c.close()));

const TRANSPORTS: Array<{ name: string; options: SignalingClientOptions }> = [
  { name: '/v1', options: { WebSocket: NODE_WEBSOCKET } },
  { name: 'socket.io', options: { transport: 'socket.io' } },
];

const tokenServer = await startServer({ auth: 'token', tokenSecret: SECRET });

for (const transport of TRANSPORTS) {
  describe(`the connection lifecycle on ${transport.name}`, () => {
    const client = (url: string, options: SignalingClientOptions = {}): SignalingClient => {
      // A long request timeout: a rejection with the server's code cannot be the timeout's doing.
      const c = new SignalingClient(url, { timeout: 30_000, ...transport.options, ...options });
      clients.push(c);
      return c;
    };

    it('against --auth token without a token, join() rejects with unauthorized at once, an error event fires, the state ends closed', async () => {
      const c = client(tokenServer.url);
      const error = nextEvent<SignalingError>(c, 'error');
      await assert.rejects(c.join('lobby'), (err: unknown) => {
        assert.ok(err instanceof SignalingError);
        assert.equal(err.code, 'unauthorized');
        return true;
      });
      assert.equal((await error).code, 'unauthorized');
      assert.equal(c.state, 'closed');
      assert.equal(c.reason, 'unauthorized');
    });

    it('with a token provider it connects and joins', async () => {
      const c = client(tokenServer.url, { token: () => sign({ sub: 'aiko', room: 'lobby' }) });
      const result = await c.join('lobby');
      assert.equal(c.state, 'connected');
      assert.equal(result.self.id, c.id);
    });

    it('after unauthorized the provider is asked once for a fresh token: an expired one is replaced and the client connects', async () => {
      const asked: string[] = [];
      const c = client(tokenServer.url, {
        token: () => {
          asked.push('token');
          return sign({ sub: 'ben', room: 'lobby', exp: asked.length === 1 ? -60 : 3600 });
        },
      });
      await c.join('lobby');
      assert.deepEqual(asked, ['token', 'token']);
      assert.equal(c.state, 'connected');
    });

    it('a provider whose fresh token is refused too is not asked a third time: the client ends closed', async () => {
      let asked = 0;
      const c = client(tokenServer.url, { token: async () => (asked++, 'not.a.jwt') });
      await assert.rejects(c.join('lobby'), { code: 'unauthorized' });
      assert.equal(asked, 2);
      assert.equal(await reaches(c, 'closed'), 'unauthorized');
    });

    it('too-many-connections is retried with backoff, and the client connects once there is room', async () => {
      const full = await startServer({ maxConnections: 1 });
      const first = client(full.url);
      await first.join('one');
      const asked: ReconnectContext[] = [];
      const second = client(full.url, {
        reconnect: {
          nextDelayMs: (context) => {
            asked.push(context);
            // Room is made after the first refusal: the retry then gets in.
            if (context.attempt === 0) first.close();
            return 50;
          },
        },
      });
      const refusal = nextEvent<SignalingError>(second, 'error');
      const joined = second.join('one');
      assert.equal((await refusal).code, 'too-many-connections');
      await joined;
      assert.equal(second.state, 'connected');
      assert.equal(asked[0].reason, 'too-many-connections');
    });

    it('shutting-down is retried as the policy says, and a policy that gives up ends the client closed', async () => {
      const draining = await startServer();
      // A client that stays through the drain: until it goes, newcomers are refused with shutting-down.
      const stays = await connect(draining.url);
      const closing = draining.shutdown(30_000);
      const reasons: string[] = [];
      const c = client(draining.url, {
        reconnect: { nextDelayMs: ({ attempt, reason }) => (reasons.push(reason), attempt < 2 ? 10 : null) },
      });
      await assert.rejects(c.join('x'), { code: 'closed' });
      assert.deepEqual(reasons, ['shutting-down', 'shutting-down', 'shutting-down']);
      assert.equal(c.reason, 'gave-up');
      stays.disconnect();
      await closing;
    });

    it('pagehide leaves the room at once; pageshow from the back/forward cache rejoins it; close() removes every listener it added', async () => {
      const server = await startServer();
      const bob = client(server.url); // in another page
      // Alice's page's window, as far as the client uses it: a real EventTarget on globalThis.
      const page = new EventTarget();
      const added = new Set<string>();
      const g = globalThis as unknown as Partial<EventTarget>;
      g.addEventListener = (type: string, fn: EventListenerOrEventListenerObject | null) => {
        added.add(type);
        page.addEventListener(type, fn);
      };
      g.removeEventListener = (type: string, fn: EventListenerOrEventListenerObject | null) => {
        added.delete(type);
        page.removeEventListener(type, fn);
      };
      try {
        const alice = client(server.url);
        assert.deepEqual([...added].sort(), ['pagehide', 'pageshow']);
        const a = await alice.join('bfcache', 'Alice');
        await bob.join('bfcache');
        const left = nextEvent<{ id: string; reason: string }>(bob, 'peer-left');
        page.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: true }));
        assert.deepEqual(await left, { id: a.self.id, reason: 'left' });

        const back = nextEvent<{ id: string; name: string }>(bob, 'peer-joined');
        page.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
        const peer = await back;
        assert.equal(peer.name, 'Alice');
        assert.equal(peer.id, alice.id);

        alice.close();
        bob.close();
        assert.deepEqual([...added], []);
      } finally {
        delete g.addEventListener;
        delete g.removeEventListener;
      }
    });
  });
}
