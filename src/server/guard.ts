/**
 * The per-socket gate every inbound event passes before its handler: known event, within the
 * socket's rate, within the payload limit. A refused event is answered and dropped, nothing more.
 */
import type { Config } from './config.js';
import { sendError, type HandlerContext } from './handle.js';
import { TokenBucket } from './limits.js';

export function guard(
  ctx: HandlerContext,
  known: ReadonlySet<string>,
  config: Pick<Config, 'rateLimit' | 'rateBurst' | 'maxPayload'>,
): void {
  const { socket } = ctx;
  const bucket = new TokenBucket(config.rateLimit, config.rateBurst);
  // engine.io hands us each raw packet just before socket.io decodes it, so its size is known
  // before the event is dispatched, without re-serialising the payload.
  let lastPacketSize = 0;
  socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
    if (packet.type === 'message') {
      const data = packet.data as string | Buffer | undefined;
      lastPacketSize = typeof data === 'string' ? Buffer.byteLength(data) : (data?.length ?? 0);
    }
  });

  socket.use((packet, next) => {
    const [event] = packet;
    const last: unknown = packet[packet.length - 1];
    const ack = typeof last === 'function' ? (last as (r: unknown) => void) : undefined;
    const name = String(event).slice(0, 64);
    if (typeof event !== 'string' || !known.has(event)) {
      return sendError(ctx, name, 'unknown-event', `unknown event '${name}'`, ack);
    }
    if (!bucket.take()) {
      return sendError(ctx, name, 'rate-limited', `${name}: more than ${config.rateLimit} events/s`, ack);
    }
    if (lastPacketSize > config.maxPayload) {
      return sendError(ctx, name, 'payload-too-large', `${name}: ${lastPacketSize} bytes > ${config.maxPayload}`, ack);
    }
    next();
  });
}
