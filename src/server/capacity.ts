/**
 * Room capacity (`--max-peers-per-room`). One node counts its own sockets; a cluster counts in
 * Redis, in one atomic script, so joins racing on different nodes never overfill a room.
 */
import type { createClient } from 'redis';
import { roomKey } from './groups.js';
import type { IoServer } from './types.js';

export type RedisClient = ReturnType<typeof createClient>;

export interface Capacity {
  /** Takes a place in `room` for peer `id`; false when the room is full. */
  admit(room: string, id: string): Promise<boolean>;
  /** Gives the place back (left, or gone for good). */
  release(room: string, id: string): void;
  close(): void;
}

export function localCapacity(io: IoServer, max: number): Capacity {
  return {
    admit: async (room) => (io.of('/').adapter.rooms.get(roomKey(room))?.size ?? 0) < max,
    release: () => {},
    close: () => {},
  };
}

/**
 * A room's members are a sorted set of leases (score = expiry, ms). Expired leases are dropped
 * before counting, so places held by a node that died come free by themselves.
 */
const ADMIT = `
local key, now, lease, max, id = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if not redis.call('ZSCORE', key, id) and redis.call('ZCARD', key) >= max then return 0 end
redis.call('ZADD', key, now + lease, id)
redis.call('PEXPIRE', key, lease)
return 1`;

const LEASE_MS = 30_000;

export function redisCapacity(
  redis: RedisClient,
  max: number,
  /** The places this node holds now (its peers in rooms, and those away but resumable). */
  held: () => Iterable<{ room: string; id: string }>,
): Capacity {
  const key = (room: string) => `tsunagu:room:${room}:members`;
  // Leases are renewed well before they expire, for every place this node still holds.
  const renew = setInterval(() => {
    const now = Date.now();
    const multi = redis.multi();
    let any = false;
    for (const { room, id } of held()) {
      multi.zAdd(key(room), { score: now + LEASE_MS, value: id }, { XX: true });
      multi.pExpire(key(room), LEASE_MS);
      any = true;
    }
    if (any) multi.exec().catch(() => {}); // Redis away: the next round tries again
  }, LEASE_MS / 3);
  renew.unref();
  return {
    async admit(room, id) {
      const admitted = await redis.eval(ADMIT, {
        keys: [key(room)],
        arguments: [String(Date.now()), String(LEASE_MS), String(max), id],
      });
      return admitted === 1;
    },
    release(room, id) {
      redis.zRem(key(room), id).catch(() => {}); // the lease runs out by itself otherwise
    },
    close: () => clearInterval(renew),
  };
}
