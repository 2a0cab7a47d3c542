/**
 * Nothing lost on a reconnect, without socket.io's packet log on the hot path.
 *
 * socket.io's connection-state recovery sends every emit through the adapter so that it can be
 * kept for the resume window: in memory, a log of every packet held up to a minute and a half (under
 * load, most of the garbage collector's work); with Redis, one XADD per packet, even between two
 * sockets of one node. Signals are most of the traffic, so they take another road: written straight
 * to the target's connection and kept in a small ledger on its socket — the last `KEPT_SIGNALS`, for
 * as long as a dead link can go unnoticed. Everything else (presence, classic messages, signals to a
 * peer that is away or on another node) still goes through socket.io's log, which is the right place
 * for a few packets.
 *
 * Clients need nothing new: socket.io's client already reports the last offset it saw — the string
 * ending each logged packet — when it comes back. A kept signal ends with `<base>~<seq>`: `seq`
 * numbers the signals written to this socket, and `base` is a logged offset such that everything
 * logged for the socket before it had already been written to it. On a resume socket.io restores
 * from the base (its missed packets), and the kept signals after `seq` follow them. A client whose
 * last packet was a logged one is placed by the ledger's marks: the seq at which each logged packet
 * reached it.
 *
 * The ledger travels in the session socket.io persists when the link drops (in memory, or in Redis
 * in a cluster), so a client may come back on any node. A link that dies with more signals in flight
 * than are kept is not resumed: the client starts a new session (the SDK rejoins), and never carries
 * on with a silent gap.
 *
 * One more thing socket.io alone cannot do: resume a client whose last packet its log has let go of
 * (a peer of a quiet call whose link blips). When a link drops, a hint beside the session says
 * whether the client had everything written to it, with a seed planted at that moment; such a
 * client resumes from the seed.
 */
import type { SignalEvent } from '../protocol/index.js';
import type { RedisClient } from './capacity.js';
import { encodeSignal } from './parser.js';
import type { IoServer, IoSocket } from './types.js';

/** Signals kept per socket: more than a newcomer to a full room is sent at once (~20), little memory per peer. */
export const KEPT_SIGNALS = 32;
/** Logged packets remembered per socket, to place a client whose last packet was one of them. */
const KEPT_MARKS = 64;
/** A room nobody joins: the seeds broadcast to it give every signal a recent base. */
const SEED_ROOM = 'tsunagu:seed';
const LEDGER = Symbol('tsunagu.ledger');

/** What a socket was sent, as far as a resume needs to know. Plain data: it is persisted with the session. */
interface Ledger {
  /** The last signal's seq. */
  seq: number;
  /**
   * The last signals, oldest first, up to `seq`: each as encoded for the wire (see `keep`), or as
   * its packet data (`['signal', payload, '<base>~<seq>']`) if it carried binary.
   */
  kept: Kept[];
  /** When the last signal was written (a coarse clock): an idle ledger lets its signals go. */
  touched: number;
  /** Logged packets that reached the socket since its first signal, with the seq of the last signal before each. */
  marks: Array<{ offset: string; seq: number }>;
  /** Marks were let go: a client whose last packet is not among them cannot be placed. */
  marksDropped: boolean;
  /** The last logged packet written to the socket… */
  last: string;
  /** …the same, when the link dropped (set in the persisted copy)… */
  awayFrom?: string;
  /** …and when, on this node's clock of logged packets (not persisted). */
  lastTick?: number;
}

type Kept = string | Uint8Array | unknown[];
type Ledgered = { [LEDGER]?: Ledger };
type Session = { sid: string; pid: string; rooms: string[]; data: Record<string, unknown> };
type RestoredSession = Session & { missedPackets: unknown[][] };
/** socket.io's adapter methods this module wraps; the in-memory one and Redis streams both have them. */
interface SessionAdapter {
  broadcast(packet: { type: number; data: unknown[] }, opts: object): unknown;
  persistSession(session: Session): unknown;
  restoreSession(pid: string, offset: string): Promise<RestoredSession | null> | RestoredSession | null;
}
/**
 * socket.io's write of encoded packets to one connection: what its adapters use to deliver a
 * broadcast, so part of the contract between socket.io and every adapter.
 */
type Writer = { client: { writeToEngine(encoded: unknown[], opts: { preEncoded: true }): void } };
const PRE_ENCODED = { preEncoded: true } as const;

/**
 * Encoded signals at least this long are kept as a copy outside the JavaScript heap. Kept signals
 * outlive the young generation under load, and a 4 KB description copied from space to space, then
 * swept from the old one, was a tenth of the CPU under the call-rate load; a buffer's bytes are
 * never copied by the collector. A shorter one (a candidate) is kept as the string already encoded:
 * copying it costs the collector less than the ~0.8 µs a buffer of its own costs to make.
 */
const OUT_OF_HEAP_FROM = 1024;

/** A kept signal as encoded for the wire: the string itself, or its bytes outside the heap. */
function keep(encoded: string): string | Uint8Array {
  if (encoded.length < OUT_OF_HEAP_FROM) return encoded;
  // Not from Node's shared pool: one small kept slice would pin a whole 8 KB slab.
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(encoded));
  bytes.write(encoded);
  return bytes;
}

/** A kept signal as socket.io's replay takes it: the packet's data. */
function dataOf(kept: Kept): unknown[] {
  if (Array.isArray(kept)) return kept;
  const text = typeof kept === 'string' ? kept.slice(1) : Buffer.from(kept).toString('utf8', 1);
  return JSON.parse(text) as unknown[];
}

export interface Resume {
  /**
   * Writes a signal to a connected socket of this node, and keeps it until it cannot be missed.
   * `dataText`: `signal.data` as its sender wrote it, if known (parser.ts).
   */
  deliver(socket: IoSocket, signal: SignalEvent, dataText?: string): void;
  /** A new connection: what is logged for it is noted; a resumed one takes its ledger back. */
  attach(socket: IoSocket): void;
  close(): void;
}

const fresh = (last: string): Ledger => ({ seq: 0, kept: [], touched: 0, marks: [], marksDropped: false, last });
/** The seq of the first kept signal. */
const firstKept = (ledger: Ledger) => ledger.seq - ledger.kept.length + 1;

const offsetOf = (packet: unknown[]): string | undefined => {
  const last = packet[packet.length - 1];
  return typeof last === 'string' ? last : undefined;
};

/**
 * What a resumed client is sent, in the order it would have had it: the kept signals after `seen`,
 * and socket.io's missed packets — those written while the link was up (placed among the signals
 * by their marks), then those logged while it was away. Fills `next`, the resumed socket's ledger:
 * the replayed signals are kept again and the replayed packets marked, in case this link drops too.
 */
function replay(ledger: Ledger, seen: number, missed: unknown[][], next: Ledger): unknown[][] {
  const position = new Map(ledger.marks.map((m) => [m.offset, m.seq]));
  // Up to the last packet written before the drop, the missed packets were sent while connected.
  const connected = ledger.awayFrom === undefined ? 0 : missed.findIndex((p) => offsetOf(p) === ledger.awayFrom) + 1;
  const out: unknown[][] = [];
  let at = seen;
  const send = (packet: unknown[]) => {
    out.push(packet);
    const offset = offsetOf(packet);
    if (offset === undefined) return;
    next.marks.push({ offset, seq: at });
    next.last = offset;
  };
  let j = 0;
  for (let seq = Math.max(seen + 1, firstKept(ledger)); seq <= ledger.seq; seq++) {
    // A packet marked at seq p was written after signal p, before signal p + 1.
    while (j < connected && (position.get(offsetOf(missed[j]) ?? '') ?? at) < seq) send(missed[j++]);
    const kept = ledger.kept[seq - firstKept(ledger)];
    next.kept.push(kept);
    out.push(dataOf(kept));
    at = seq;
  }
  while (j < missed.length) send(missed[j++]);
  if (next.marks.length > KEPT_MARKS) {
    next.marks.splice(0, next.marks.length - KEPT_MARKS);
    next.marksDropped = true;
  }
  return out;
}

/**
 * What a resume needs to know before it asks socket.io for the session: whether the client had
 * everything written to it when the link dropped, and a seed planted then. Such a client resumes
 * from that seed, however old its own last packet — socket.io's log lets go of packets after the
 * window, which would otherwise refuse a client of a quiet call (nothing received for a while)
 * whose link blips. Kept beside the session: in memory, or in Redis in a cluster.
 */
interface AwayHint {
  seed: string;
  /** The last logged packet written to the socket. */
  awayFrom: string;
  /** The seq of the last signal before the last logged packet written after the first signal (-1: none). */
  lastMark: number;
}
const HINT_KEY = 'tsunagu:away:';

function awayHints(redis: RedisClient | null, ttl: number) {
  if (redis) {
    return {
      put: (pid: string, hint: AwayHint) =>
        void redis.set(HINT_KEY + pid, JSON.stringify(hint), { PX: ttl }).catch(() => {}),
      take: async (pid: string): Promise<AwayHint | null> => {
        const raw = await redis.getDel(HINT_KEY + pid).catch(() => null);
        return typeof raw === 'string' ? (JSON.parse(raw) as AwayHint) : null;
      },
    };
  }
  const hints = new Map<string, AwayHint>();
  return {
    put(pid: string, hint: AwayHint) {
      hints.set(pid, hint);
      setTimeout(() => hints.delete(pid), ttl).unref();
    },
    take: async (pid: string) => {
      const hint = hints.get(pid) ?? null;
      hints.delete(pid);
      return hint;
    },
  };
}

/**
 * Sets the ledger up on `io` (after its adapter exists). `window` is the resume window (0: no
 * recovery, every emit is a direct write anyway); `unnoticed` how long a dead link can go unnoticed
 * (ping interval + ping timeout), which is how long a signal is kept.
 */
export async function setUpResume(
  io: IoServer,
  window: number,
  unnoticed: number,
  redis: RedisClient | null,
): Promise<Resume> {
  if (window === 0) {
    return {
      deliver(socket, signal, dataText) {
        (socket as unknown as Writer).client.writeToEngine(encodeSignal(io.encoder, signal, dataText), PRE_ENCODED);
      },
      attach() {},
      close() {},
    };
  }
  const adapter = io.of('/').adapter as unknown as SessionAdapter;
  const { encoder } = io;
  // A clock of logged packets, to tell whether a socket's last one or the latest seed is newer.
  let tick = 0;
  let seed = { offset: '', tick: 0 };
  /** Broadcasts a seed; resolves with its offset, which every later logged packet comes after. */
  const plant = async (): Promise<string> => {
    // Its place on the clock is where it was sent: whatever was logged before is before it.
    const at = ++tick;
    const packet = { type: 2, data: ['seed'] as unknown[] };
    await adapter.broadcast(packet, { rooms: new Set([SEED_ROOM]), except: new Set(), flags: {} });
    const offset = packet.data[packet.data.length - 1];
    // Without an offset (Redis unreachable) there is no seed; the previous one stays the base.
    if (packet.data.length === 1 || typeof offset !== 'string') throw new Error('seed not logged');
    if (at > seed.tick) seed = { offset, tick: at };
    return offset;
  };
  /**
   * A seed after the socket's last logged packet (`lastTick`): the one being planted if it was
   * started since, else a new one — links that drop together (a node shutting down) share a seed.
   */
  let planting: { startTick: number; offset: Promise<string> } | null = null;
  const seedAfter = (lastTick: number): Promise<string> => {
    if (planting === null || planting.startTick < lastTick) {
      const started = { startTick: tick + 1, offset: plant() };
      planting = started;
      started.offset
        .finally(() => {
          if (planting === started) planting = null;
        })
        .catch(() => {});
    }
    return planting.offset;
  };
  const hints = awayHints(redis, window);
  // The seed is renewed well within the window: the adapter's log lets go of older packets.
  await plant().catch(() => {});
  const timer = setInterval(() => void plant().catch(() => {}), Math.max(1_000, Math.min(window, 60_000) / 2));
  timer.unref();

  const ledgerOf = (socket: IoSocket): Ledger => {
    const holder = socket as unknown as Ledgered;
    return (holder[LEDGER] ??= fresh(''));
  };
  // A coarse clock is enough to tell an idle ledger, and costs the hot path nothing.
  let now = Date.now();
  const clock = setInterval(() => (now = Date.now()), 1_000);
  clock.unref();
  // Signals written longer ago than a dead link can go unnoticed have been received (or the drop
  // has been noticed and the ledger persisted): an idle ledger lets them go.
  const sweep = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      const ledger = (socket as unknown as Ledgered)[LEDGER];
      if (ledger && ledger.kept.length > 0 && now - ledger.touched > unnoticed) ledger.kept = [];
    }
  }, unnoticed);
  sweep.unref();

  /** Every logged packet written to a socket ends with its offset (shared by every socket). */
  function noteLogged(this: IoSocket, ...args: unknown[]): void {
    const offset = args[args.length - 1];
    if (typeof offset !== 'string') return;
    const ledger = ledgerOf(this);
    ledger.last = offset;
    ledger.lastTick = ++tick;
    // Before the first signal there is nothing to place a packet among: no mark needed.
    if (ledger.seq === 0) return;
    ledger.marks.push({ offset, seq: ledger.seq });
    if (ledger.marks.length > KEPT_MARKS) {
      ledger.marks.shift();
      ledger.marksDropped = true;
    }
  }

  const persist = adapter.persistSession.bind(adapter);
  adapter.persistSession = (session) => {
    const socket = io.of('/').sockets.get(session.sid) as Ledgered | undefined;
    const ledger = socket?.[LEDGER];
    if (!ledger) return persist(session);
    const carried: Ledger = { ...ledger, awayFrom: ledger.last, lastTick: undefined };
    const lastMark = ledger.marks[ledger.marks.length - 1]?.seq ?? -1;
    seedAfter(ledger.lastTick ?? 0).then(
      (offset) => hints.put(session.pid, { seed: offset, awayFrom: ledger.last, lastMark }),
      () => {}, // no hint: the client resumes from its own last packet, as socket.io would
    );
    return persist({ ...session, data: { ...session.data, ledger: carried } });
  };

  const restore = adapter.restoreSession.bind(adapter);
  adapter.restoreSession = async (pid, offset) => {
    const cut = offset.lastIndexOf('~');
    const hint = await hints.take(pid);
    // A client that had everything written to it resumes from the seed planted at the drop;
    // one that missed logged packets, from its own last packet.
    const caughtUp =
      hint !== null && (cut === -1 ? offset === hint.awayFrom : hint.lastMark < Number(offset.slice(cut + 1)));
    const base = caughtUp ? hint.seed : cut === -1 ? offset : offset.slice(0, cut);
    const session = await restore(pid, base);
    if (!session) return session;
    const { ledger: carried, ...data } = session.data as { ledger?: Ledger };
    const ledger = carried ?? fresh(base);
    // The seq of the last signal the client saw: in its offset, or from the marks.
    let seen: number;
    if (cut !== -1) seen = Number(offset.slice(cut + 1));
    else {
      const mark = ledger.marks.find((m) => m.offset === offset);
      if (mark === undefined && ledger.marksDropped) return null;
      seen = mark?.seq ?? 0;
    }
    if (!Number.isSafeInteger(seen) || seen < 0 || seen > ledger.seq) return null;
    // Signals the client did not see and no longer kept: refuse rather than resume with a gap.
    if (seen + 1 < firstKept(ledger)) return null;
    const next = fresh(base);
    next.seq = ledger.seq;
    next.touched = now;
    session.missedPackets = replay(ledger, seen, session.missedPackets, next);
    session.data = { ...data, ledger: next };
    return session;
  };

  return {
    deliver(socket, signal, dataText) {
      const ledger = ledgerOf(socket);
      const base = (ledger.lastTick ?? 0) > seed.tick ? ledger.last : seed.offset;
      const seq = ++ledger.seq;
      const offset = `${base}~${seq}`;
      const encoded = encodeSignal(encoder, signal, dataText, offset);
      ledger.touched = now;
      // With binary, the encoder's parts: kept as the packet's data, which a replay re-encodes.
      const kept =
        encoded.length === 1 && typeof encoded[0] === 'string' ? keep(encoded[0]) : ['signal', signal, offset];
      if (ledger.kept.push(kept) > KEPT_SIGNALS) ledger.kept.shift();
      (socket as unknown as Writer).client.writeToEngine(encoded, PRE_ENCODED);
    },
    attach(socket) {
      socket.onAnyOutgoing(noteLogged as (...args: unknown[]) => void);
      const data = socket.data as typeof socket.data & { ledger?: Ledger };
      if (!socket.recovered || !data.ledger) return;
      const ledger = data.ledger;
      delete data.ledger;
      ledger.lastTick = ++tick; // what it was sent up to now is replayed above: `last` is current
      (socket as unknown as Ledgered)[LEDGER] = ledger;
    },
    close() {
      clearInterval(timer);
      clearInterval(clock);
      clearInterval(sweep);
    },
  };
}
