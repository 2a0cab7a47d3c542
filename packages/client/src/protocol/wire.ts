/**
 * The `/v1` WebSocket wire format (docs/protocol.md): text frames, one JSON object each. The same
 * events, payloads and results as on socket.io, framed by hand so the hot path is one parse and
 * one write.
 */
import type { ErrorCode, Result } from './errors.js';

/** Where the native WebSocket edge listens, on the same port as everything else. */
export const V1_PATH = '/v1';

/** Offered with a token that cannot go on the URL: `["tsunagu.v1", "tsunagu.token.<jwt>"]`. */
export const V1_SUBPROTOCOL = 'tsunagu.v1';
export const V1_TOKEN_SUBPROTOCOL_PREFIX = 'tsunagu.token.';

/** Close codes of `/v1`: 4001's reason is the refusal's error code (`unauthorized`, `shutting-down`, …). */
export const V1_CLOSE = {
  normal: 1000,
  /** Server shutdown after the grace (a `server-shutdown` event came first). */
  goingAway: 1001,
  refused: 4001,
  /** An operator removed the member. */
  removed: 4002,
  /** The client read too slowly and its outbound buffer overflowed. */
  slowConsumer: 4008,
} as const;

/** client → server. `ack` (a positive integer) asks for an answer frame with the same number. */
export interface V1Request {
  event: string;
  data?: unknown;
  ack?: number;
}

/** server → client, an event. `seq` ≥ 1 for numbered events (kept for a resume), 0 otherwise. */
export interface V1Event {
  event: string;
  data: unknown;
  seq: number;
}

/** server → client, the answer to the request whose `ack` it repeats. */
export interface V1Answer {
  ack: number;
  data: Result;
}

/** The first frame after the upgrade. */
export interface V1Welcome {
  /** The session id: a fresh one, or the resumed session's own. */
  id: string;
  /** False on a resume attempt that was refused: a fresh session, which joins again. */
  resumed: boolean;
  /** How often a client that cannot see WebSocket pings (a browser) sends `ping` to notice a dead link. */
  pingIntervalMs: number;
}

/** The refusal frame sent before a close with code 4001. */
export interface V1Refusal {
  code: ErrorCode;
  message: string;
  event: 'connect';
}
