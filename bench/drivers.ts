/** One small driver per server, each over that server's own protocol: connect a peer, send to another, hear. */
import { io } from 'socket.io-client';
import WebSocket from 'ws';

/**
 * `tsunagu` is protocol v1 over socket.io, `tsunagu-v1` the same over the native WebSocket edge
 * (`/v1`); `tsunagu-peerjs` is tsunagu's PeerJS endpoint, driven exactly as PeerJS server is;
 * `tsunagu-noresume` is tsunagu with `--resume-window 0` (no connection-state recovery).
 */
export type ServerKind =
  'floor' | 'classic' | 'tsunagu' | 'tsunagu-v1' | 'peerjs' | 'tsunagu-peerjs' | 'tsunagu-noresume';

/** The server program each kind runs (bench/servers/<name>.ts), and its environment. */
export const serverProgram = (kind: ServerKind) => (kind.startsWith('tsunagu') ? 'tsunagu' : kind);
export const serverEnv = (kind: ServerKind): Record<string, string> =>
  kind === 'tsunagu-noresume' ? { RESUME_WINDOW: '0' } : {};

export interface Endpoint {
  id: string;
  send(to: string, data: unknown): void;
  onMessage(fn: (from: string, data: unknown) => void): void;
  /** Called if the connection closes by itself (not through `close()`). */
  onClose(fn: () => void): void;
  close(): void;
  /** tsunagu: ms from sending `join` to its ack. */
  joinedIn?: number;
}

const opened = (ws: WebSocket) =>
  new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));

/** Connects one peer; `join` false leaves a tsunagu peer idle in the lobby (idle-capacity). */
export async function connectPeer(
  kind: ServerKind,
  port: number,
  id: string,
  room = 'bench',
  join = true,
): Promise<Endpoint> {
  if (kind === 'floor') {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?id=${id}`, { perMessageDeflate: false });
    await opened(ws);
    return {
      id,
      send: (to, data) => ws.send(JSON.stringify({ to, data })),
      onMessage: (fn) =>
        ws.on('message', (raw) => {
          const { from, data } = JSON.parse(raw.toString()) as { from: string; data: unknown };
          fn(from, data);
        }),
      onClose: (fn) => ws.on('close', fn),
      close: () => ws.close(),
    };
  }
  if (kind === 'peerjs' || kind === 'tsunagu-peerjs') {
    const path = kind === 'peerjs' ? '/peerjs' : '/peerjs/peerjs';
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}?key=peerjs&id=${id}&token=bench`, {
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('close', () => reject(new Error('peerjs: closed before OPEN')));
      ws.on('message', function first(raw) {
        const { type, payload } = JSON.parse(raw.toString()) as { type: string; payload?: { msg?: string } };
        if (type === 'OPEN') {
          ws.off('message', first);
          resolve();
        } else if (type === 'ERROR' || type === 'ID-TAKEN') reject(new Error(`peerjs: ${type} ${payload?.msg ?? ''}`));
      });
    });
    return {
      id,
      send: (to, data) => ws.send(JSON.stringify({ type: 'CANDIDATE', dst: to, payload: data })),
      onMessage: (fn) =>
        ws.on('message', (raw) => {
          const message = JSON.parse(raw.toString()) as { type: string; src: string; payload: unknown };
          if (message.type === 'CANDIDATE') fn(message.src, message.payload);
        }),
      onClose: (fn) => ws.on('close', fn),
      close: () => ws.close(),
    };
  }
  if (kind === 'tsunagu-v1') return connectV1(port, room, join);
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
  const onClose = (fn: () => void) => socket.on('disconnect', fn);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
  if (kind === 'classic') {
    return {
      id: socket.id!,
      send: (_to, data) => socket.send(data),
      onMessage: (fn) => socket.on('message', (data: unknown) => fn('?', data)),
      onClose,
      close: () => socket.disconnect(),
    };
  }
  let joinedIn: number | undefined;
  if (join) {
    const start = performance.now();
    const result = (await socket.emitWithAck('join', { room })) as { ok: boolean };
    if (!result.ok) throw new Error(`join: ${JSON.stringify(result)}`);
    joinedIn = performance.now() - start;
  }
  return {
    id: socket.id!,
    joinedIn,
    // Fire and forget, as the floor does; the SDK's acked signal() adds one small frame back.
    send: (to, data) => socket.emit('signal', { to, data }),
    onMessage: (fn) => socket.on('signal', ({ from, data }: { from: string; data: unknown }) => fn(from, data)),
    onClose,
    close: () => socket.disconnect(),
  };
}

/**
 * A protocol-v1 client on `/v1`: a frame per event, the join acked — and sent as soon as the
 * socket is open, not after the welcome (docs/protocol.md: requests sent before the welcome are
 * handled once the session exists), so a client is ready after one round trip, as on PeerJS.
 */
async function connectV1(port: number, room: string, join: boolean): Promise<Endpoint> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1`, { perMessageDeflate: false });
  let start = 0;
  const frames = new Promise<{ id: string; joined?: { ok: boolean } }>((resolve, reject) => {
    let id: string | undefined;
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`v1: closed ${code} ${String(reason)}`)));
    ws.once('open', () => {
      start = performance.now();
      if (join) ws.send(JSON.stringify({ event: 'join', data: { room }, ack: 1 }));
    });
    const onFrame = (raw: WebSocket.RawData) => {
      const frame = JSON.parse(raw.toString()) as { event?: string; ack?: number; data: { id: string; ok: boolean } };
      if (frame.event === 'welcome') id = frame.data.id;
      else if (frame.ack === 1) {
        ws.off('message', onFrame);
        resolve({ id: id!, joined: frame.data });
        return;
      }
      if (id !== undefined && !join) {
        ws.off('message', onFrame);
        resolve({ id });
      }
    };
    ws.on('message', onFrame);
  });
  const { id, joined } = await frames;
  const joinedIn = join ? performance.now() - start : undefined;
  if (joined && !joined.ok) throw new Error(`join: ${JSON.stringify(joined)}`);
  return {
    id,
    joinedIn,
    send: (to, data) => ws.send(JSON.stringify({ event: 'signal', data: { to, data } })),
    onMessage: (fn) =>
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as { event?: string; data: { from: string; data: unknown } };
        if (frame.event === 'signal') fn(frame.data.from, frame.data.data);
      }),
    onClose: (fn) => ws.on('close', fn),
    close: () => ws.close(),
  };
}

/** The bytes of the frame `kind`'s client sends to carry `data` to `to` (what call-setup measures). */
export function frameBytes(kind: ServerKind, to: string, data: unknown): number {
  const frame =
    kind === 'peerjs' || kind === 'tsunagu-peerjs'
      ? JSON.stringify({ type: 'CANDIDATE', dst: to, payload: data })
      : kind === 'tsunagu-v1'
        ? JSON.stringify({ event: 'signal', data: { to, data } })
        : `42${JSON.stringify(['signal', { to, data }])}`;
  return Buffer.byteLength(frame);
}

/** A realistic ICE candidate message (~200 bytes). */
export const CANDIDATE = {
  candidates: [
    {
      candidate:
        'candidate:3442447574 1 udp 2122260223 192.168.1.23 54125 typ host generation 0 ufrag EsAw network-id 1',
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'EsAw',
    },
  ],
};
