/**
 * The last line of defence of a `tsunagu` process: an error that escaped every handler is logged
 * and counted (`tsunagu_unexpected_errors_total`) instead of ending the process with every
 * client's connection, when a client's data is what could have caused it.
 *
 * Data-caused errors are what one client can trigger at will: a stack overflow or an oversized
 * string (`RangeError`) from a recursive encoder, a `SyntaxError` from parsing what it sent. The
 * edges refuse such data where it is decoded (`tooDeep` in core/gate.ts) and guard their encodes;
 * this catches what a dependency's code path (socket.io's, ws's) might still let through. A
 * rejected promise is one asynchronous task failing, never the process's state: always survived.
 * Any other uncaught exception is a bug whose effects are unknown, and ends the process as Node
 * would (the supervisor restarts it) — after saying so in the log.
 */
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Errors a client's data can cause; surviving them leaves no state half-changed. */
export const clientCaused = (err: unknown): boolean => err instanceof RangeError || err instanceof SyntaxError;

/**
 * Installs the guard on this process; returns its removal. Only the process's owner (the CLI)
 * installs it: a program embedding `createServer` keeps its own policy.
 * @example
 * const server = await createServer(config);
 * guardProcess(server.log, server.metrics);
 */
export function guardProcess(log: Logger, metrics: Metrics): () => void {
  const onException = (err: unknown) => {
    if (!clientCaused(err)) {
      log.fatal({ err }, 'uncaught exception: exiting');
      process.exit(1);
    }
    metrics.unexpected('uncaught');
    log.error({ err }, 'uncaught exception survived');
  };
  const onRejection = (err: unknown) => {
    metrics.unexpected('unhandled-rejection');
    log.error({ err }, 'unhandled rejection survived');
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
