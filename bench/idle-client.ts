/**
 * Load generator for the idle-capacity scenario: opens `n` connections to one server over its own
 * protocol, says how long that took, holds them for `hold` seconds, then says how many are still up.
 * Runs as its own process: at most 20,000 open files per process here.
 */
import { connectPeer, type Endpoint, type ServerKind } from './drivers.js';

const [kind, port, n, hold] = [
  process.argv[2] as ServerKind,
  Number(process.argv[3]),
  Number(process.argv[4]),
  Number(process.argv[5]),
];
const endpoints: Endpoint[] = [];
const closed = new Set<number>();
const t0 = performance.now();
const BATCH = 100; // connections opened concurrently
let refused = 0;
/** A refused connect (the server's accept queue full for a moment) is tried again, three times at most. */
async function open(id: string): Promise<Endpoint> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectPeer(kind, port, id, undefined, false);
    } catch (err) {
      refused++;
      if (attempt === 3) throw err;
    }
  }
}
for (let i = 0; i < n; i += BATCH) {
  endpoints.push(
    ...(await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => open(`idle${i + j}`)))),
  );
}
const connectSeconds = (performance.now() - t0) / 1000;
endpoints.forEach((e, i) => e.onClose(() => closed.add(i)));
console.log(
  JSON.stringify({ phase: 'connected', connected: endpoints.length, connect_s: +connectSeconds.toFixed(2), refused }),
);
await new Promise((resolve) => setTimeout(resolve, hold * 1000)); // the hold is what is measured
console.log(JSON.stringify({ phase: 'held', still_connected: endpoints.length - closed.size }));
process.exit(0);
