/**
 * Registers an event handler behind its schema: the payload is parsed before the handler sees it,
 * and whatever happens, the sender gets one answer (its ack, or an `error` event without one).
 */
import type { z } from 'zod';
import { protocolError, type ErrorCode, type Result } from '../protocol/index.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { IoSocket } from './types.js';

/** What every handler of one socket shares. */
export interface HandlerContext {
  socket: IoSocket;
  log: Logger;
  metrics: Metrics;
}

type Handler<P, R extends object> = (payload: P) => Result<R> | Promise<Result<R>>;
type AckFn = (result: unknown) => void;

/** Shared, frozen: the hot path answers without allocating. */
export const OK = Object.freeze({ ok: true as const });

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'payload'}: ${issue.message}`)
    .join('; ');
}

/** Sends an error to a client: through its ack when it gave one, else as an `error` event. */
export function sendError(ctx: HandlerContext, event: string, code: ErrorCode, message: string, ack?: AckFn): void {
  const { socket, log, metrics } = ctx;
  metrics.error(code);
  log.debug({ socket: socket.id, room: socket.data.room, event, code }, 'rejected');
  const error = protocolError(code, message);
  if (ack) ack(error);
  else socket.emit('error', { ...error.error, event });
}

export function handle<S extends z.ZodType, R extends object>(
  ctx: HandlerContext,
  event: string,
  schema: S,
  handler: Handler<z.infer<S>, R>,
): void {
  const { socket, log, metrics } = ctx;
  const reply = (result: Result<R>, ack: AckFn | undefined, started: number): void => {
    if (result.ok) ack?.(result);
    else sendError(ctx, event, result.error.code, result.error.message, ack);
    metrics.observe(event, (performance.now() - started) / 1000);
  };
  const fail = (err: unknown, ack: AckFn | undefined, started: number): void => {
    log.error({ socket: socket.id, room: socket.data.room, event, err }, 'handler failed');
    reply(protocolError('internal', `${event} failed on the server`), ack, started);
  };

  // socket.io types listeners by the event map; this one takes whatever arrives and checks it.
  (socket as unknown as { on(event: string, fn: (...args: unknown[]) => void): void }).on(event, (...args) => {
    const started = performance.now();
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as AckFn) : undefined;
    const parsed = schema.safeParse(args[0]);
    if (!parsed.success) {
      reply(protocolError('bad-request', `${event}: ${describeIssues(parsed.error)}`), ack, started);
      return;
    }
    try {
      const result = handler(parsed.data);
      if (result instanceof Promise) {
        result.then(
          (r) => reply(r, ack, started),
          (err: unknown) => fail(err, ack, started),
        );
      } else reply(result, ack, started);
    } catch (err) {
      fail(err, ack, started);
    }
  });
}
