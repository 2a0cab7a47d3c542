/**
 * SignalingClient: the transport layer of the SDK. Typed, promise-based `join`/`leave`/`signal` over
 * socket.io; rejoins its room by itself after a reconnect; server errors surface as `SignalingError`.
 */
import { Emitter } from '@socket.io/component-emitter';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { ErrorCode, Result } from '../protocol/errors.js';
import type {
  ClientToServerEvents,
  JoinResult,
  PeerAwayEvent,
  PeerInfo,
  PeerLeftEvent,
  ServerToClientEvents,
  SignalEvent,
} from '../protocol/events.js';
import type { SignalRequest } from '../protocol/schemas.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A failed request: `code` is the server's stable error code, or a client-side one. */
export class SignalingError extends Error {
  constructor(
    readonly code: ErrorCode | 'timeout' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

export interface SignalingClientEvents {
  'peer-joined': (peer: PeerInfo) => void;
  'peer-left': (event: PeerLeftEvent) => void;
  /** A peer's link dropped; it keeps its id and may resume within the server's resume window. */
  'peer-reconnecting': (event: PeerAwayEvent) => void;
  'peer-resumed': (event: PeerAwayEvent) => void;
  signal: (event: SignalEvent) => void;
  /** After every successful join, including the automatic one after a reconnect. */
  joined: (result: JoinResult) => void;
  'connection-state': (state: ConnectionState) => void;
  /** An error that belongs to no request: a failed automatic rejoin, or a `send()` the server refused. */
  error: (error: SignalingError) => void;
}

export interface SignalingClientOptions {
  /** How long a request waits for its ack. Default 10 000 ms. */
  timeout?: number;
  /** Passed to socket.io-client; by default WebSocket only, so no sticky sessions are needed. */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

export class SignalingClient extends Emitter<SignalingClientEvents, SignalingClientEvents> {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  #timeout: number;
  #joined: { room: string; name?: string } | null = null;
  #state: ConnectionState = 'connecting';

  /** @example const client = new SignalingClient('http://localhost:9001'); await client.join('demo'); */
  constructor(url: string, options: SignalingClientOptions = {}) {
    super();
    this.#timeout = options.timeout ?? 10_000;
    this.socket = io(url, { transports: ['websocket'], ...options.socket });
    this.socket.on('peer-joined', (peer) => this.emit('peer-joined', peer));
    this.socket.on('peer-left', (event) => this.emit('peer-left', event));
    this.socket.on('peer-reconnecting', (event) => this.emit('peer-reconnecting', event));
    this.socket.on('peer-resumed', (event) => this.emit('peer-resumed', event));
    this.socket.on('signal', (event) => this.emit('signal', event));
    // The server's answer to an event sent without an ack (send()) when it failed.
    this.socket.on('error', ({ code, message }) => this.emit('error', new SignalingError(code, message)));
    // Leaving the page is leaving the room, now: not a dropped link that the others wait for.
    globalThis.addEventListener?.('pagehide', () => this.socket.disconnect());
    this.socket.on('connect', () => {
      this.#setState('connected');
      // Recovered: same id, same room, missed signals replayed by the server. Nothing to redo.
      if (this.socket.recovered || this.#joined === null) return;
      // A new session on the server: the old peer id is gone, so join again under a new one.
      const { room, name } = this.#joined;
      this.join(room, name).catch((err: SignalingError) => this.emit('error', err));
    });
    // The node is draining: drop the transport the way a network blip would, so socket.io's own
    // reconnection (with backoff) finds another node behind the load balancer.
    this.socket.on('server-shutdown', () => this.socket.io.engine?.close());
    this.socket.on('disconnect', () => {
      if (this.#state !== 'closed') this.#setState(this.socket.active ? 'reconnecting' : 'closed');
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get id(): string | undefined {
    return this.socket.id;
  }

  async join(room: string, name?: string): Promise<JoinResult> {
    const result = await this.#request<JoinResult>('join', name === undefined ? { room } : { room, name });
    this.#joined = { room, name };
    this.emit('joined', result);
    return result;
  }

  async leave(): Promise<void> {
    this.#joined = null;
    await this.#request('leave');
  }

  /** Sends `data` to one peer of the room; resolves once the server has relayed it. */
  async signal(to: string, data: unknown): Promise<void> {
    await this.#request('signal', { to, data });
  }

  /**
   * Sends `data` to one peer without waiting for the server: it answers only a failure (the peer
   * gone, a limit), as this client's `error` event. A signal then costs the server one frame, not
   * a frame each way — what the Room sends its offers, answers and candidates with.
   */
  send(to: string, data: unknown): void {
    if (this.#state === 'closed') return;
    this.socket.emit('signal', { to, data } as SignalRequest);
  }

  close(): void {
    this.#joined = null;
    this.#setState('closed');
    this.socket.disconnect();
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('connection-state', state);
  }

  async #request<T extends object>(event: 'join' | 'leave' | 'signal', ...payload: unknown[]): Promise<T> {
    if (this.#state === 'closed') throw new SignalingError('closed', `${event}: the client is closed`);
    let result: Result<T>;
    try {
      // The event maps type each event; this one helper serves all three, so it goes through `unknown`.
      const socket = this.socket.timeout(this.#timeout) as unknown as {
        emitWithAck(event: string, ...args: unknown[]): Promise<Result<T>>;
      };
      result = await socket.emitWithAck(event, ...payload);
    } catch {
      throw new SignalingError('timeout', `${event}: no answer within ${this.#timeout} ms`);
    }
    if (!result.ok) throw new SignalingError(result.error.code, result.error.message);
    return result;
  }
}
