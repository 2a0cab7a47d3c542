/**
 * Token auth (`--auth token`): every way a token can be wrong is refused before the socket can do
 * anything; a good token admits to the rooms its claim names, and names its holder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { exportSPKI, generateKeyPair } from 'jose';
import { io } from 'socket.io-client';
import { EDGES, joined, request, v1Client, type Client, type Edge } from './helpers/clients.js';
import { startServer } from './helpers/server.js';
import { SECRET, sign } from './helpers/tokens.js';

const server = await startServer({ auth: 'token', tokenSecret: SECRET });
const sockets: Client[] = [];
after(() => sockets.forEach((s) => s.disconnect()));

/**
 * Connects with `token` over `edge` (socket.io: in `auth` or `?token=`; /v1: as a subprotocol or
 * `?token=`); resolves with the client, or with the refusal's code.
 */
function connectWith(
  url: string,
  token: unknown,
  via: 'auth' | 'query' = 'auth',
  edge: Edge = 'socket.io',
): Promise<Client | { refused: string }> {
  const client: Client =
    edge === 'v1'
      ? v1Client(url, {
          reconnection: false,
          ...(token === undefined ? {} : { token: String(token), tokenAs: via === 'auth' ? 'protocol' : 'query' }),
        })
      : io(url, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          ...(via === 'auth' ? { auth: token === undefined ? {} : { token } } : { query: { token: token as string } }),
        });
  sockets.push(client);
  const connected = new Promise<Client | { refused: string }>((resolve) => {
    client.once('connect', () => resolve(client));
    client.once('connect_error', (err: Error & { data?: { code: string } }) =>
      resolve({ refused: err.data?.code ?? err.message }),
    );
  });
  if (edge === 'v1') client.connect();
  return connected;
}

async function refusedWith(token: unknown, edge: Edge): Promise<string> {
  const result = await connectWith(server.url, token, 'auth', edge);
  assert.ok('refused' in result, 'the connection was admitted');
  return result.refused;
}

for (const edge of EDGES) {
  describe(`over ${edge}`, () => {
    describe('token auth: refused', () => {
      it('without a token', async () => assert.equal(await refusedWith(undefined, edge), 'unauthorized'));
      it('with an empty or non-string token', async () => {
        assert.equal(await refusedWith('', edge), 'unauthorized');
        assert.equal(await refusedWith(42, edge), 'unauthorized');
      });
      it('with a malformed token', async () => assert.equal(await refusedWith('not.a.jwt', edge), 'unauthorized'));
      it('with an expired token', async () => {
        assert.equal(await refusedWith(await sign({ sub: 'a', room: 'r', exp: -60 }), edge), 'unauthorized');
      });
      it('with a token not valid yet (nbf in the future)', async () => {
        assert.equal(await refusedWith(await sign({ sub: 'a', room: 'r', nbf: 600 }), edge), 'unauthorized');
      });
      it('with a token signed by another secret', async () => {
        const forged = await sign(
          { sub: 'a', room: 'r' },
          new TextEncoder().encode('another-secret-0123456789abcdefghijkl'),
        );
        assert.equal(await refusedWith(forged, edge), 'unauthorized');
      });
      it('with an unsigned token (alg none)', async () => {
        const body = Buffer.from(JSON.stringify({ sub: 'a', room: 'r', exp: 9999999999 })).toString('base64url');
        assert.equal(await refusedWith(`eyJhbGciOiJub25lIn0.${body}.`, edge), 'unauthorized');
      });
      it('with a token missing sub or room', async () => {
        assert.equal(await refusedWith(await sign({ room: 'r' }), edge), 'unauthorized');
        assert.equal(await refusedWith(await sign({ sub: 'a' }), edge), 'unauthorized');
      });
    });

    describe('token auth: admitted', () => {
      it('a good token joins its room, named by the token; another room is forbidden', async () => {
        const client = await connectWith(server.url, await sign({ sub: 'aiko', room: 'standup' }), 'auth', edge);
        assert.ok(!('refused' in client));
        const result = await joined(client, 'standup', 'Someone Else');
        assert.equal(result.self.name, 'aiko');
        const other = await request(client, 'join', { room: 'standup2' });
        assert.equal(!other.ok && other.error.code, 'forbidden');
      });

      it('the name claim names the peer', async () => {
        const client = await connectWith(
          server.url,
          await sign({ sub: 'u-1', room: 'named', name: 'Aiko Sato' }),
          'auth',
          edge,
        );
        assert.ok(!('refused' in client));
        assert.equal((await joined(client, 'named')).self.name, 'Aiko Sato');
      });

      it('a prefix* room claim allows exactly the rooms that start with the prefix', async () => {
        const client = await connectWith(server.url, await sign({ sub: 'ben', room: 'team-a.*' }), 'auth', edge);
        assert.ok(!('refused' in client));
        await joined(client, 'team-a.daily');
        await joined(client, 'team-a.');
        const outside = await request(client, 'join', { room: 'team-b.daily' });
        assert.equal(!outside.ok && outside.error.code, 'forbidden');
      });

      it('the token may come as ?token= for clients that cannot set auth', async () => {
        const client = await connectWith(server.url, await sign({ sub: 'old', room: 'q' }), 'query', edge);
        assert.ok(!('refused' in client));
      });

      it('GET /ice-servers takes the same token as a Bearer header, and refuses without one', async () => {
        const token = await sign({ sub: 'aiko', room: 'r' });
        const ok = await fetch(`${server.url}/ice-servers`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(ok.status, 200);
        assert.deepEqual(await ok.json(), { iceServers: [] });
        const refused = await fetch(`${server.url}/ice-servers`);
        assert.equal(refused.status, 401);
        assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'unauthorized');
      });
    });
  });
}

describe('token auth with a public key', () => {
  for (const alg of ['EdDSA', 'ES256']) {
    it(`verifies ${alg} tokens against --token-public-key, and refuses ones signed by another key`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const other = await generateKeyPair(alg);
      const dir = mkdtempSync(join(tmpdir(), 'tsunagu-key-'));
      const file = join(dir, 'public.pem');
      writeFileSync(file, await exportSPKI(publicKey));
      const keyed = await startServer({ auth: 'token', tokenPublicKey: file });
      const good = await connectWith(keyed.url, await sign({ sub: 'k', room: 'r' }, privateKey, alg));
      assert.ok(!('refused' in good));
      const bad = await connectWith(keyed.url, await sign({ sub: 'k', room: 'r' }, other.privateKey, alg));
      assert.deepEqual(bad, { refused: 'unauthorized' });
      const hmac = await connectWith(keyed.url, await sign({ sub: 'k', room: 'r' }));
      assert.deepEqual(hmac, { refused: 'unauthorized' }, 'an HS256 token must not pass a public-key server');
    });
  }
});

describe('tsunagu token', () => {
  it('mints a token this server accepts', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'token', '--sub', 'dev', '--room', 'dev-room', '--name', 'Dev'],
      { env: { ...process.env, TOKEN_SECRET: SECRET } },
    );
    const client = await connectWith(server.url, stdout.trim());
    assert.ok(!('refused' in client));
    assert.equal((await joined(client, 'dev-room')).self.name, 'Dev');
  });
});
