/**
 * A node's place in the cluster, over Redis (the engine for everything shared): who is alive, who
 * is in which room, and an inbox per node. A message for a client goes only to the node that holds
 * it — one XADD to that node's stream, read by that node alone — so a node pays for its own
 * clients' traffic, not the cluster's.
 *
 * Keys (hash tags keep each script on one slot of a Redis Cluster):
 * - `tsunagu:nodes` — sorted set: node → lease expiry (Redis time, ms). Renewed every heartbeat.
 * - `tsunagu:{n:<node>}:inbox` — the node's stream of messages.
 * - `tsunagu:{r:<room>}:m` — hash: member id → JSON `Member` (connected and away members alike);
 *   `tsunagu:{r:<room>}:l` — sorted set: member id → lease expiry, renewed by the holding node, so
 *   the places of a node that died come free by themselves.
 * - `tsunagu:{s:<sha256 of a session's secret>}` — which node holds an away session, for a client
 *   that comes back through another node.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Store } from './redis.js';

/** A room's member as every node sees it. */
export interface Member {
  id: string;
  name: string | null;
  node: string;
  away: boolean;
  joinedAt: number;
}

/** How often a node renews its lease, and how long the lease lasts: a node frozen 10 s keeps it. */
export const HEARTBEAT_MS = 2_000;
export const NODE_LEASE_MS = 15_000;
/** A member's place is held this long past its node's last renewal. */
const MEMBER_LEASE_MS = 20_000;
const INBOX_MAX = 10_000;

const NODES = 'tsunagu:nodes';
export const inboxKey = (node: string) => `tsunagu:{n:${node}}:inbox`;
export const membersKey = (room: string) => `tsunagu:{r:${room}}:m`;
const leasesKey = (room: string) => `tsunagu:{r:${room}}:l`;
const secretKey = (secret: string) => `tsunagu:{s:${createHash('sha256').update(secret).digest('base64url')}}`;

/** Redis time in ms, inside a script: one clock for every node. */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const HEARTBEAT = `${NOW}
local old = redis.call('ZSCORE', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
local held = 0
if old and tonumber(old) >= now then held = 1 end
return {held, redis.call('ZRANGE', KEYS[1], 0, -1)}`;

/** Drops expired places, then admits `id` if it holds one already or the room has room; replies with every member. */
const ADMIT = `${NOW}
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(stale) do redis.call('HDEL', KEYS[1], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return false end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])`;

/** Writes members (id, JSON pairs) and renews their places; replies with every member. */
const PUT = `${NOW}
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return redis.call('HGETALL', KEYS[1])`;

/** Drops places whose lease ran out (their node died), inside a script. */
const PURGE = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(stale) do redis.call('HDEL', KEYS[1], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)`;

/**
 * Removes a member, unless another node holds it by now (it came back there); replies with the
 * members left, or -1 when it was not removed (so only the remover of the last one sees 0).
 */
const REMOVE = `${NOW}
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and cjson.decode(v).node == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  ${PURGE}
  return redis.call('HLEN', KEYS[1])
end
return -1`;

/** Every member whose place still holds (for the server API). */
const MEMBERS = `${NOW}
${PURGE}
return redis.call('HGETALL', KEYS[1])`;

/** Renews the places of members still held by their node. */
const RENEW = `${NOW}
for i = 2, #ARGV do redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`;

function membersOf(reply: unknown): Member[] {
  const flat = reply as string[];
  const members: Member[] = [];
  for (let i = 1; i < flat.length; i += 2) members.push(JSON.parse(flat[i]) as Member);
  return members;
}

export interface ClusterEvents {
  /** A message from another node's core. */
  message(fields: Record<string, string>): void;
  /** A node's lease ran out: it died, or was cut off from Redis for longer than its lease. */
  nodeGone(node: string): void;
  /** A node not seen at the last heartbeat is alive (new, or back). */
  nodeSeen(node: string): void;
  /** This node found its own lease gone (Redis restarted, or it was frozen or cut off): it must say again what it holds. */
  reassert(): void;
  /** The places this node holds now, by room, to renew. */
  held(): Map<string, string[]>;
}

export class Cluster {
  #live = new Set<string>();
  #lastId = '0-0';
  #closed = false;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Since when heartbeats have gone through without a break (0: not now). */
  #healthySince = 0;

  constructor(
    readonly store: Store,
    readonly node: string,
    private readonly log: Logger,
    private readonly events: ClusterEvents,
  ) {}

  async start(): Promise<void> {
    this.store.onReturn(() => (this.#healthySince = 0));
    await this.#beat();
    // The others would see this node at their next heartbeat; told now, they count it at once.
    for (const node of this.#live) if (node !== this.node) this.send(node, { t: 'hello', node: this.node });
    this.#timer = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.#timer.unref();
    void this.#read();
  }

  /** Nodes alive at the last heartbeat, this one included. */
  get live(): ReadonlySet<string> {
    return this.#live;
  }

  /** Sends `fields` to `node`'s inbox. Fire and forget: while Redis is away it waits in the offline queue. */
  send(node: string, fields: Record<string, string>): void {
    this.store.xAdd(inboxKey(node), fields, INBOX_MAX).catch((err: unknown) => {
      if (!this.#closed) this.log.warn({ err: (err as Error).message, node }, 'inbox write failed');
    });
  }

  /** Admits `member` to `room` (at most `max` members, away ones included): every member, or null when full. */
  async admit(room: string, member: Member, max: number): Promise<Member[] | null> {
    const reply = await this.store.eval(
      ADMIT,
      [membersKey(room), leasesKey(room)],
      [String(MEMBER_LEASE_MS), member.id, String(max), JSON.stringify(member)],
    );
    return reply === null ? null : membersOf(reply);
  }

  /** Writes (or rewrites) members of `room`; resolves with every member. */
  async put(room: string, members: Member[]): Promise<Member[]> {
    const args = [String(MEMBER_LEASE_MS)];
    for (const m of members) args.push(m.id, JSON.stringify(m));
    return membersOf(await this.store.eval(PUT, [membersKey(room), leasesKey(room)], args));
  }

  /** One member of `room`, as Redis has it. */
  async member(room: string, id: string): Promise<Member | null> {
    const raw = await this.store.hGet(membersKey(room), id);
    return raw === null ? null : (JSON.parse(raw) as Member);
  }

  /**
   * Removes member `id` of `room` held by `node` (this one, or one that died): resolves with the
   * members left, or -1 when another node holds it (or took it out first, or Redis is away).
   */
  remove(room: string, id: string, node = this.node): Promise<number> {
    return this.store.eval(REMOVE, [membersKey(room), leasesKey(room)], [id, node]).then(Number, () => -1); // its lease runs out by itself otherwise
  }

  /** Every member of `room` whose place holds. */
  async members(room: string): Promise<Member[]> {
    return membersOf(await this.store.eval(MEMBERS, [membersKey(room), leasesKey(room)], []));
  }

  /** Every room with a member, cluster-wide, by a SCAN of the member hashes (for the server API: not a hot path). */
  async rooms(): Promise<string[]> {
    const keys = await this.store.scan(membersKey('*'));
    const rooms = new Set<string>();
    for (const key of keys) {
      const room = /^tsunagu:\{r:(.*)\}:m$/.exec(key)?.[1];
      if (room !== undefined) rooms.add(room);
    }
    return [...rooms];
  }

  /** Notes which node holds the away session with `secret`, for as long as it may come back. */
  placeSecret(secret: string, ttlMs: number): void {
    this.store.set(secretKey(secret), this.node, ttlMs).catch(() => {});
  }

  forgetSecret(secret: string): void {
    this.store.del(secretKey(secret)).catch(() => {});
  }

  /** The node holding the away session with `secret`, if any. */
  async nodeOfSecret(secret: string): Promise<string | null> {
    return this.store.get(secretKey(secret)).catch(() => null);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.store.close();
  }

  async #beat(): Promise<void> {
    // While Redis is away nothing is queued (node-redis would hold the beat until it returns, and
    // then judge the others by a lease they could not renew meanwhile).
    if (!this.store.ready) {
      this.#healthySince = 0;
      return;
    }
    let reply: [number, string[]];
    try {
      reply = (await this.store.eval(HEARTBEAT, [NODES], [String(NODE_LEASE_MS), this.node])) as [number, string[]];
    } catch {
      this.#healthySince = 0; // Redis away: nobody is judged meanwhile
      return;
    }
    const now = Date.now();
    const [held, nodes] = reply;
    if (this.#healthySince === 0) this.#healthySince = now;
    const live = new Set(nodes);
    // Only a node that has been in touch with Redis for a whole lease may judge the others: after an
    // outage every node needs a heartbeat to say it is alive again. Until then, a node missing from
    // Redis's list stays in ours, to be judged once this node may.
    const judging = now - this.#healthySince >= NODE_LEASE_MS;
    const before = this.#live;
    for (const node of before) {
      if (live.has(node)) continue;
      if (judging) this.events.nodeGone(node);
      else live.add(node);
    }
    this.log.trace({ live: [...live], judging }, 'heartbeat');
    this.#live = live;
    for (const node of live) if (node !== this.node && !before.has(node)) this.events.nodeSeen(node);
    if (held !== 1) this.events.reassert();
    this.#renew();
  }

  #hello(node: string): void {
    if (this.#live.has(node)) return;
    this.#live = new Set([...this.#live, node]);
    this.events.nodeSeen(node);
  }

  #renew(): void {
    for (const [room, ids] of this.events.held()) {
      if (ids.length === 0) continue;
      this.store.eval(RENEW, [membersKey(room), leasesKey(room)], [String(MEMBER_LEASE_MS), ...ids]).catch(() => {}); // Redis away: the next round tries again
    }
  }

  async #read(): Promise<void> {
    while (!this.#closed) {
      try {
        const entries = await this.store.xRead(inboxKey(this.node), this.#lastId, 1_000);
        for (const entry of entries) {
          this.#lastId = entry.id;
          try {
            if (entry.fields.t === 'hello') this.#hello(entry.fields.node);
            else this.events.message(entry.fields);
          } catch (err) {
            this.log.error({ err }, 'inbox message failed');
          }
        }
      } catch {
        if (this.#closed) return;
        await new Promise((r) => setTimeout(r, 200)); // Redis away: try again shortly
      }
    }
  }
}
