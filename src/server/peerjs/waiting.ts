/**
 * Messages for a PeerJS id that is not connected anywhere yet. As in PeerJS server, they wait
 * (from the first one, for the expire timeout) and are handed over when the id connects; when time
 * runs out, each sender hears one EXPIRE per destination and the messages are dropped. The queue
 * lives on the node the senders are on; a destination connecting on any node flushes it.
 */
import type { PeerjsRelay } from '../../protocol/index.js';

/** A destination holds at most this many waiting messages; more are answered with EXPIRE at once. */
export const MAX_WAITING_PER_ID = 64;
/** And the node at most this many in all: random destinations must not grow the queue without bound. */
export const MAX_WAITING = 4096;

export class WaitingRoom {
  #queues = new Map<string, { messages: PeerjsRelay[]; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly timeoutMs: number,
    /** Tells `src` its message to `dst` expired. */
    private readonly expire: (src: string, dst: string) => void,
  ) {}

  /** Queues `message`; false when its destination's queue is full (the caller answers EXPIRE). */
  #total = 0;

  add(message: PeerjsRelay): boolean {
    if (this.#total >= MAX_WAITING) return false;
    let queue = this.#queues.get(message.dst);
    if (!queue) {
      const dst = message.dst;
      const timer = setTimeout(() => this.#expire(dst), this.timeoutMs);
      timer.unref();
      this.#queues.set(dst, (queue = { messages: [], timer }));
    }
    if (queue.messages.length >= MAX_WAITING_PER_ID) return false;
    queue.messages.push(message);
    this.#total++;
    return true;
  }

  /** The messages waiting for `dst`, in order; they are no longer queued. */
  take(dst: string): PeerjsRelay[] {
    const queue = this.#queues.get(dst);
    if (!queue) return [];
    clearTimeout(queue.timer);
    this.#queues.delete(dst);
    this.#total -= queue.messages.length;
    return queue.messages;
  }

  close(): void {
    for (const { timer } of this.#queues.values()) clearTimeout(timer);
    this.#queues.clear();
    this.#total = 0;
  }

  #expire(dst: string): void {
    const senders = new Set(this.take(dst).map((m) => m.src));
    for (const src of senders) this.expire(src, dst);
  }
}
