/** A raw PeerJS protocol client over `ws`: what a PeerJS client puts on the wire, and nothing more. */
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';

export type Frame = { type: string; src?: string; dst?: string; payload?: Record<string, unknown> };

export interface RawPeer {
  id: string;
  ws: WebSocket;
  /** The next frame the server sends (frames are buffered until asked for). */
  next(ms?: number): Promise<Frame>;
  send(frame: unknown): void;
  /** Resolves with the close code once the server (or we) closed the socket. */
  closed: Promise<number>;
}

export interface PeerParams {
  id?: string;
  token?: string;
  key?: string;
}

/** Opens `/peerjs/peerjs?key=&id=&token=` on `baseUrl` (an http:// URL) with the given parameters as is. */
export function rawPeer(baseUrl: string, params: Record<string, string | undefined>, headers = {}): Promise<RawPeer> {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/peerjs/peerjs?${query}`, { headers });
  const frames: Frame[] = [];
  const waiters: Array<(frame: Frame) => void> = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {}); // a refused socket may error after closing; the test reads `closed`
      resolve({
        id: params.id ?? '',
        ws,
        closed,
        send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
        next(ms = 5000) {
          const buffered = frames.shift();
          if (buffered) return Promise.resolve(buffered);
          return new Promise((resolveFrame, rejectFrame) => {
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(done), 1);
              rejectFrame(new Error(`peer ${params.id}: no frame within ${ms} ms`));
            }, ms);
            const done = (frame: Frame) => {
              clearTimeout(timer);
              resolveFrame(frame);
            };
            waiters.push(done);
          });
        },
      });
    });
  });
}

/** A PeerJS peer as its client connects: the default key, a random token, and OPEN awaited. */
export async function openPeer(baseUrl: string, params: PeerParams = {}): Promise<RawPeer> {
  const peer = await rawPeer(baseUrl, {
    key: params.key ?? 'peerjs',
    id: params.id ?? `p${randomUUID().slice(0, 8)}`,
    token: params.token ?? randomUUID().slice(0, 12),
  });
  const open = await peer.next();
  if (open.type !== 'OPEN') throw new Error(`expected OPEN, got ${JSON.stringify(open)}`);
  return peer;
}

/**
 * A round trip through the server from `from` to `to`: once it arrives, every frame `from` sent
 * before it has been handled. The barrier the tests use instead of waiting "long enough"; it fails
 * if `to` received anything else first.
 */
export async function barrier(from: RawPeer, to: RawPeer): Promise<void> {
  const marker = randomUUID();
  from.send({ type: 'CANDIDATE', dst: to.id, payload: { marker } });
  const frame = await to.next();
  if (frame.payload?.marker !== marker) throw new Error(`${to.id} got ${JSON.stringify(frame)} before the barrier`);
}

export const offer = (dst: string, sdp = 'v=0') => ({
  type: 'OFFER',
  dst,
  payload: { sdp: { type: 'offer', sdp }, type: 'media', connectionId: 'mc_1' },
});
