/**
 * Prometheus metrics (prom-client), one registry per server so several servers in one process
 * (the tests) never mix their numbers. Hot-path counters are bound to their labels up front.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../protocol/index.js';
import { ROOM_PREFIX } from './groups.js';
import type { IoServer } from './types.js';

export type SignalKind = 'offer' | 'answer' | 'candidate' | 'other';
export type Protocol = 'socketio' | 'peerjs';

export interface Metrics {
  registry: Registry;
  signal(kind: SignalKind, protocol?: Protocol): void;
  classicMessage(): void;
  error(code: ErrorCode, protocol?: Protocol): void;
  connectionRejected(code: ErrorCode): void;
  /** Time spent handling one inbound event. */
  observe(event: string, seconds: number): void;
}

/** What a `signal` carries, read from the SDK's payload shapes without copying anything. */
export function signalKind(data: unknown): SignalKind {
  if (typeof data !== 'object' || data === null) return 'other';
  const d = data as { description?: { type?: unknown }; candidates?: unknown; candidate?: unknown; type?: unknown };
  const type = d.description?.type ?? d.type;
  if (type === 'offer' || type === 'answer') return type;
  if (d.candidates !== undefined || d.candidate !== undefined || type === 'candidate') return 'candidate';
  return 'other';
}

export function createMetrics(
  io: IoServer,
  rooms: { readonly size: number },
  /** PeerJS clients on this node (0 when the endpoint is off). */
  peerjsClients: () => number,
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tsunagu_' });

  new Gauge({
    name: 'tsunagu_connected_sockets',
    help: 'Clients connected to this node, by protocol.',
    labelNames: ['protocol'] as const,
    registers: [registry],
    collect() {
      this.set({ protocol: 'socketio' }, io.engine.clientsCount);
      this.set({ protocol: 'peerjs' }, peerjsClients());
    },
  });
  new Gauge({
    name: 'tsunagu_rooms',
    help: 'Rooms with at least one peer on this node.',
    registers: [registry],
    collect() {
      this.set(rooms.size);
    },
  });
  new Gauge({
    name: 'tsunagu_peers',
    help: 'Peers in a room on this node.',
    registers: [registry],
    collect() {
      let peers = 0;
      for (const [name, members] of io.of('/').adapter.rooms) if (name.startsWith(ROOM_PREFIX)) peers += members.size;
      this.set(peers);
    },
  });
  // The hot path counts signals in plain numbers; prom-client gets them when scraped.
  const relayed: Record<Protocol, Record<SignalKind, number>> = {
    socketio: { offer: 0, answer: 0, candidate: 0, other: 0 },
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
  const duration = new Histogram({
    name: 'tsunagu_event_duration_seconds',
    help: 'Time to handle one inbound event, from its arrival to its answer.',
    labelNames: ['event'] as const,
    buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
    registers: [registry],
  });

  // Label lookups cost a map access each; the hot path uses children bound once.
  const durationChildren = new Map<string, Histogram.Internal<string>>();
  return {
    registry,
    signal(kind, protocol = 'socketio') {
      relayed[protocol][kind]++;
    },
    classicMessage: () => classic.inc(),
    error: (code, protocol = 'socketio') => errors.labels(code, protocol).inc(),
    connectionRejected: (code) => rejected.labels(code).inc(),
    observe(event, seconds) {
      let child = durationChildren.get(event);
      if (!child) durationChildren.set(event, (child = duration.labels(event)));
      child.observe(seconds);
    },
  };
}
