/**
 * A protocol-v1 client over a plain WebSocket (`/v1`, src/protocol/v1.ts), written from the wire
 * contract alone, for the specs that run against both edges. It offers the part of socket.io-client's
 * `Socket` those specs use — `id`, `connected`, `recovered`, `emit` with an ack callback,
 * `timeout().emitWithAck`, `send`, `on`/`once`/`off`/`onAny`, `disconnect`, `connect`, `io.engine.close()`
 * (a cut link) — and reconnects with a resume as socket.io-client does, so one spec reads the same
 * over either edge.
 */
import { WebSocket } from 'ws';
import { V1_CLOSE, V1_PATH, type V1Welcome } from '../../src/protocol/index.js';

type Listener = (...args: unknown[]) => void;

export interface V1Options {
  /** Reconnect by itself after a link drops (not after `disconnect()`), with a resume. Default true. */
  reconnection?: boolean;
  reconnectionDelay?: number;
  /** Sent as `?token=`, or as a subprotocol with `tokenAs: 'protocol'`. */
  token?: string;
  tokenAs?: 'query' | 'protocol';
  headers?: Record<string, string>;
}

export class V1Client {
  id: string | undefined;
  connected = false;
  /** Whether the last connect took the session back (socket.io-client's `recovered`). */
  recovered = false;
  #ws: WebSocket | null = null;
  #nextAck = 1;
  readonly #answers = new Map<number, Listener>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #any = new Set<Listener>();
  #seen = 0;
  #secret: string | null = null;
  #leaving = false;
  /** socket.io-client's `socket.io.engine.close()`: the transport dies, the client reconnects. */
  readonly io = { engine: { close: () => this.#ws?.terminate() } };

  constructor(
    readonly url: string,
    readonly options: V1Options = {},
  ) {}

  /** Opens the link (again); the `connect` event follows the welcome. */
  connect(): this {
    this.#leaving = false;
    const target = new URL(V1_PATH, this.url.replace(/^http/, 'ws'));
    const { token, tokenAs = 'query' } = this.options;
    if (token !== undefined && tokenAs === 'query') target.searchParams.set('token', token);
    if (this.id !== undefined && this.#secret !== null) {
      target.searchParams.set('session', this.id);
      target.searchParams.set('seq', String(this.#seen));
      target.searchParams.set('resume', this.#secret);
    }
    const protocols = token !== undefined && tokenAs === 'protocol' ? ['tsunagu.v1', `tsunagu.token.${token}`] : [];
    const ws = new WebSocket(target, protocols, { headers: this.options.headers });
    this.#ws = ws;
    let refusal: { code: string; message: string } | null = null;
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { event?: string; data?: unknown; seq?: number; ack?: number };
      if (frame.ack !== undefined) {
        const answer = this.#answers.get(frame.ack);
        this.#answers.delete(frame.ack);
        answer?.(frame.data);
        return;
      }
      const event = frame.event!;
      if (event === 'welcome') {
        const welcome = frame.data as V1Welcome;
        if (!welcome.resumed) {
          this.#seen = 0;
          this.#secret = null;
        }
        this.id = welcome.id;
        this.recovered = welcome.resumed;
        this.connected = true;
        this.#dispatch('connect', []);
        return;
      }
      if (event === 'error' && (frame.data as { event?: string }).event === 'connect') {
        refusal = frame.data as { code: string; message: string };
        return;
      }
      if (frame.seq !== undefined && frame.seq > this.#seen) this.#seen = frame.seq;
      for (const listener of this.#any) listener(event, frame.data);
      this.#dispatch(event, [frame.data]);
    });
    ws.on('error', (err) => {
      if (!this.connected) this.#dispatch('connect_error', [err]);
    });
    ws.on('close', (code, reason) => {
      if (this.#ws !== ws) return;
      const wasConnected = this.connected;
      this.connected = false;
      if (code === V1_CLOSE.refused) {
        const data = refusal ?? { code: String(reason), message: String(reason) };
        this.#dispatch('connect_error', [Object.assign(new Error(data.message), { data })]);
        return;
      }
      if (wasConnected) this.#dispatch('disconnect', [this.#leaving ? 'io client disconnect' : 'transport close']);
      if (!this.#leaving && this.options.reconnection !== false && code !== V1_CLOSE.removed) {
        setTimeout(() => {
          if (!this.#leaving) this.connect();
        }, this.options.reconnectionDelay ?? 50);
      }
    });
    return this;
  }

  /** `emit(event, data?, ack?)`, as socket.io-client's. */
  emit(event: string, ...args: unknown[]): this {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Listener) : undefined;
    const frame: { event: string; data?: unknown; ack?: number } = { event };
    if (args.length > 0) frame.data = args[0];
    if (ack) {
      const n = this.#nextAck++;
      frame.ack = n;
      this.#answers.set(n, (result) => {
        const r = result as { ok?: boolean; resume?: string };
        if (event === 'join' && r.ok && typeof r.resume === 'string') this.#secret = r.resume;
        ack(result);
      });
    }
    this.sendRaw(JSON.stringify(frame));
    return this;
  }

  /** socket.io's `send(data)`: the classic relay's `message`. */
  send(...args: unknown[]): this {
    return this.emit('message', ...args);
  }

  /** Writes a raw frame. */
  sendRaw(frame: string | Buffer): void {
    this.#ws?.send(frame);
  }

  /** Writes a raw request frame made by `frame(ack)`; resolves with its answer. */
  rawRequest(frame: (ack: number) => string, ms = 5000): Promise<unknown> {
    const n = this.#nextAck++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ack ${n}`)), ms);
      this.#answers.set(n, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.sendRaw(frame(n));
    });
  }

  timeout(ms: number) {
    return {
      emitWithAck: (event: string, ...args: unknown[]) =>
        new Promise<unknown>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`operation has timed out (${event})`)), ms);
          this.emit(event, ...args, (result: unknown) => {
            clearTimeout(timer);
            resolve(result);
          });
        }),
    };
  }

  on(event: string, listener: Listener): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    const once: Listener = (...args) => {
      this.off(event, once);
      listener(...args);
    };
    (once as { inner?: Listener }).inner = listener;
    return this.on(event, once);
  }

  off(event: string, listener?: Listener): this {
    const set = this.#listeners.get(event);
    if (!set) return this;
    if (listener === undefined) set.clear();
    for (const l of set) if (l === listener || (l as { inner?: Listener }).inner === listener) set.delete(l);
    return this;
  }

  onAny(listener: Listener): this {
    this.#any.add(listener);
    return this;
  }

  /** Leaves for good: a close the server reads as goodbye (1000), no resume. */
  disconnect(): this {
    this.#leaving = true;
    this.#ws?.close(1000);
    return this;
  }

  #dispatch(event: string, args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) listener(...args);
  }
}
