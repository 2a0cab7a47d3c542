/**
 * The seam between `SignalingClient` and a wire: a Transport makes one link at a time and carries
 * frames over it; everything else (acks and their timeouts, the lifecycle, reconnecting with
 * backoff, resume bookkeeping, rejoining) is the client's, written once for every wire.
 */
import type { ProtocolError, Result } from './protocol/errors.js';

/** What the client knows for a resume: the session, the last numbered event seen, the secret. */
export interface ResumeTicket {
  session: string;
  seq: number;
  secret: string;
}

/** How a link ended. */
export interface LinkClosed {
  /** The server refused the link with a code (`unauthorized`, `shutting-down`, …): close code 4001 on `/v1`. */
  refusal?: ProtocolError;
  /** The server removed this member for good (close code 4002 on `/v1`, a server-side disconnect on socket.io). */
  removed?: boolean;
  /** For the state change's reason, e.g. `closed 1006`, `transport close`. */
  detail: string;
}

export interface LinkHandlers {
  /** The link is up under session `id`; `resumed`: the server kept the session, missed events follow. */
  open(id: string, resumed: boolean): void;
  /** A server event; `seq` ≥ 1 for a numbered event on `/v1`, 0 otherwise (and always 0 on socket.io). */
  event(name: string, data: unknown, seq: number): void;
  /** The link is gone (or never came up); called once per `connect()`. */
  closed(info: LinkClosed): void;
}

export interface ConnectOptions {
  token: string | undefined;
  /** Present once a join ack gave a secret: the transport asks the server to resume that session. */
  resume: ResumeTicket | undefined;
}

export interface Transport {
  readonly name: 'v1' | 'socket.io';
  /** Makes one link; reports through `handlers`. A previous link is closed first. */
  connect(options: ConnectOptions, handlers: LinkHandlers): void;
  /** Writes one event on the open link; `ack` gets the server's answer, if it ever comes. */
  emit(event: string, data: unknown, ack?: (result: Result) => void): void;
  /**
   * Ends the link. `leaving`: on purpose (the page goes, the client closes), not a blip the others
   * should wait for; otherwise it ends as a network failure would, and the session may resume.
   * `closed` is not called for a link ended this way.
   */
  disconnect(leaving: boolean): void;
}
