/**
 * Outbound budgets: how much the server holds for clients that do not read what it sends them.
 *
 * Per connection (`--max-send-buffer`): what is queued for one connection and not yet written —
 * measured by its edge in O(1) on every write — past the budget makes it a slow consumer. It is
 * closed with the reason `slow-consumer`, cut a moment later if its client does not take the close
 * (a reader that stopped never will), counted and logged; its session is away like any dropped
 * link's, so it may resume. Its senders are never blocked or told anything.
 *
 * Per node, the second line: every second the queued bytes of all connections (each edge says its
 * sum) and the heap in use are sampled; past `--max-node-send-buffer` or `--max-heap` new joins
 * are refused `overloaded` and /readyz answers 503 with the reason, so a balancer sends newcomers
 * elsewhere — until both are back under three quarters of their limits (no flapping at the line).
 */
import { getHeapStatistics } from 'node:v8';
import { V1_CLOSE } from '../../protocol/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics, Protocol } from '../metrics.js';

/** The reason a slow consumer is closed with (its close code on `/v1` and PeerJS: `V1_CLOSE.slowConsumer`). */
export const SLOW_CONSUMER = 'slow-consumer';
/**
 * How long a slow consumer's close may take before its socket is cut and its queue freed: long
 * enough for a client that reads again to read up to the close, far shorter than a close
 * handshake's 30 s of holding megabytes for one that never will.
 */
export const SLOW_CONSUMER_GRACE_MS = 3_000;
/** How often the node-wide queue and the heap are sampled. */
export const SAMPLE_MS = 1_000;
/** A node over a limit takes joins again once under this share of it. */
export const RECOVERY_SHARE = 0.75;
/** `--max-heap 0`: this share of V8's own heap limit, leaving room for the calls already up. */
export const DEFAULT_HEAP_SHARE = 0.8;

export type BudgetConfig = Pick<
  Config,
  'maxSendBufferBytes' | 'maxNodeSendBufferBytes' | 'maxHeapBytes' | 'maxPayloadBytes'
>;

/** What the budget needs of a `ws` WebSocket (every edge's transport, socket.io's included). */
export interface Closable {
  close(code: number, reason: string): void;
  terminate(): void;
}

/** Bytes held queued by one edge for all its connections, summed when sampled (not on the hot path). */
export type QueuedBytes = () => number;

export class Budget {
  /** Most bytes queued for one connection. */
  readonly perConnection: number;
  readonly node: number;
  readonly heap: number;
  /** Queued bytes of every connection at the last sample. */
  queued = 0;
  #sources: QueuedBytes[] = [];
  #problem: string | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    config: BudgetConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    // One message any client may send always fits, twice over, whatever the two options say.
    this.perConnection = Math.max(config.maxSendBufferBytes, 2 * config.maxPayloadBytes);
    this.node = config.maxNodeSendBufferBytes;
    this.heap = config.maxHeapBytes || Math.floor(getHeapStatistics().heap_size_limit * DEFAULT_HEAP_SHARE);
  }

  /** Whether a connection with `queued` bytes waiting for it is a slow consumer. O(1): every write asks. */
  over(queued: number): boolean {
    return queued > this.perConnection;
  }

  /**
   * A slow consumer, found by its edge with `queued` bytes waiting: counted, logged, and its
   * `socket` closed with `V1_CLOSE.slowConsumer` and `SLOW_CONSUMER` — a close its client reads
   * after what is queued before it, if it ever reads again — then cut after the grace, freeing the
   * queue. Its edge reports the close as a drop, as for any link that ended without a goodbye.
   */
  slow(protocol: Protocol, queued: number, socket: Closable | null, id?: string): void {
    this.metrics.slowConsumer(protocol);
    this.log.warn({ protocol, socket: id, queued, budget: this.perConnection }, 'slow consumer closed');
    if (socket === null) return;
    socket.close(V1_CLOSE.slowConsumer, SLOW_CONSUMER);
    setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  /** An edge tells how to sum what it holds queued. */
  measure(source: QueuedBytes): void {
    this.#sources.push(source);
  }

  /** Null while new joins are taken; why not otherwise (for `overloaded` and /readyz). */
  get problem(): string | null {
    return this.#problem;
  }

  /** Samples the queues and the heap, and decides whether this node takes new joins. */
  sample(): void {
    let queued = 0;
    for (const source of this.#sources) queued += source();
    this.queued = queued;
    const heap = getHeapStatistics().used_heap_size;
    const share = this.#problem === null ? 1 : RECOVERY_SHARE;
    const problem =
      queued > this.node * share
        ? `overloaded: ${queued} bytes queued for clients (limit ${this.node})`
        : heap > this.heap * share
          ? `overloaded: heap ${heap} bytes in use (limit ${this.heap})`
          : null;
    if ((problem === null) !== (this.#problem === null)) {
      if (problem) this.log.warn({ queued, heap }, 'overloaded: new joins refused');
      else this.log.info({ queued, heap }, 'recovered: new joins taken again');
    }
    this.#problem = problem;
    this.metrics.sendBuffers(queued, problem !== null);
  }

  start(): void {
    this.#timer ??= setInterval(() => this.sample(), SAMPLE_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
