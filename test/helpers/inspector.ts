/**
 * Node's inspector protocol, for the one thing the specs need from it: a full garbage collection in
 * a node started with `startNodeWith({ inspect: true })`, so that the heap /metrics reports next is
 * what is still reachable, not what a collection has not got round to yet.
 */
import { once } from 'node:events';
import WebSocket from 'ws';

/** Forces a full garbage collection in the process whose inspector listens at `address`. */
export async function collectGarbage(address: string): Promise<void> {
  const ws = new WebSocket(address);
  await once(ws, 'open');
  try {
    ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    for (;;) {
      const [data] = (await once(ws, 'message')) as [Buffer];
      const reply = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
      if (reply.id !== 1) continue; // an event of the inspector's own
      if (reply.error) throw new Error(`inspector: ${reply.error.message}`);
      return;
    }
  } finally {
    ws.close();
  }
}

/** The node's heap in use after a full collection, as its /metrics reports it. */
export async function heapAfterGc(url: string, inspector: string): Promise<number> {
  await collectGarbage(inspector);
  return metric(await (await fetch(`${url}/metrics`)).text(), 'tsunagu_nodejs_heap_size_used_bytes');
}

/** The sum of a metric's samples in a Prometheus text exposition (0 when it has none). */
export function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
