/**
 * A session: one client as the core knows it, connected or away, whatever edge it came through.
 * Every event sent to it is numbered (`seq`) and kept in a small ledger until it cannot have been
 * missed, so a client that comes back says the last number it saw and gets what followed — or is
 * refused, never resumed with a silent gap.
 */
import type { Identity } from '../../protocol/index.js';

/** An event for one client, as the core hands it to an edge. */
export interface Outbound {
  event: string;
  /** The payload; for a signal `{ from, data }`. */
  data: unknown;
  /**
   * For a signal: its data as the text its sender wrote, relayed without a second stringify; then
   * `data` is `{ from, data }`, or `{ from }` alone when it came as text from another node.
   */
  text?: string;
}

/**
 * The payload as a client receives it. A signal that carries its data as text (`text`) has only
 * `from` in `data` when it came from another node: the text is parsed here, for a replay.
 */
export function payloadOf(event: Outbound): unknown {
  if (event.text === undefined) return event.data;
  const { from } = event.data as { from: string };
  return { from, data: JSON.parse(event.text) as unknown };
}

/** A numbered event, as written and as kept. */
export interface Numbered extends Outbound {
  seq: number;
  /** When it was written (coarse clock, ms): kept only as long as a dead link can go unnoticed. */
  at: number;
}

/** One live connection of an edge. The core writes to it and may close it; the edge translates. */
export interface Link {
  /** The edge it came through, for the metrics' `protocol` label. */
  readonly edge?: 'socketio' | 'v1';
  /** Writes one numbered event to the client. */
  write(event: Numbered): void;
  /** Closes the connection (the edge reports the close back as a drop). */
  close(reason: string): void;
}

/** Events kept per session: more than a newcomer to a full room is sent at once (~20), little memory. */
export const KEPT_EVENTS = 32;

/** The room a session belongs to for the classic relay when it joined none: its lobby. */
export const LOBBY = '#lobby';

export class Session {
  /** Numbered events, oldest first, the last `KEPT_EVENTS` at most. */
  readonly kept: Numbered[] = [];
  seq = 0;
  /** Joined room, or null (then it is in the lobby of the classic relay). */
  room: string | null = null;
  name: string | null = null;
  /** When it joined its room (ms since the epoch). */
  joinedAt = 0;
  /** Null while away (its link dropped and it may come back). */
  link: Link | null;
  /** The secret a client proves to take the session back (socket.io's private session id). */
  secret: string | null = null;
  awayTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set once the session is over: nothing is written to it any more. */
  ended = false;

  constructor(
    readonly id: string,
    link: Link,
    readonly identity: Identity | null,
    /** The client's address, as admission counted it. */
    readonly address: string,
  ) {
    this.link = link;
  }

  get away(): boolean {
    return this.link === null && !this.ended;
  }

  /** The group the classic relay's `message` reaches: the room, or the lobby. */
  get group(): string {
    return this.room ?? LOBBY;
  }

  /** Numbers `event`, keeps it, and writes it if connected. */
  push(event: Outbound, now: number): void {
    if (this.ended) return;
    const numbered: Numbered = { event: event.event, data: event.data, seq: ++this.seq, at: now };
    if (event.text !== undefined) numbered.text = event.text;
    if (this.kept.push(numbered) > KEPT_EVENTS) this.kept.shift();
    this.link?.write(numbered);
  }

  /**
   * The events after `seen`, for a client coming back; null when some of them are no longer kept
   * (or `seen` is no number this session gave), so the client starts afresh instead.
   */
  after(seen: number): Numbered[] | null {
    if (!Number.isSafeInteger(seen) || seen < 0 || seen > this.seq) return null;
    const first = this.seq - this.kept.length + 1;
    if (seen + 1 < first) return null;
    return this.kept.slice(seen + 1 - first);
  }

  /** Lets go of kept events older than `before`: written long enough ago to have been received. */
  forget(before: number): void {
    let n = 0;
    while (n < this.kept.length && this.kept[n].at < before) n++;
    if (n > 0) this.kept.splice(0, n);
  }
}
