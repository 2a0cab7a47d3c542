/**
 * Webhooks (`--webhook-url`, `--webhook-secret`): room and member events POSTed, signed, to the
 * team's backend. Never in signaling's way: the core only hands an event to an in-memory queue
 * (bounded; a full queue drops and counts), and deliveries run beside it with a timeout each,
 * retried with backoff for a bounded time.
 *
 * Once per event in a cluster: each event is told by the one node where it happens (see
 * `Core.onRoom`), and is claimed in Redis by its id (SET NX) before it is sent. The members of a
 * node that died are the exception — every node notices — so those events get ids made of what
 * they are about (the same on every node), and the claim lets one node send them.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { WebhookEvent, WebhookEventName } from '../protocol/index.js';
import type { Config } from './config.js';
import type { Member } from './core/cluster.js';
import type { Core, RoomEvent } from './core/index.js';
import type { Store } from './core/redis.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Limits of the queue and of the retries; defaults visible at a glance, tests may shorten them. */
export const WEBHOOK_DEFAULTS = {
  /** Deliveries waiting or retrying, at most; beyond, new ones are dropped (and counted). */
  queueMax: 10_000,
  /** POSTs in flight at once, across receivers. */
  concurrency: 16,
  /** One attempt's limit: a receiver that hangs holds a slot this long at most. */
  timeoutMs: 5_000,
  /** First retry after this; doubled each time, up to `maxBackoffMs`. */
  backoffMs: 500,
  maxBackoffMs: 10_000,
  /** No attempt starts later than this after the event. */
  retryForMs: 60_000,
  /** How long a claim in Redis is kept: longer than any retrying. */
  claimMs: 10 * 60_000,
};

export interface WebhooksOptions {
  config: Config;
  core: Core;
  store: Store | null;
  log: Logger;
  metrics: Metrics;
  limits?: Partial<typeof WEBHOOK_DEFAULTS>;
}

interface Delivery {
  url: string;
  body: string;
  id: string;
  firstAt: number;
  attempt: number;
}

/**
 * The value of the `Tsunagu-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
 * @example signature(secret, body, 1767225600) // 't=1767225600,v1=5f2c…'
 */
export function signature(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export class Webhooks {
  readonly #limits: typeof WEBHOOK_DEFAULTS;
  readonly #ready: Delivery[] = [];
  /** Deliveries waiting (ready or for a retry) or in flight: what the queue bound counts. */
  #pending = 0;
  #inFlight = 0;
  #closed = false;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #aborts = new Set<AbortController>();

  constructor(private readonly options: WebhooksOptions) {
    this.#limits = { ...WEBHOOK_DEFAULTS, ...options.limits };
    options.core.onRoom((event) => this.#told(event));
    options.core.onNode('gone', (node) => void this.#nodeGone(node));
  }

  /** Stops: what is queued or retrying is let go. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    for (const a of this.#aborts) a.abort();
    this.#ready.length = 0;
  }

  #told(e: RoomEvent, id: string = randomUUID()): void {
    const member = e.member && {
      id: e.member.id,
      name: e.member.name,
      joinedAt: e.member.joinedAt,
      node: e.member.node,
      ...(e.kind === 'member-left' ? { reason: e.reason ?? 'left' } : {}),
    };
    const event: WebhookEvent = { id, event: e.kind, at: e.at, room: e.room, ...(member ? { member } : {}) };
    void this.#enqueue(event);
  }

  async #enqueue(event: WebhookEvent): Promise<void> {
    const { config, store, log, metrics } = this.options;
    const room = this.#limits.queueMax - this.#pending;
    if (this.#closed) return;
    if (room < config.webhookUrls.length) {
      for (let i = 0; i < config.webhookUrls.length; i++) metrics.webhook('dropped');
      log.warn({ event: event.event, room: event.room }, 'webhook queue full: event dropped');
      return;
    }
    this.#pending += config.webhookUrls.length;
    if (store) {
      // One node sends each event; if Redis is away, sending twice beats not at all (receivers dedupe by id).
      const mine = await store
        .claim(`tsunagu:{w:${event.id}}`, this.options.core.node, this.#limits.claimMs)
        .catch(() => true);
      if (!mine) {
        this.#pending -= config.webhookUrls.length;
        return;
      }
    }
    const body = JSON.stringify(event);
    for (const url of config.webhookUrls)
      this.#ready.push({ url, body, id: event.id, firstAt: Date.now(), attempt: 0 });
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && this.#inFlight < this.#limits.concurrency && this.#ready.length > 0) {
      const delivery = this.#ready.shift()!;
      this.#inFlight++;
      void this.#attempt(delivery).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #attempt(d: Delivery): Promise<void> {
    const { config, log, metrics } = this.options;
    d.attempt++;
    const abort = new AbortController();
    this.#aborts.add(abort);
    let failure: string;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'tsunagu-signature': signature(config.webhookSecret, d.body) },
        body: d.body,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(this.#limits.timeoutMs)]),
      });
      await res.body?.cancel(); // the answer's body says nothing we need
      if (res.ok) {
        this.#pending--;
        metrics.webhook('delivered');
        return;
      }
      failure = `status ${res.status}`;
    } catch (err) {
      failure = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
    } finally {
      this.#aborts.delete(abort);
    }
    if (this.#closed) return;
    metrics.webhookAttemptFailed();
    const wait = Math.min(this.#limits.backoffMs * 2 ** (d.attempt - 1), this.#limits.maxBackoffMs);
    if (Date.now() + wait - d.firstAt > this.#limits.retryForMs) {
      this.#pending--;
      metrics.webhook('gave-up');
      log.warn({ url: d.url, id: d.id, attempts: d.attempt, failure }, 'webhook given up');
      return;
    }
    log.debug({ url: d.url, id: d.id, attempt: d.attempt, failure }, 'webhook failed; retrying');
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#ready.push(d);
      this.#pump();
    }, wait);
    timer.unref();
    this.#timers.add(timer);
  }

  /**
   * A node died: its members left, disconnected, and rooms it alone held are finished. Every node
   * hears it; each takes the dead node's places out of Redis, and whoever took one out tells of
   * it, with an id that is the same on every node.
   */
  async #nodeGone(node: string): Promise<void> {
    const cluster = this.options.core.cluster;
    if (!cluster) return;
    const idOf = (kind: WebhookEventName, room: string, m?: Member) =>
      createHash('sha256')
        .update(`${kind}\n${room}\n${m ? `${m.id}\n${m.joinedAt}` : node}`)
        .digest('base64url');
    try {
      for (const room of await cluster.rooms()) {
        for (const m of (await cluster.members(room)).filter((m) => m.node === node)) {
          const left = await cluster.remove(room, m.id, node);
          if (left < 0) continue; // another node took it out first
          const at = Date.now();
          this.#told(
            { kind: 'member-left', room, at, member: m, reason: 'disconnected' },
            idOf('member-left', room, m),
          );
          if (left === 0) this.#told({ kind: 'room-finished', room, at }, idOf('room-finished', room));
        }
      }
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message, node }, 'webhooks: could not read the rooms of a node gone');
    }
  }
}
