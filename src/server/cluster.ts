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
  const redis: RedisClient = createClient({
    url,
    // Keep trying while Redis restarts; /readyz says 503 meanwhile.
    socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000) },
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
  await redis.connect();
  return {
    redis,
    adapter: createAdapter(redis, { streamName: 'tsunagu', heartbeatInterval: 2_000, heartbeatTimeout: 7_000 }),
    check: () => (redis.isReady ? null : `redis: ${lastError ?? 'not connected'}`),
    async close() {
      await redis.close().catch(() => redis.destroy());
    },
  };
}
