/**
 * relay-rtt-webhooks: relay round trips (1,000 warm-up, 3,000 measured) on tsunagu while a churning peer joins and leaves a room of its own
 * every 50 ms (four webhook events a cycle), with webhooks off, or on towards a receiver that
 * accepts every connection and never answers. The churn is the same in both; only the webhooks
 * differ. Shows whether a hung receiver slows signaling (the queue, its timeouts and retries run
 * beside it).
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectPeer } from '../drivers.js';
import { startServer, stopServer } from '../lib.js';
import { roundTrips } from './relay.js';

/** One join and leave (room-started, member-joined, member-left, room-finished) this often. */
const CHURN_EVERY_MS = 50;

export async function relayRttWebhooks(variant: string): Promise<Record<string, number>> {
  let received = 0;
  const hung: IncomingMessage[] = [];
  const receiver = createServer((req) => {
    received++;
    hung.push(req); // never answered: every delivery waits for its timeout
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const env: Record<string, string> =
    variant === 'webhooks-on'
      ? {
          WEBHOOK_URLS: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
          WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
        }
      : {};
  const server = await startServer('tsunagu', env);
  // A steady churn, paced by the clock (not by how fast the server answers), the same in both variants.
  let cycles = 0;
  let started = 0;
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (inFlight.size >= 10) return; // the server is behind: no pile-up in the load generator
    const n = started++;
    const cycle = connectPeer('tsunagu', server.port, `churn${n}`, `churn-${n}`).then((peer) => {
      peer.close();
      cycles++;
    });
    inFlight.add(cycle);
    void cycle.finally(() => inFlight.delete(cycle));
  }, CHURN_EVERY_MS);
  try {
    // Fewer round trips than relay-rtt: under churn each takes longer, and the run stays bounded.
    const result = await roundTrips('tsunagu', [server.port, server.port], 500, undefined, {
      warmUp: 1000,
      measured: 3000,
    });
    return { ...result, churn_cycles: cycles, hooks_received: received };
  } finally {
    clearInterval(timer);
    await Promise.allSettled(inFlight);
    await stopServer(server);
    for (const req of hung) req.socket.destroy();
    receiver.close();
  }
}
