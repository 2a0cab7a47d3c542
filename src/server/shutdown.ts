/**
 * Graceful shutdown: stop being ready, refuse newcomers, tell every client to move elsewhere, and
 * close once they have gone or the grace period is over — whichever comes first.
 */
import type { Core } from './core/index.js';
import type { Logger } from './logger.js';

/** An edge whose clients a drain waits for. */
export interface Drainable {
  readonly size: number;
  /** Resolves once every client of the edge has gone. */
  drained(): Promise<void>;
}

export async function drain(edges: Drainable[], core: Core, graceMs: number, log: Logger): Promise<void> {
  const clients = edges.reduce((n, e) => n + e.size, 0);
  log.info({ clients, graceMs }, 'draining');
  core.broadcastLocal({ event: 'server-shutdown', data: { graceMs } });
  if (clients === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const over = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log.warn({ clients: edges.reduce((n, e) => n + e.size, 0) }, 'grace period over; closing the rest');
      resolve();
    }, graceMs);
  });
  await Promise.race([Promise.all(edges.map((e) => e.drained())), over]);
  clearTimeout(timer);
}
