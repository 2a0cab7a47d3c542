/** Error codes of protocol v1: errors are data, and these codes are the stable part of them. */

/** Every code the server may answer with, and what it means (rendered into docs/protocol.md). */
export const errorCodes = {
  'bad-request':
    'The payload does not match the schema of the event (wrong shape, type, missing field or oversized value).',
  'unknown-event': 'The server has no event of that name.',
  'not-in-room': 'The event needs a joined room and the socket is in none.',
  'peer-not-found': "The target peer is not in the sender's room.",
  'room-full': 'The room already holds the most peers allowed (`--max-peers-per-room`).',
  'payload-too-large': 'The message is larger than the server accepts (`--max-payload`); it was dropped.',
  'rate-limited': 'The socket sent events faster than allowed (`--rate-limit`, `--rate-burst`); the event was dropped.',
  unauthorized: 'No valid token: missing, malformed, wrongly signed, expired or not yet valid (`--auth token`).',
  forbidden: 'The token does not allow this room.',
  'id-taken': 'The PeerJS id is held by another peer, under another token (PeerJS endpoint: `ID-TAKEN`).',
  'too-many-connections': 'The server or this address already holds the most connections allowed.',
  'too-many-rooms': 'The server already holds the most rooms allowed (`--max-rooms`).',
  'shutting-down': 'The server is draining for shutdown; connect again (a load balancer sends you elsewhere).',
  overloaded:
    'The node is over its memory budget (bytes queued for clients, or heap): it takes no new joins for now (its /readyz answers 503). Retry shortly, or through the load balancer.',
  'not-found': 'The server API: no such room, or no such member in it.',
  internal: 'The server failed while handling the event; the event had no effect.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface ProtocolError {
  code: ErrorCode;
  message: string;
}

/** What every acknowledgement carries: the result, or an error and nothing else. */
export type Result<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ProtocolError };

export function protocolError(code: ErrorCode, message: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: { code, message } };
}
