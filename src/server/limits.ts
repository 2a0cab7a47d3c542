/**
 * Limits that keep one client from hurting the others: event rate and payload size per socket,
 * connections per address and in all, rooms per node. Each breach answers with its error code.
 */
import type { IncomingMessage } from 'node:http';
import type { Config } from './config.js';
import type { IoServer } from './types.js';
import { ROOM_PREFIX } from './groups.js';

/**
 * A token bucket: `rate` tokens a second, at most `burst` saved up. Written here rather than taken
 * from a rate-limiting package because it runs on every event of the hot path: two numbers and a
 * subtraction, no promise, no timer, nothing allocated.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  take(now = performance.now()): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** The client's address: the socket's peer, or the first X-Forwarded-For hop when we trust a proxy. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** Counts this node's connections, in all and per address. Transport bookkeeping: local by nature. */
export class ConnectionCounter {
  #perAddress = new Map<string, number>();
  total = 0;

  constructor(private readonly config: Pick<Config, 'maxConnections' | 'maxConnectionsPerIp'>) {}

  /** Admits a connection from `address`, or says why not; the caller must `release` an admitted one. */
  admit(address: string): 'too-many-connections' | null {
    const mine = this.#perAddress.get(address) ?? 0;
    if (this.total >= this.config.maxConnections || mine >= this.config.maxConnectionsPerIp) {
      return 'too-many-connections';
    }
    this.total++;
    this.#perAddress.set(address, mine + 1);
    return null;
  }

  release(address: string): void {
    this.total--;
    const mine = (this.#perAddress.get(address) ?? 1) - 1;
    if (mine <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, mine);
  }
}

/** Counts the node's rooms from the adapter's own create/delete events, so no scan is needed. */
export function countRooms(io: IoServer): { readonly size: number } {
  const counter = { size: 0 };
  const adapter = io.of('/').adapter;
  adapter.on('create-room', (room: string) => {
    if (room.startsWith(ROOM_PREFIX)) counter.size++;
  });
  adapter.on('delete-room', (room: string) => {
    if (room.startsWith(ROOM_PREFIX)) counter.size--;
  });
  return counter;
}
