/**
 * join-storm: 2,000 clients joining 500 rooms (4 each) as fast as one load process can: every
 * client connects and joins at once, 250 in flight at a time. Measures each client's time from
 * starting to connect until it may signal (tsunagu: the join ack; PeerJS: OPEN; the others:
 * connected), and, for tsunagu, the join ack alone (socket open → ack); and clients ready per second
 * of the server's CPU, since one load process on this machine is slower than any server.
 */
import { connectPeer, type Endpoint, type ServerKind } from '../drivers.js';
import { cpuSeconds, quantile, withServer } from '../lib.js';

const CLIENTS = 2_000;
const ROOMS = 500;
const IN_FLIGHT = 250;

/** The storm itself against a running server: how long each client took, and the clients, connected. */
export async function storm(kind: ServerKind, port: number) {
  const ready: number[] = [];
  const joins: number[] = [];
  const endpoints: Endpoint[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < CLIENTS) {
      const i = next++;
      const start = performance.now();
      const endpoint = await connectPeer(kind, port, `storm${i}`, `room-${i % ROOMS}`);
      ready.push(performance.now() - start);
      if (endpoint.joinedIn !== undefined) joins.push(endpoint.joinedIn);
      endpoints.push(endpoint);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { ready, joins, endpoints, seconds: (performance.now() - t0) / 1000, clients: CLIENTS };
}

export function joinStorm(kind: ServerKind): Promise<Record<string, number>> {
  return withServer(kind, async (server) => {
    const cpu0 = cpuSeconds(server.proc.pid!);
    const { ready, joins, endpoints, seconds } = await storm(kind, server.port);
    const cpu = cpuSeconds(server.proc.pid!) - cpu0;
    for (const endpoint of endpoints) endpoint.close();
    ready.sort((a, b) => a - b);
    joins.sort((a, b) => a - b);
    return {
      ready_p50_ms: +quantile(ready, 0.5).toFixed(1),
      ready_p99_ms: +quantile(ready, 0.99).toFixed(1),
      ...(joins.length > 0
        ? { join_ack_p50_ms: +quantile(joins, 0.5).toFixed(2), join_ack_p99_ms: +quantile(joins, 0.99).toFixed(2) }
        : {}),
      joins_per_s: Math.round(CLIENTS / seconds),
      // The one load process is the limit on this machine (the server idles most of the storm):
      // what the server itself spends per client is this.
      joins_per_core_s: Math.round(CLIENTS / cpu),
    };
  });
}
