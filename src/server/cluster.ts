/**
 * Scale-out: with `--redis`, socket.io's Redis streams adapter carries rooms, broadcasts,
 * fetchSockets() and connection-state recovery across nodes, and room capacity is counted in Redis.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { RedisClient } from './capacity.js';
import type { Logger } from './logger.js';

export interface Cluster {
  redis: RedisClient;
  adapter: ReturnType<typeof createAdapter>;
  /** null when Redis answers; otherwise why not, for /readyz. */
  check(): string | null;
  close(): Promise<void>;
}

export async function connectCluster(url: string, log: Logger): Promise<Cluster> {
  let closing = false;
  const redis: RedisClient = createClient({
    url,
    socket: {
      // Keep trying while Redis restarts (/readyz says 503 meanwhile), but not once we are closing:
      // the adapter's duplicates of this client share this strategy, and would otherwise retry forever.
      reconnectStrategy: (retries) => (closing ? new Error('closing') : Math.min(100 * 2 ** retries, 2_000)),
    },
  });
  let lastError: string | null = null;
  redis.on('error', (err: Error) => {
    if (lastError !== err.message) log.warn({ err: err.message }, 'redis error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    if (lastError !== null) log.info('redis connection restored');
    lastError = null;
  });
  // The adapter fires some commands without catching their failure: PUBLISH for its heartbeats,
  // and disconnect() of the duplicate it reads the stream on. While Redis is down these wait in
  // node-redis's offline queue, and closing then rejects them; unhandled, that would crash the
  // process at shutdown. Observed failures are harmless here (the adapter retries), so mark them handled.
  for (const method of ['publish', 'sPublish'] as const) {
    const original = redis[method].bind(redis) as (...args: unknown[]) => Promise<unknown>;
    (redis as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const result = original(...args);
      result.catch(() => {});
      return result;
    };
  }
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = ((...args: Parameters<typeof duplicate>) => {
    const copy = duplicate(...args);
    const disconnect = copy.disconnect.bind(copy);
    copy.disconnect = async () => {
      try {
        await disconnect();
      } catch {
        // already closed: nothing left to disconnect
      }
    };
    return copy;
  }) as typeof redis.duplicate;
  await redis.connect();
  return {
    redis,
    adapter: createAdapter(redis, { streamName: 'tsunagu', heartbeatInterval: 2_000, heartbeatTimeout: 7_000 }),
    check: () => (redis.isReady ? null : `redis: ${lastError ?? 'not connected'}`),
    async close() {
      closing = true;
      if (redis.isReady) await redis.close().catch(() => {});
      if (redis.isOpen) redis.destroy();
    },
  };
}
