/**
 * A session: one client as the core knows it, connected or away, whatever edge it came through.
 * Every event sent to it is numbered (`seq`) and kept in a small ledger until it cannot have been
 * missed, so a client that comes back says the last number it saw and gets what followed — or is
 * refused, never resumed with a silent gap.
 *
 * What is kept is bounded three ways, since other clients choose what it is: at most
 * `KEPT_EVENTS` events, at most `KEPT_BYTES_PER_SESSION` of them, and at most
 * `KEPT_BYTES_PER_ADDRESS` for all sessions of one client address together (`KeptBudget`); the
 * oldest go first. The core also lets go of anything older than the resume window (`forget`), and
 * a session that cannot resume keeps nothing.
 */
import type { Identity } from '../../protocol/index.js';

/** An event for one client, as the core hands it to an edge. */
export interface Outbound {
  event: string;
  /** The payload; for a signal `{ from, data }`. */
  data: unknown;
  /**
   * For a signal: its data as the text its sender wrote, relayed without a second stringify; then
   * `data` is `{ from }` alone (the parsed value is not kept alive by the ledger).
   */
  text?: string;
  /** Its size as kept (`approxBytes`), measured once for every session it goes to. */
  bytes?: number;
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

/** Events kept per session: more than a newcomer to a full room is sent at once (~20), little memory. A power of two (the ledger is a ring). */
export const KEPT_EVENTS = 32;
/** Bytes kept per session: 32 offers of ~8 KB; not 32 frames of the 64 KB any client may send. */
export const KEPT_BYTES_PER_SESSION = 256 * 1024;
/**
 * Bytes kept for all sessions of one client address: 16 sessions' worth, so one address opening
 * (and dropping) connections to have others' messages kept for them holds a few MB, not hundreds.
 */
export const KEPT_BYTES_PER_ADDRESS = 16 * KEPT_BYTES_PER_SESSION;

/**
 * About how many bytes `value` takes as JSON, stopping once past `limit`: strings by their length,
 * anything else a few bytes. An explicit stack, as the value came from a client (decoders already
 * refuse what nests deeper than `MAX_NESTING_DEPTH`).
 */
export function approxBytes(value: unknown, limit = Infinity): number {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && bytes <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') bytes += v.length + 2;
    else if (typeof v !== 'object' || v === null) bytes += 8;
    else if (ArrayBuffer.isView(v)) bytes += v.byteLength;
    else if (v instanceof ArrayBuffer) bytes += v.byteLength;
    else if (Array.isArray(v)) {
      bytes += 2;
      for (const item of v) stack.push(item);
    } else {
      bytes += 2;
      for (const [key, item] of Object.entries(v)) {
        bytes += key.length + 4;
        stack.push(item);
      }
    }
  }
  return bytes;
}

/** Bytes kept per client address, across the sessions of one core. */
export class KeptBudget {
  readonly #byAddress = new Map<string, number>();

  constructor(
    readonly perSession = KEPT_BYTES_PER_SESSION,
    readonly perAddress = KEPT_BYTES_PER_ADDRESS,
  ) {}

  held(address: string): number {
    return this.#byAddress.get(address) ?? 0;
  }

  /** Adds `bytes` (negative: lets go of them) to what `address` holds; what it holds now. */
  add(address: string, bytes: number): number {
    const total = this.held(address) + bytes;
    if (total <= 0) this.#byAddress.delete(address);
    else this.#byAddress.set(address, total);
    return Math.max(0, total);
  }
}

/** A budget for sessions created without one (tests, tools): the per-session bounds only. */
const UNSHARED = () => new KeptBudget();

/** The room a session belongs to for the classic relay when it joined none: its lobby. */
export const LOBBY = '#lobby';

/**
 * The lobby of a client with `identity`: in token mode one per room claim, so tenants never share
 * one (a room name cannot hold `#`); the one open lobby otherwise.
 */
export const lobbyOf = (identity: Identity | null): string => (identity ? `${LOBBY}:${identity.room}` : LOBBY);

/** Whether a group is a lobby (and not a room). */
export const isLobby = (group: string): boolean => group.startsWith(LOBBY);

export class Session {
  /**
   * The ledger: numbered events in a ring, oldest at `#head`, at most `KEPT_EVENTS`. A ring, so
   * that keeping one more and letting the oldest go — what every relayed signal does once the
   * ledger is full — moves nothing; it starts small and grows to its bound (idle sessions are many).
   */
  #ring: Array<Numbered | undefined> = [];
  #head = 0;
  #count = 0;
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
  /** Whether events are kept at all: not when its client could never resume (no window, old protocol). */
  keeps = true;
  /** Bytes of the kept events, as `approxBytes` counts them. */
  keptBytes = 0;
  #stamp: { readonly from: string } | null = null;

  constructor(
    readonly id: string,
    link: Link,
    readonly identity: Identity | null,
    /** The client's address, as admission counted it. */
    readonly address: string,
    /** Shared by a core's sessions: the per-address bound. */
    readonly budget: KeptBudget = UNSHARED(),
  ) {
    this.link = link;
  }

  get away(): boolean {
    return this.link === null && !this.ended;
  }

  /** The group the classic relay's `message` reaches: the room, or the lobby. */
  get group(): string {
    return this.room ?? this.lobby;
  }

  /** Its lobby (`lobbyOf`): where it is while in no room. */
  get lobby(): string {
    return lobbyOf(this.identity);
  }

  /**
   * `{ from: id }`, the data of every signal it sends as text (`Outbound.text`): one object per
   * session, shared by all of them, not one per signal.
   */
  get stamp(): { readonly from: string } {
    return (this.#stamp ??= Object.freeze({ from: this.id }));
  }

  /** The kept events, oldest first (a copy). */
  get kept(): Numbered[] {
    return this.#from(0);
  }

  /** Numbers `event`, keeps it, and writes it if connected. */
  push(event: Outbound, now: number): void {
    if (this.ended) return;
    // Measured once per event, whatever number of sessions it fans out to.
    if (this.keeps && event.bytes === undefined) {
      event.bytes = event.text !== undefined ? event.text.length + 64 : approxBytes(event.data, this.budget.perSession);
    }
    // Every field in one literal: one shape for every event, nothing added to it afterwards.
    const numbered: Numbered = {
      event: event.event,
      data: event.data,
      seq: ++this.seq,
      at: now,
      text: event.text,
      bytes: event.bytes,
    };
    if (this.keeps) this.keep(numbered);
    this.link?.write(numbered);
  }

  /**
   * Keeps `numbered` (its `bytes` set), then lets the oldest go until every bound holds — this
   * one too, if it alone is too much: then a resume from before it is refused, never gapped.
   */
  keep(numbered: Numbered): void {
    const bytes = (numbered.bytes ??= approxBytes(numbered.data, this.budget.perSession));
    if (this.#count === KEPT_EVENTS) this.#let(1);
    if (this.#count === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#count) & (this.#ring.length - 1)] = numbered;
    this.#count++;
    this.keptBytes += bytes;
    let held = this.budget.add(this.address, bytes);
    while (this.#count > 0 && (this.keptBytes > this.budget.perSession || held > this.budget.perAddress)) {
      held -= this.#let(1);
    }
  }

  /** Twice the room, up to `KEPT_EVENTS` (a power of two, so an index wraps with a mask). */
  #grow(): void {
    const ring = new Array<Numbered | undefined>(Math.min(KEPT_EVENTS, Math.max(4, this.#ring.length * 2)));
    for (let i = 0; i < this.#count; i++) ring[i] = this.#at(i);
    this.#ring = ring;
    this.#head = 0;
  }

  /** The `i`th kept event, oldest first. */
  #at(i: number): Numbered {
    return this.#ring[(this.#head + i) & (this.#ring.length - 1)]!;
  }

  /** Kept events from the `i`th on, oldest first. */
  #from(i: number): Numbered[] {
    const out: Numbered[] = [];
    for (; i < this.#count; i++) out.push(this.#at(i));
    return out;
  }

  /** Lets go of the oldest `n` kept events; the bytes they took. */
  #let(n: number): number {
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const slot = this.#head;
      bytes += this.#ring[slot]!.bytes ?? 0;
      this.#ring[slot] = undefined;
      this.#head = (slot + 1) & (this.#ring.length - 1);
    }
    this.#count -= n;
    this.keptBytes -= bytes;
    this.budget.add(this.address, -bytes);
    return bytes;
  }

  /** Lets go of everything kept (the session is over, or moved to another node). */
  clear(): void {
    this.#let(this.#count);
    this.#ring = [];
    this.#head = 0;
  }

  /**
   * The events after `seen`, for a client coming back; null when some of them are no longer kept
   * (or `seen` is no number this session gave), so the client starts afresh instead.
   */
  after(seen: number): Numbered[] | null {
    if (!Number.isSafeInteger(seen) || seen < 0 || seen > this.seq) return null;
    const first = this.seq - this.#count + 1;
    if (seen + 1 < first) return null;
    return this.#from(seen + 1 - first);
  }

  /** Lets go of kept events older than `before`: written long enough ago to have been received. */
  forget(before: number): void {
    let n = 0;
    while (n < this.#count && this.#at(n).at < before) n++;
    if (n > 0) this.#let(n);
  }
}
