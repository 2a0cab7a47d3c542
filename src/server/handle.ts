/**
 * Registers an event handler behind its schema: the payload is parsed before the handler sees it,
 * and whatever happens, the sender gets one answer (its ack, or an `error` event without one).
 */
import type { z } from 'zod';
import { protocolError, type Result } from '../protocol/index.js';
import type { Logger } from './logger.js';
import type { IoSocket } from './types.js';

type Handler<P, R extends object> = (payload: P) => Result<R> | Promise<Result<R>>;

/** Shared, frozen: the hot path answers without allocating. */
export const OK = Object.freeze({ ok: true as const });

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'payload'}: ${issue.message}`)
    .join('; ');
}

export function handle<S extends z.ZodType, R extends object>(
  socket: IoSocket,
  log: Logger,
  event: string,
  schema: S,
  handler: Handler<z.infer<S>, R>,
): void {
  const reply = (result: Result<R>, ack: ((r: Result<R>) => void) | undefined): void => {
    if (!result.ok)
      log.debug({ socket: socket.id, room: socket.data.room, event, code: result.error.code }, 'rejected');
    if (ack) ack(result);
    else if (!result.ok) socket.emit('error', { ...result.error, event });
  };
  const fail = (err: unknown, ack: ((r: Result<R>) => void) | undefined): void => {
    log.error({ socket: socket.id, room: socket.data.room, event, err }, 'handler failed');
    reply(protocolError('internal', `${event} failed on the server`), ack);
  };

  // socket.io types listeners by the event map; this one takes whatever arrives and checks it.
  (socket as unknown as { on(event: string, fn: (...args: unknown[]) => void): void }).on(event, (...args) => {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (r: Result<R>) => void) : undefined;
    const parsed = schema.safeParse(args[0]);
    if (!parsed.success) {
      reply(protocolError('bad-request', `${event}: ${describeIssues(parsed.error)}`), ack);
      return;
    }
    try {
      const result = handler(parsed.data);
      if (result instanceof Promise)
        result.then(
          (r) => reply(r, ack),
          (err: unknown) => fail(err, ack),
        );
      else reply(result, ack);
    } catch (err) {
      fail(err, ack);
    }
  });
}

/** Answers events the protocol does not have with `unknown-event`, instead of dropping them silently. */
export function rejectUnknownEvents(socket: IoSocket, known: ReadonlySet<string>): void {
  socket.use((packet, next) => {
    const [event] = packet;
    if (typeof event === 'string' && known.has(event)) return next();
    const last: unknown = packet[packet.length - 1];
    const error = protocolError('unknown-event', `unknown event '${String(event).slice(0, 64)}'`);
    if (typeof last === 'function') (last as (r: unknown) => void)(error);
    else socket.emit('error', { ...error.error, event: String(event).slice(0, 64) });
  });
}
