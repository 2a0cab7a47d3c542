/**
 * Protocol v1 over a plain WebSocket (`/v1`): the same events, payloads, answers and errors as over
 * socket.io, framed as one JSON object per text frame. See docs/protocol.md for an example exchange.
 */
import type { ErrorCode, ProtocolError, Result } from './errors.js';

/** The endpoint's path, on the server's one port. */
export const V1_PATH = '/v1';
/** The subprotocol a client may offer; the server picks it. */
export const V1_SUBPROTOCOL = 'tsunagu.v1';
/**
 * Offered as a second subprotocol, `tsunagu.token.<jwt>` carries the token for clients that cannot
 * put it on the URL (so it stays out of access logs).
 */
export const V1_TOKEN_SUBPROTOCOL_PREFIX = 'tsunagu.token.';

/** Keep-alive: the server pings this often, and a client may send `ping` as often to notice a dead link. */
export const V1_PING_INTERVAL_MS = 25_000;
/** A ping not answered within this much more means the link is dead (socket.io's defaults). */
export const V1_PING_TIMEOUT_MS = 20_000;

/**
 * Close codes the server uses (the reason is always the error code): a browser sees these even
 * where it cannot see an HTTP status.
 */
export const V1_CLOSE = {
  /** Refused at connect: reason `unauthorized`, `forbidden`, `too-many-connections`, `shutting-down`, … */
  refused: 4001,
  /** Removed by an operator: reason `removed`; not resumable. */
  removed: 4002,
  /** Could not keep up with what was sent to it: reason `slow-consumer`. */
  slowConsumer: 4008,
} as const;

/** client → server. `ack`: a positive integer the answer will carry. */
export interface V1Request {
  event: string;
  data?: unknown;
  ack?: number;
}

/** server → client: an event. `seq` ≥ 1 is the session's event number; 0 = not numbered. */
export interface V1Event {
  event: string;
  data: unknown;
  seq: number;
}

/** server → client: the answer to a request that carried `ack`. */
export interface V1Answer {
  ack: number;
  data: Result;
}

/** The first frame of every connection. */
export interface V1Welcome {
  /** The session's id (the join ack's `self.id`). */
  id: string;
  /** True when the connection took back the session asked for; false = a fresh session (join again). */
  resumed: boolean;
  pingIntervalMs: number;
}

/** A refusal at connect, sent as an `error` event just before the close. */
export interface V1Refusal extends ProtocolError {
  code: ErrorCode;
  event: 'connect';
}
