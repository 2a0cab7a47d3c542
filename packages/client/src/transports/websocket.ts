/**
 * The `/v1` transport: one native WebSocket, one JSON object per text frame (docs/protocol.md).
 * Uses the global `WebSocket` (browsers, Node ≥ 22) or the constructor given (e.g. `ws` on Node 20).
 */
import type { Result } from '../protocol/errors.js';
import {
  V1_CLOSE,
  V1_PATH,
  V1_PING_TIMEOUT_MS,
  type V1Answer,
  type V1Event,
  type V1Refusal,
  type V1Welcome,
} from '../protocol/v1.js';
import type { ConnectOptions, LinkHandlers, Transport } from '../transport.js';

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

/** A close the client makes on purpose without leaving (a blip, a move off a draining node). */
const CLOSE_TO_RECONNECT = 4000;
const CLOSE_NORMAL = 1000;

/** `http://host:port/base` → `ws://host:port/v1`, with the query the server reads. */
export function v1Url(base: string, { token, resume }: ConnectOptions): string {
  const url = new URL(base, globalThis.location?.href);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.pathname = url.pathname.replace(/\/+$/, '') + V1_PATH;
  url.search = '';
  url.hash = '';
  if (token !== undefined) url.searchParams.set('token', token);
  if (resume) {
    url.searchParams.set('session', resume.session);
    url.searchParams.set('seq', String(resume.seq));
    url.searchParams.set('resume', resume.secret);
  }
  return url.toString();
}

/** Any frame from the server: an event (`event`, `seq`) or an answer (`ack`). */
type Frame = Partial<Omit<V1Event, 'data'> & Omit<V1Answer, 'data'>> & { data?: unknown };

export class WebSocketTransport implements Transport {
  readonly name = 'v1';
  #url: string;
  #WebSocket: WebSocketConstructor | undefined;
  #socket: WebSocket | null = null;
  #acks = new Map<number, (result: Result) => void>();
  #nextAck = 1;
  #pinger: ReturnType<typeof setInterval> | null = null;

  constructor(url: string, WebSocketImpl?: WebSocketConstructor) {
    this.#url = url;
    this.#WebSocket = WebSocketImpl ?? (globalThis.WebSocket as WebSocketConstructor | undefined);
  }

  /** The current link's socket, for tests that cut it as a network would. */
  get socket(): WebSocket | null {
    return this.#socket;
  }

  connect(options: ConnectOptions, handlers: LinkHandlers): void {
    this.disconnect(false);
    if (!this.#WebSocket)
      throw new Error('tsunagu: no global WebSocket here; pass one as `WebSocket` (e.g. from `ws`)');
    const socket = new this.#WebSocket(v1Url(this.#url, options));
    this.#socket = socket;
    let refusal: V1Refusal | undefined;
    let opened = false;
    socket.onmessage = ({ data }) => {
      if (typeof data !== 'string') return; // the server sends text only
      let frame: Frame;
      try {
        frame = JSON.parse(data) as Frame;
      } catch {
        return;
      }
      if (typeof frame.ack === 'number') {
        const ack = this.#acks.get(frame.ack);
        this.#acks.delete(frame.ack);
        ack?.(frame.data as Result);
      } else if (frame.event === 'welcome' && !opened) {
        opened = true;
        const welcome = frame.data as V1Welcome;
        this.#keepAlive(welcome.pingIntervalMs, () => {
          this.disconnect(false);
          handlers.closed({ detail: 'ping timeout' });
        });
        handlers.open(welcome.id, welcome.resumed);
      } else if (frame.event === 'error' && (frame.data as V1Refusal | undefined)?.event === 'connect') {
        refusal = frame.data as V1Refusal; // the 4001 close follows
      } else if (typeof frame.event === 'string') {
        handlers.event(frame.event, frame.data, frame.seq ?? 0);
      }
    };
    socket.onclose = ({ code, reason }) => {
      if (this.#socket !== socket) return;
      this.#clear();
      const code4001 = code === V1_CLOSE.refused ? reason : undefined;
      handlers.closed({
        ...(refusal || code4001
          ? { refusal: refusal ?? { code: code4001 as V1Refusal['code'], message: `refused: ${code4001}` } }
          : {}),
        ...(code === V1_CLOSE.removed ? { removed: true } : {}),
        detail: `closed ${code}${reason ? ` ${reason}` : ''}`,
      });
    };
    // An error is always followed by a close, which says what there is to say.
    socket.onerror = () => {};
  }

  emit(event: string, data: unknown, ack?: (result: Result) => void): void {
    const socket = this.#socket;
    if (!socket || socket.readyState !== 1) return;
    const frame: { event: string; data?: unknown; ack?: number } = { event };
    if (data !== undefined) frame.data = data;
    if (ack) {
      frame.ack = this.#nextAck++;
      this.#acks.set(frame.ack, ack);
    }
    socket.send(JSON.stringify(frame));
  }

  disconnect(leaving: boolean): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#clear();
    socket.onmessage = socket.onclose = null;
    // Closing a socket still connecting makes it fail: nobody is waiting for it any more.
    socket.onerror = () => {};
    // A socket still connecting cannot be closed with a code by every implementation; it goes anyway.
    if (socket.readyState === 1) socket.close(leaving ? CLOSE_NORMAL : CLOSE_TO_RECONNECT);
    else socket.close();
  }

  /**
   * A browser cannot see WebSocket pings, so a link that died without a close (a laptop lid, a
   * NAT dropping state) would look alive for minutes: a `ping` answered within the server's own
   * timeout says it is not.
   */
  #keepAlive(intervalMs: number, dead: () => void): void {
    if (!(intervalMs > 0)) return;
    let answered = true;
    let sentAt = 0;
    this.#pinger = setInterval(
      () => {
        if (!answered && Date.now() - sentAt >= V1_PING_TIMEOUT_MS) return dead();
        if (!answered) return;
        answered = false;
        sentAt = Date.now();
        this.emit('ping', undefined, () => (answered = true));
      },
      Math.min(intervalMs, V1_PING_TIMEOUT_MS),
    );
    // A Node process (tests, tools) should not stay up for a ping timer.
    (this.#pinger as { unref?: () => void }).unref?.();
  }

  #clear(): void {
    if (this.#pinger) clearInterval(this.#pinger);
    this.#pinger = null;
    this.#socket = null;
    // Answers of a link that is gone never come; their requests time out in the client.
    this.#acks.clear();
  }
}
