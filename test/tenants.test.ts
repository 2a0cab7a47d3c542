/**
 * Token mode keeps tenants apart on every path, not only `join`: a token's room claim scopes the
 * classic relay's lobby, a resume (checked against the token it comes back with), PeerJS relaying
 * and discovery. And a token must expire, within `--token-max-ttl`.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { joined, next, request, settle, type Client } from './helpers/clients.js';
import { openLink } from './helpers/link.js';
import { openPeer, rawPeer, type RawPeer } from './helpers/peerjs.js';
import { startServer } from './helpers/server.js';
import { SECRET, sign } from './helpers/tokens.js';

const server = await startServer({ auth: 'token', tokenSecret: SECRET, peerjsDiscovery: true });
const sockets: Client[] = [];
after(() => sockets.forEach((s) => s.disconnect()));

/** A client with the token `auth()` gives at each (re)connection, through `url`. */
async function client(url: string, auth: () => string, reconnection = false): Promise<Client> {
  const socket: Client = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection,
    reconnectionDelay: 50,
    randomizationFactor: 0,
    auth: (cb) => cb({ token: auth() }),
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

const tokenFor = (sub: string, room: string) => sign({ sub, room });

describe('token mode: tenants never meet', () => {
  it("the classic lobby is the room claim's: a roomA token's message never reaches a roomB socket", async () => {
    const [a, b] = await Promise.all([tokenFor('a', 'roomA'), tokenFor('b', 'roomB')]);
    const [a2] = [await tokenFor('a2', 'roomA')];
    const sender = await client(server.url, () => a);
    const other = await client(server.url, () => b);
    const sameTenant = await client(server.url, () => a2);
    const otherSaw: unknown[] = [];
    other.on('message' as never, (m: unknown) => void otherSaw.push(m));
    const got = next(sameTenant, 'message');
    assert.deepEqual(await request(sender, 'message', 'hello lobby'), { ok: true });
    assert.equal(await got, 'hello lobby');
    await settle(other);
    assert.deepEqual(otherSaw, []);
  });

  it('a resume with a token for another room is refused (forbidden): the client never gets the old room back', async () => {
    const link = await openLink(server.port);
    let token = await tokenFor('mover', 'roomA');
    const mover = await client(link.url, () => token, true);
    await joined(mover, 'roomA');
    const moverId = mover.id!;
    const peer = await client(server.url, () => token);
    await joined(peer, 'roomA');
    const away = next(peer, 'peer-reconnecting');
    link.cut();
    await away;
    token = await tokenFor('mover', 'roomB');
    const refused = new Promise<string>((resolve) => {
      mover.once('connect', () => resolve(`resumed: ${mover.recovered}`));
      mover.once('connect_error', (err: Error & { data?: { code: string } }) => resolve(err.data?.code ?? ''));
    });
    link.release();
    assert.equal(await refused, 'forbidden');
    assert.equal(server.core.sessions.get(peer.id!)?.room, 'roomA');
    // Its place stays away (its peers never hear it back) until the window ends or a fitting token resumes it.
    assert.equal(server.core.sessions.get(moverId)?.away, true);
    mover.disconnect();
  });

  it("a PeerJS peer reaches only peers of its token's room claim", async () => {
    const open = (id: string, room: string) => tokenFor(id, room).then((token) => openPeer(server.url, { id, token }));
    const [a1, a2, b1] = await Promise.all([open('pa1', 'roomA'), open('pa2', 'roomA'), open('pb1', 'roomB')]);
    a1.send({ type: 'OFFER', dst: 'pb1', payload: { sdp: 'v=0' } });
    assert.deepEqual(await a1.next(), { type: 'EXPIRE', src: 'pb1', dst: 'pa1' });
    a1.send({ type: 'OFFER', dst: 'pa2', payload: { sdp: 'v=0' } });
    assert.equal((await a2.next()).src, 'pa1');
    // b1 heard nothing: its next frame is the one its own tenant sends.
    const b2 = await open('pb2', 'roomB');
    b2.send({ type: 'CANDIDATE', dst: 'pb1', payload: { candidate: 'c' } });
    assert.equal((await b1.next()).src, 'pb2');
    for (const p of [a1, a2, b1, b2]) p.ws.close();
  });

  it('PeerJS discovery needs the key and a token, and lists only the peers of its room claim', async () => {
    const [c1, d1] = await Promise.all([
      tokenFor('pc1', 'roomC').then((token) => openPeer(server.url, { id: 'pc1', token })),
      tokenFor('pd1', 'roomD').then((token) => openPeer(server.url, { id: 'pd1', token })),
    ]);
    const asC = await tokenFor('someone', 'roomC');
    assert.equal((await fetch(`${server.url}/peerjs/wrong-key/peers?token=${asC}`)).status, 401);
    assert.equal((await fetch(`${server.url}/peerjs/peerjs/peers`)).status, 401);
    const listed = await fetch(`${server.url}/peerjs/peerjs/peers?token=${asC}`);
    assert.deepEqual(await listed.json(), ['pc1']);
    for (const p of [c1, d1] as RawPeer[]) p.ws.close();
  });
});

describe('token mode: every token expires', () => {
  const secret = new TextEncoder().encode(SECRET);
  const refusal = async (token: string) => {
    const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
    sockets.push(socket);
    return new Promise<string>((resolve) => {
      socket.once('connect', () => resolve('admitted'));
      socket.once('connect_error', (err: Error & { data?: { code: string; message: string } }) =>
        resolve(`${err.data?.code}: ${err.data?.message}`),
      );
    });
  };

  it('a token without exp is refused', async () => {
    const forever = await new SignJWT({ room: 'r' }).setProtectedHeader({ alg: 'HS256' }).setSubject('a').sign(secret);
    assert.match(await refusal(forever), /^unauthorized: .*exp/);
  });

  it(`a token expiring later than --token-max-ttl from now is refused; one within it is admitted`, async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = (seconds: number) =>
      new SignJWT({ room: 'r' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('a')
        .setExpirationTime(now + seconds)
        .sign(secret);
    const max = server.config.tokenMaxTtlSeconds;
    assert.match(await refusal(await token(max + 3600)), /^unauthorized: /);
    assert.equal(await refusal(await token(max - 60)), 'admitted');
  });

  it('PeerJS refuses a token without exp as well', async () => {
    const forever = await new SignJWT({ room: 'r' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('forever')
      .sign(secret);
    const peer = await rawPeer(server.url, { key: 'peerjs', id: 'forever', token: forever });
    const frame = await peer.next();
    assert.equal(frame.type, 'ERROR');
    assert.equal(frame.payload?.code, 'unauthorized');
  });
});
