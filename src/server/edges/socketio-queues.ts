/**
 * The outbound budget on the socket.io edge: what engine.io holds for each connection and has not
 * written, measured in O(1) per packet from engine.io's documented Socket events, and a connection
 * past the budget closed as a slow consumer (the rule is the core's: core/budget.ts).
 *
 * A connection's queue is `buffered`, the bytes of the packets created since its last flush (its
 * write buffer), plus `sent`, the last flush's, while its transport is still writing them (not
 * `writable`): a WebSocket transport waits for its socket's write callback, so this covers what
 * the socket itself buffers; a long-poll waits for the client's next poll.
 */
import type { IncomingMessage } from 'node:http';
import type { Budget, Closable } from '../core/budget.js';

/**
 * engine.io's Socket (`socket.conn`), as much of it as the edge uses: the `packetCreate` and
 * `flush` events, `transport.writable`, `close(discard)`, and its first request.
 */
export interface EngineSocket {
  id: string;
  request: IncomingMessage;
  transport: { name: string; writable: boolean };
  on(event: 'packetCreate', listener: (packet: { data?: unknown }) => void): void;
  on(event: 'flush', listener: () => void): void;
  once(event: 'close', listener: () => void): void;
  close(discard?: boolean): void;
}

interface Queue {
  buffered: number;
  sent: number;
  slow: boolean;
}

/** Bytes counted for a packet besides its data: its type, and the WebSocket frame's header. */
const PACKET_OVERHEAD = 8;

export class EngineQueues {
  readonly #queues = new Map<EngineSocket, Queue>();

  constructor(private readonly budget: Budget) {
    budget.measure(() => this.total);
  }

  /** Bytes queued for every connection now (for the node-wide sample: not on the hot path). */
  get total(): number {
    let bytes = 0;
    for (const [conn, q] of this.#queues) bytes += queued(conn, q);
    return bytes;
  }

  /** Watches a connection engine.io just opened, until it closes. */
  track(conn: EngineSocket): void {
    this.#queues.set(conn, { buffered: 0, sent: 0, slow: false });
    conn.on('packetCreate', this.#onPacketCreate);
    conn.on('flush', this.#onFlush);
    conn.once('close', this.#onClose);
  }

  // Shared by every connection (engine.io calls them with the connection as `this`): a connection
  // costs two listener slots, not a set of closures.
  readonly #onPacketCreate = ((queues: EngineQueues) =>
    function (this: EngineSocket, packet: { data?: unknown }): void {
      queues.#created(this, packet.data);
    })(this);

  readonly #onFlush = ((queues: EngineQueues) =>
    function (this: EngineSocket): void {
      const q = queues.#queues.get(this);
      if (q === undefined) return;
      q.sent = q.buffered;
      q.buffered = 0;
    })(this);

  readonly #onClose = ((queues: EngineQueues) =>
    function (this: EngineSocket): void {
      queues.#queues.delete(this);
    })(this);

  #created(conn: EngineSocket, data: unknown): void {
    const q = this.#queues.get(conn);
    if (q === undefined) return;
    q.buffered +=
      PACKET_OVERHEAD + (typeof data === 'string' ? data.length : ArrayBuffer.isView(data) ? data.byteLength : 0);
    if (!q.slow && this.budget.over(queued(conn, q))) {
      q.slow = true;
      // Closed once the write in progress (a fan-out of the core's, perhaps) is over, not inside it.
      queueMicrotask(() => this.#slow(conn, q));
    }
  }

  /**
   * A slow consumer: engine.io's "forced close" with its queue discarded, a reason socket.io lets
   * its client recover from. Under the WebSocket transport the `ws` socket holds one flush more:
   * its client is told why (4008 `slow-consumer`, as on `/v1`), and it is cut after the grace.
   */
  #slow(conn: EngineSocket, q: Queue): void {
    // engine.io 6.6's WebSocket transport keeps its `ws` socket as `transport.socket`.
    const ws = (conn.transport as { socket?: Closable }).socket;
    const socket = conn.transport.name === 'websocket' && typeof ws?.terminate === 'function' ? ws : null;
    this.budget.slow('socketio', queued(conn, q), socket, conn.id);
    conn.close(true);
  }
}

const queued = (conn: EngineSocket, q: Queue): number => q.buffered + (conn.transport.writable ? 0 : q.sent);
