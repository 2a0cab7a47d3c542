/**
 * Graceful shutdown: stop being ready, refuse newcomers, tell every client to move elsewhere, and
 * close once they have gone or the grace period is over — whichever comes first.
 */
import type { Core } from './core/index.js';
import type { Logger } from './logger.js';
import type { IoServer } from './types.js';

export async function drain(io: IoServer, core: Core, graceMs: number, log: Logger): Promise<void> {
  const sockets = [...io.sockets.sockets.values()];
  log.info({ clients: sockets.length, graceMs }, 'draining');
  core.broadcastLocal({ event: 'server-shutdown', data: { graceMs } });
  if (sockets.length === 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      log.warn({ clients: io.engine.clientsCount }, 'grace period over; closing the rest');
      resolve();
    }, graceMs);
    let left = sockets.length;
    for (const socket of sockets) {
      socket.once('disconnect', () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
}
