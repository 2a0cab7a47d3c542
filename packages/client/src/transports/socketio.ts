/**
 * The socket.io transport (`transport: 'socket.io'`): the same protocol over socket.io v4, for
 * servers or proxies that only pass socket.io. socket.io's own reconnection is off: the client
 * reconnects, the same way on every transport; socket.io's connection-state recovery (its private
 * session id and offset, kept by the one `Socket` object across links) does the resuming.
 * socket.io-client is loaded on first use: an app on `/v1` never loads it (and its bundler can
 * leave it out), and importing the SDK in Node touches none of the globals socket.io probes.
 */
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { ErrorCode, Result } from '../protocol/errors.js';
import type { ConnectOptions, LinkHandlers, Transport } from '../transport.js';

export type SocketIoOptions = Partial<ManagerOptions & SocketOptions>;

export class SocketIoTransport implements Transport {
  readonly name = 'socket.io';
  #url: string;
  #options: SocketIoOptions;
  #socket: Promise<Socket> | null = null;
  #loaded: Socket | null = null;
  #token: string | undefined;
  #handlers: LinkHandlers | null = null;

  constructor(url: string, options: SocketIoOptions = {}) {
    this.#url = url;
    this.#options = options;
  }

  /** The one socket.io `Socket`, reused by every link so that its recovery state carries over (null until loaded). */
  get socket(): Socket | null {
    return this.#loaded;
  }

  async #load(): Promise<Socket> {
    const { io } = await import('socket.io-client');
    // By default WebSocket only, so no sticky sessions are needed behind a load balancer.
    const socket = io(this.#url, {
      transports: ['websocket'],
      ...this.#options,
      autoConnect: false,
      reconnection: false,
      auth: (cb) => cb(this.#token === undefined ? {} : { token: this.#token }),
    });
    socket.on('connect', () => this.#handlers?.open(socket.id!, socket.recovered));
    socket.on('connect_error', (err: Error & { data?: { code?: ErrorCode; message?: string } }) => {
      const code = err.data?.code;
      this.#closed({
        ...(code ? { refusal: { code, message: err.data?.message ?? err.message } } : {}),
        detail: `connect_error ${err.message}`,
      });
    });
    socket.on('disconnect', (reason) =>
      // The server disconnected this socket on purpose: it is not coming back.
      this.#closed({ ...(reason === 'io server disconnect' ? { removed: true } : {}), detail: reason }),
    );
    socket.onAny((event: string, data: unknown) => this.#handlers?.event(event, data, 0));
    this.#loaded = socket;
    return socket;
  }

  connect({ token }: ConnectOptions, handlers: LinkHandlers): void {
    this.disconnect(false);
    this.#token = token;
    this.#handlers = handlers;
    this.#socket ??= this.#load();
    this.#socket.then(
      (socket) => {
        if (this.#handlers === handlers) socket.connect();
      },
      (err: unknown) => this.#closed({ detail: `socket.io-client did not load: ${String(err)}` }),
    );
  }

  emit(event: string, data: unknown, ack?: (result: Result) => void): void {
    const socket = this.#loaded;
    if (!socket?.connected) return; // socket.io would buffer it; the client does its own
    const args: unknown[] = data === undefined ? [] : [data];
    if (ack) args.push(ack);
    socket.emit(event, ...args);
  }

  disconnect(leaving: boolean): void {
    this.#handlers = null;
    const socket = this.#loaded;
    if (!socket) return;
    if (leaving) socket.disconnect();
    // As a network failure would: socket.io keeps its session id and offset for the next link.
    else if (socket.connected || socket.active) socket.io.engine?.close();
  }

  #closed(info: Parameters<LinkHandlers['closed']>[0]): void {
    const handlers = this.#handlers;
    this.#handlers = null;
    handlers?.closed(info);
  }
}
