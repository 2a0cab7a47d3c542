/**
 * SignalingClient: the signaling layer of the SDK. Typed, promise-based `join`/`leave`/`signal`
 * over `/v1` (a native WebSocket) or socket.io; a connection lifecycle (`connecting`, `connected`,
 * `reconnecting`, `closed`, each with its reason) that reconnects with backoff, resumes its session
 * or rejoins its room, and turns a refusal into a `SignalingError` with the server's code at once.
 */
import { Emitter } from '@socket.io/component-emitter';
import type { ErrorCode, Result } from './protocol/errors.js';
import type { JoinResult, PeerAwayEvent, PeerInfo, PeerLeftEvent, SignalEvent } from './protocol/events.js';
import { Backoff, type ReconnectPolicy } from './reconnect.js';
import type { LinkClosed, ResumeTicket, Transport } from './transport.js';
import { SocketIoTransport, type SocketIoOptions } from './transports/socketio.js';
import { WebSocketTransport, type WebSocketConstructor } from './transports/websocket.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Why the state last changed: a refusal's code, or what happened to the link. */
export type StateReason =
  | 'connect'
  | 'connected'
  | 'resumed'
  | 'rejoined'
  | 'link-lost'
  | 'server-shutdown'
  | 'removed'
  | 'gave-up'
  | 'pagehide'
  | 'pageshow'
  | 'client-closed'
  | ErrorCode;

/** A failed request or refusal: `code` is the server's stable error code, or a client-side one. */
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
  'connection-state': (state: ConnectionState, reason: StateReason) => void;
  /** What belongs to no request: a refusal, a failed automatic rejoin, a `send()` the server refused. */
  error: (error: SignalingError) => void;
}

export interface SignalingClientOptions {
  /** `v1` (default): the native WebSocket endpoint `/v1`. `socket.io`: the same protocol over socket.io. */
  transport?: 'v1' | 'socket.io';
  /** How long a request waits for its answer, in ms. Default 10 000. */
  timeout?: number;
  /**
   * The token for `--auth token`: a string, or a function asked before connecting and once more
   * when the server says `unauthorized` (an expired token after a long blip).
   */
  token?: string | (() => Promise<string>);
  /** When to retry a lost or refused link. Default: `new Backoff()`, retrying for ever. */
  reconnect?: ReconnectPolicy;
  /** `/v1` where there is no global WebSocket (Node 20): e.g. `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** socket.io only: passed to socket.io-client (reconnection stays off: the client does it). */
  socket?: SocketIoOptions;
}

/** Refusals that mean "not here, not now": a drain, a full or an overloaded node is retried, as a lost link is. */
const RETRIED: ReadonlySet<string> = new Set<ErrorCode>(['shutting-down', 'too-many-connections', 'overloaded']);

/** Answers to an automatic rejoin that another try would only repeat. */
const FINAL_JOIN_ERRORS: ReadonlySet<string> = new Set<ErrorCode>([
  'room-full',
  'forbidden',
  'unauthorized',
  'bad-request',
  'too-many-rooms',
]);

interface Pending {
  event: 'join' | 'leave' | 'signal' | 'ping';
  data: unknown;
  /** Absent for `send()`: no answer is awaited. */
  settle?: (result: Result | SignalingError) => void;
}

export class SignalingClient extends Emitter<SignalingClientEvents, SignalingClientEvents> {
  readonly transport: Transport;
  #timeout: number;
  #token: SignalingClientOptions['token'];
  #policy: ReconnectPolicy;
  #state: ConnectionState = 'connecting';
  #reason: StateReason = 'connect';
  #id: string | undefined;
  #joined: { room: string; name?: string } | null = null;
  /** The last numbered event seen, and the join ack's secret: what a `/v1` resume needs. */
  #seq = 0;
  #ticket: ResumeTicket | undefined;
  #up = false;
  #everUp = false;
  #attempts = 0;
  #tokenRefreshed = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Written once the link is up, in order: requests made while it is down wait here. */
  #outbox: Pending[] = [];
  #settlers = new Set<(result: Result | SignalingError) => void>();
  #unlisten: Array<() => void> = [];

  /**
   * @example
   * const client = new SignalingClient('https://calls.example.org', { token: () => fetchToken() });
   * await client.join('standup', 'Aiko');
   */
  constructor(url: string, options: SignalingClientOptions = {}) {
    super();
    this.#timeout = options.timeout ?? 10_000;
    this.#token = options.token;
    this.#policy = options.reconnect ?? new Backoff();
    this.transport =
      options.transport === 'socket.io'
        ? new SocketIoTransport(url, options.socket)
        : new WebSocketTransport(url, options.WebSocket);
    // Leaving the page is leaving the room, now: not a dropped link that the others wait for.
    this.#listen('pagehide', () => this.#pagehide());
    // Back from the back/forward cache: the page lives again, and so does its call.
    this.#listen('pageshow', (e) => {
      if ((e as PageTransitionEvent).persisted && this.#state !== 'closed' && !this.#up) this.#retry('pageshow', 0);
    });
    void this.#connect();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Why the state last changed. */
  get reason(): StateReason {
    return this.#reason;
  }

  /** This session's peer id, known once the link is up (before any join). */
  get id(): string | undefined {
    return this.#id;
  }

  async join(room: string, name?: string): Promise<JoinResult> {
    const result: JoinResult = await this.#request<JoinResult>('join', name === undefined ? { room } : { room, name });
    this.#joined = name === undefined ? { room } : { room, name };
    if (result.resume !== undefined) this.#ticket = { session: result.self.id, seq: this.#seq, secret: result.resume };
    this.emit('joined', result);
    return result;
  }

  async leave(): Promise<void> {
    this.#joined = null;
    await this.#request('leave', undefined);
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
    this.#write({ event: 'signal', data: { to, data } });
  }

  /** Leaves, ends the link and removes every listener this client added (to the page, to its socket). */
  close(): void {
    if (this.#state === 'closed') return;
    this.#leaveNow();
    this.#end('client-closed', new SignalingError('closed', 'the client is closed'));
  }

  #listen(event: string, fn: (e: Event) => void): void {
    const target = globalThis as Partial<Pick<EventTarget, 'addEventListener' | 'removeEventListener'>>;
    const { addEventListener: add, removeEventListener: remove } = target;
    if (!add || !remove) return;
    add.call(target, event, fn);
    this.#unlisten.push(() => remove.call(target, event, fn));
  }

  async #connect(): Promise<void> {
    let token: string | undefined;
    try {
      token = typeof this.#token === 'function' ? await this.#token() : this.#token;
    } catch (err) {
      return this.#end('unauthorized', new SignalingError('unauthorized', `token provider failed: ${String(err)}`));
    }
    if (this.#state === 'closed' || this.#retryTimer !== null) return;
    this.transport.connect(
      { token, resume: this.#ticket },
      {
        open: (id, resumed) => this.#opened(id, resumed),
        event: (name, data, seq) => this.#event(name, data, seq),
        closed: (info) => this.#closed(info),
      },
    );
  }

  #opened(id: string, resumed: boolean): void {
    this.#id = id;
    this.#up = true;
    this.#everUp = true;
    this.#attempts = 0;
    this.#tokenRefreshed = false;
    if (!resumed) {
      // A new session: the old one's numbers, secret and unanswered signals meant nothing to it.
      this.#seq = 0;
      this.#ticket = undefined;
      this.#outbox = this.#outbox.filter((p) => p.settle !== undefined);
    }
    // A new session on the server: the old peer id is gone, so join again under a new one, first;
    // the client is `connected` again once it is back in its room, as the app knew it.
    if (!resumed && this.#joined !== null) {
      const { room, name } = this.#joined;
      this.join(room, name).then(
        () => this.#setState('connected', 'rejoined'),
        (err: SignalingError) => {
          this.emit('error', err);
          if (!this.#up || this.#state === 'closed') return;
          // The room said no (full, forbidden, …): the app hears it and decides. Anything else (a
          // timeout, a node going away, an internal error) must not leave us outside the call.
          if (FINAL_JOIN_ERRORS.has(err.code)) return this.#setState('connected', err.code as ErrorCode);
          this.#up = false;
          this.transport.disconnect(false);
          this.#retry('link-lost');
        },
      );
    } else this.#setState('connected', resumed ? 'resumed' : 'connected');
    for (const pending of this.#outbox.splice(0)) this.#write(pending);
  }

  #event(name: string, data: unknown, seq: number): void {
    if (seq > this.#seq) this.#seq = seq;
    if (this.#ticket && seq > this.#ticket.seq) this.#ticket.seq = seq;
    switch (name) {
      case 'peer-joined':
      case 'peer-left':
      case 'peer-reconnecting':
      case 'peer-resumed':
      case 'signal':
        return void (this.emit as (event: string, data: unknown) => void)(name, data);
      case 'error': {
        // The server's answer to an event sent without an ack (send()) when it failed.
        const { code, message } = data as { code: ErrorCode; message: string };
        return void this.emit('error', new SignalingError(code, message));
      }
      case 'server-shutdown':
        // The node is draining: move now, resuming elsewhere behind the load balancer.
        this.#up = false;
        this.transport.disconnect(false);
        return this.#retry('server-shutdown', 0);
    }
  }

  #closed({ refusal, removed, detail }: LinkClosed): void {
    this.#up = false;
    if (this.#state === 'closed') return;
    if (!refusal) {
      if (removed) return this.#end('removed', new SignalingError('closed', `removed by the server (${detail})`));
      return this.#retry('link-lost');
    }
    const error = new SignalingError(refusal.code, refusal.message);
    this.emit('error', error);
    if (RETRIED.has(refusal.code)) return this.#retry(refusal.code);
    if (refusal.code === 'unauthorized' && typeof this.#token === 'function' && !this.#tokenRefreshed) {
      this.#tokenRefreshed = true; // once: a provider that keeps failing must not spin
      return this.#retry('unauthorized', 0);
    }
    this.#end(refusal.code, error);
  }

  /** Tries again after the policy's delay (or `delayMs`), or gives up when the policy says so. */
  #retry(reason: StateReason, delayMs?: number): void {
    const delay = delayMs ?? this.#policy.nextDelayMs({ attempt: this.#attempts++, reason });
    if (delay === null) return this.#end('gave-up', new SignalingError('closed', `gave up reconnecting (${reason})`));
    this.#setState(this.#everUp ? 'reconnecting' : 'connecting', reason);
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#connect();
    }, delay);
  }

  #pagehide(): void {
    if (this.#state === 'closed') return;
    this.#leaveNow();
    this.#ticket = undefined;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#setState(this.#everUp ? 'reconnecting' : 'connecting', 'pagehide');
  }

  /** Says `leave` (so the others are told now, not after the resume window) and ends the link. */
  #leaveNow(): void {
    if (this.#up && this.#joined !== null) this.transport.emit('leave', undefined);
    this.#up = false;
    this.transport.disconnect(true);
  }

  /** The terminal state: every waiting request rejected with `error`, every listener removed. */
  #end(reason: StateReason, error: SignalingError): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#joined = null;
    this.#up = false;
    this.transport.disconnect(true);
    for (const off of this.#unlisten.splice(0)) off();
    this.#outbox.length = 0;
    for (const settle of [...this.#settlers]) settle(error);
    this.#setState('closed', reason);
  }

  #setState(state: ConnectionState, reason: StateReason): void {
    if (state === this.#state && reason === this.#reason) return;
    this.#state = state;
    this.#reason = reason;
    this.emit('connection-state', state, reason);
  }

  #write(pending: Pending): void {
    if (!this.#up) {
      this.#outbox.push(pending);
      return;
    }
    this.transport.emit(pending.event, pending.data, pending.settle);
  }

  #request<T extends object>(event: Pending['event'], data: unknown): Promise<{ ok: true } & T> {
    if (this.#state === 'closed') throw new SignalingError('closed', `${event}: the client is closed`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => settle(new SignalingError('timeout', `${event}: no answer within ${this.#timeout} ms`)),
        this.#timeout,
      );
      const settle = (result: Result | SignalingError) => {
        clearTimeout(timer);
        this.#settlers.delete(settle);
        // Given up on: it must not reach the server later, when the link comes back.
        const waiting = this.#outbox.indexOf(pending);
        if (waiting >= 0) this.#outbox.splice(waiting, 1);
        if (result instanceof SignalingError) reject(result);
        else if (!result.ok) reject(new SignalingError(result.error.code, result.error.message));
        else resolve(result as { ok: true } & T);
      };
      const pending: Pending = { event, data, settle };
      this.#settlers.add(settle);
      this.#write(pending);
    });
  }
}
