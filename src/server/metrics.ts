/**
 * Prometheus metrics (prom-client), one registry per server so several servers in one process
 * (the tests) never mix their numbers. Hot-path counters are bound to their labels up front.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric, type MetricValueWithName } from 'prom-client';
import type { ErrorCode } from '../protocol/index.js';

export type SignalKind = 'offer' | 'answer' | 'candidate' | 'other';
export type Protocol = 'socketio' | 'v1' | 'peerjs';
export type UnexpectedKind = 'encode' | 'uncaught' | 'unhandled-rejection';

export interface Metrics {
  registry: Registry;
  signal(kind: SignalKind, protocol?: Protocol): void;
  classicMessage(): void;
  error(code: ErrorCode, protocol?: Protocol): void;
  connectionRejected(code: ErrorCode): void;
  /**
   * An error a guard caught instead of letting it take the process down: an encode of a client's
   * data that failed (`encode`), or one nothing else handled (`uncaught`, `unhandled-rejection`).
   */
  unexpected(where: UnexpectedKind): void;
  /** Time spent handling one inbound event. */
  observe(event: string, seconds: number): void;
  /** A webhook's fate at one receiver: delivered (2xx), given up after retries, or dropped (queue full). */
  webhook(outcome: WebhookOutcome): void;
  /** One webhook attempt that failed (an error, a timeout, or not 2xx); it is retried while there is time. */
  webhookAttemptFailed(): void;
  /** A connection closed as a slow consumer (past `--max-send-buffer`). */
  slowConsumer(protocol: Protocol): void;
  /** The node-wide sample: bytes queued for all connections, and whether new joins are refused. */
  sendBuffers(queued: number, overloaded: boolean): void;
}

export type WebhookOutcome = 'delivered' | 'gave-up' | 'dropped';

/** What a `signal` carries, read from the SDK's payload shapes without copying anything. */
export function signalKind(data: unknown): SignalKind {
  if (typeof data !== 'object' || data === null) return 'other';
  const d = data as { description?: { type?: unknown }; candidates?: unknown; candidate?: unknown; type?: unknown };
  const type = d.description?.type ?? d.type;
  if (type === 'offer' || type === 'answer') return type;
  if (d.candidates !== undefined || d.candidate !== undefined || type === 'candidate') return 'candidate';
  return 'other';
}

/** What the gauges read when scraped. */
export interface Gauges {
  /** Clients connected to this node through an edge. */
  clients(protocol: Protocol): number;
  /** Rooms with a member on this node. */
  rooms(): number;
  /** Members (connected or away) of a room on this node. */
  peers(): number;
}

export function createMetrics(gauges: Gauges): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tsunagu_' });

  new Gauge({
    name: 'tsunagu_connected_sockets',
    help: 'Clients connected to this node, by protocol.',
    labelNames: ['protocol'] as const,
    registers: [registry],
    collect() {
      this.set({ protocol: 'socketio' }, gauges.clients('socketio'));
      this.set({ protocol: 'v1' }, gauges.clients('v1'));
      this.set({ protocol: 'peerjs' }, gauges.clients('peerjs'));
    },
  });
  new Gauge({
    name: 'tsunagu_rooms',
    help: 'Rooms with at least one peer on this node.',
    registers: [registry],
    collect() {
      this.set(gauges.rooms());
    },
  });
  new Gauge({
    name: 'tsunagu_peers',
    help: 'Peers in a room on this node.',
    registers: [registry],
    collect() {
      this.set(gauges.peers());
    },
  });
  // The hot path counts signals in plain numbers; prom-client gets them when scraped.
  const relayed: Record<Protocol, Record<SignalKind, number>> = {
    socketio: { offer: 0, answer: 0, candidate: 0, other: 0 },
    v1: { offer: 0, answer: 0, candidate: 0, other: 0 },
    peerjs: { offer: 0, answer: 0, candidate: 0, other: 0 },
  };
  const reported: Record<string, number> = {};
  new Counter({
    name: 'tsunagu_signals_relayed_total',
    help: 'Signals relayed to their target, by what they carried.',
    labelNames: ['kind', 'protocol'] as const,
    registers: [registry],
    collect() {
      for (const [protocol, kinds] of Object.entries(relayed)) {
        for (const [kind, count] of Object.entries(kinds)) {
          const key = `${kind} ${protocol}`;
          if (count > (reported[key] ?? 0)) this.labels(kind, protocol).inc(count - (reported[key] ?? 0));
          reported[key] = count;
        }
      }
    },
  });
  const classic = new Counter({
    name: 'tsunagu_classic_messages_relayed_total',
    help: "Messages relayed by the classic tutorial's `message` event.",
    registers: [registry],
  });
  const errors = new Counter({
    name: 'tsunagu_errors_total',
    help: 'Error answers sent to clients, by code.',
    labelNames: ['code', 'protocol'] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'tsunagu_connections_rejected_total',
    help: 'Connections refused, by code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const unexpected = new Counter({
    name: 'tsunagu_unexpected_errors_total',
    help: 'Errors a guard caught and survived (a failed encode of client data, an uncaught error), by where.',
    labelNames: ['where'] as const,
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'tsunagu_webhooks_total',
    help: 'Webhooks by outcome at one receiver: delivered, gave-up (retries ran out of time), dropped (queue full).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const webhookFailures = new Counter({
    name: 'tsunagu_webhook_attempt_failures_total',
    help: 'Webhook attempts that failed (error, timeout, or a status other than 2xx).',
    registers: [registry],
  });
  const slow = new Counter({
    name: 'tsunagu_slow_consumers_total',
    help: 'Connections closed as slow consumers: more queued for them than --max-send-buffer.',
    labelNames: ['protocol'] as const,
    registers: [registry],
  });
  const queued = new Gauge({
    name: 'tsunagu_send_buffer_bytes',
    help: 'Bytes queued for all connections of this node and not yet written (sampled each second).',
    registers: [registry],
  });
  const overloaded = new Gauge({
    name: 'tsunagu_overloaded',
    help: '1 while this node refuses new joins (overloaded: --max-node-send-buffer or --max-heap), else 0.',
    registers: [registry],
  });
  const durations = new EventDurations();
  // The registry reads a metric through get() alone (and reset()); prom-client types only its own classes.
  registry.registerMetric(durations as unknown as Metric);

  return {
    registry,
    signal(kind, protocol = 'socketio') {
      relayed[protocol][kind]++;
    },
    classicMessage: () => classic.inc(),
    error: (code, protocol = 'socketio') => errors.labels(code, protocol).inc(),
    connectionRejected: (code) => rejected.labels(code).inc(),
    unexpected: (where) => unexpected.labels(where).inc(),
    observe: (event, seconds) => durations.observe(event, seconds),
    webhook: (outcome) => webhooks.labels(outcome).inc(),
    webhookAttemptFailed: () => webhookFailures.inc(),
    slowConsumer: (protocol) => slow.labels(protocol).inc(),
    sendBuffers(bytes, over) {
      queued.set(bytes);
      overloaded.set(over ? 1 : 0);
    },
  };
}

/** The events `tsunagu_event_duration_seconds` has a label for; every other name is `other`. */
const OBSERVED_EVENTS = new Set(['join', 'leave', 'signal', 'message', 'ping']);

const DURATION_BUCKETS = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25];

/**
 * `tsunagu_event_duration_seconds{event}`, counted in plain numbers and handed to the registry as a
 * histogram when scraped. prom-client's own `observe()` converts, validates and hashes its labels
 * on every call, even through a bound child: 2–3 % of the server's CPU under the relay load, where
 * every signal is observed.
 */
class EventDurations {
  readonly name = 'tsunagu_event_duration_seconds';
  readonly help = 'Time to handle one inbound event, from its arrival to its answer.';
  /** Per event: a count per bucket (not cumulative; the last one is +Inf), the sum, the count. */
  readonly #events = new Map<string, { buckets: Float64Array; sum: number; count: number }>();

  observe(name: string, seconds: number): void {
    // Event names come from clients: only the protocol's own get a label of their own, so no
    // client can grow the metrics (and the server's memory) by inventing names.
    const event = OBSERVED_EVENTS.has(name) ? name : 'other';
    let entry = this.#events.get(event);
    if (!entry)
      this.#events.set(event, (entry = { buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 }));
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    entry.buckets[i]!++;
    entry.sum += seconds;
    entry.count++;
  }

  reset(): void {
    this.#events.clear();
  }

  get() {
    const values: MetricValueWithName<string>[] = [];
    for (const [event, { buckets, sum, count }] of this.#events) {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, event }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', event }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels: { event }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { event }, value: count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' });
  }
}
