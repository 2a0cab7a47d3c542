/**
 * The socket.io transport (`transport: 'socket.io'`): the same protocol over socket.io v4, for
 * servers or proxies that only pass socket.io. socket.io's own reconnection is off: the client
 * reconnects, the same way on every transport; socket.io's connection-state recovery (its private
 * session id and offset, kept by the one `Socket` object across links) does the resuming.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { ErrorCode, Result } from '../protocol/errors.js';
import type { ConnectOptions, LinkHandlers, Transport } from '../transport.js';

export type SocketIoOptions = Partial<ManagerOptions & SocketOptions>;

export class SocketIoTransport implements Transport {
  readonly name = 'socket.io';
  /** The one socket.io `Socket`, reused by every link so that its recovery state carries over. */
  readonly socket: Socket;
  #token: string | undefined;
  #handlers: LinkHandlers | null = null;

  constructor(url: string, options: SocketIoOptions = {}) {
    // By default WebSocket only, so no sticky sessions are needed behind a load balancer.
    this.socket = io(url, {
      transports: ['websocket'],
      ...options,
      autoConnect: false,
      reconnection: false,
      auth: (cb) => cb(this.#token === undefined ? {} : { token: this.#token }),
    });
    this.socket.on('connect', () => this.#handlers?.open(this.socket.id!, this.socket.recovered));
    this.socket.on('connect_error', (err: Error & { data?: { code?: ErrorCode; message?: string } }) => {
      const code = err.data?.code;
      this.#closed({
        ...(code ? { refusal: { code, message: err.data?.message ?? err.message } } : {}),
        detail: `connect_error ${err.message}`,
      });
    });
    this.socket.on('disconnect', (reason) =>
      // The server disconnected this socket on purpose: it is not coming back.
      this.#closed({ ...(reason === 'io server disconnect' ? { removed: true } : {}), detail: reason }),
    );
    this.socket.onAny((event: string, data: unknown) => this.#handlers?.event(event, data, 0));
  }

  connect({ token }: ConnectOptions, handlers: LinkHandlers): void {
    this.disconnect(false);
    this.#token = token;
    this.#handlers = handlers;
    this.socket.connect();
  }

  emit(event: string, data: unknown, ack?: (result: Result) => void): void {
    if (!this.socket.connected) return; // socket.io would buffer it; the client does its own
    const args: unknown[] = data === undefined ? [] : [data];
    if (ack) args.push(ack);
    this.socket.emit(event, ...args);
  }

  disconnect(leaving: boolean): void {
    this.#handlers = null;
    if (leaving) this.socket.disconnect();
    // As a network failure would: socket.io keeps its session id and offset for the next link.
    else if (this.socket.connected || this.socket.active) this.socket.io.engine?.close();
  }

  #closed(info: Parameters<LinkHandlers['closed']>[0]): void {
    const handlers = this.#handlers;
    this.#handlers = null;
    handlers?.closed(info);
  }
}
