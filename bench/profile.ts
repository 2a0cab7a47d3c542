/**
 * `npm run bench -- profile <server> [--load echo|calls]`: the relay-throughput load (or the
 * call-rate load) against one server running under `node --cpu-prof`, then the functions that took
 * the most CPU, by self and by inclusive time.
 * The `.cpuprofile` stays in bench/results/profiles/ for a flame graph (Chrome DevTools'
 * Performance panel, or speedscope, open it as is).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { ServerKind } from './drivers.js';
import { sleep, startServer, type Server } from './lib.js';
import { callLoad } from './scenarios/call-rate.js';
import { storm } from './scenarios/join-storm.js';
import { echoLoad } from './scenarios/relay.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self and inclusive CPU share per function of a V8 .cpuprofile. */
export function summarize(file: string, top = 25, messages = 0): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const name = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, t] of time) {
    total += t;
    self.set(name(byId.get(id)!), (self.get(name(byId.get(id)!)) ?? 0) + t);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = name(byId.get(at)!);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + t);
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => {
        const share = `${((100 * t) / total).toFixed(1).padStart(6)}%`;
        // With a message count: µs of CPU per relayed message (timeDeltas are in µs).
        return messages > 0 ? `${share} ${(t / messages).toFixed(2).padStart(7)} µs/unit  ${k}` : `${share}  ${k}`;
      })
      .join('\n');
  return `self time:\n${rows(self)}\n\ninclusive time:\n${rows(inclusive)}`;
}

export async function profile(kind: ServerKind, loadName: 'echo' | 'calls' | 'storm' = 'echo'): Promise<string> {
  const dir = 'bench/results/profiles';
  const server = await startServer(kind, {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  if (loadName === 'storm') {
    // Three storms, each client closed before the next: per client, what connecting and joining cost.
    let clients = 0;
    for (let i = 0; i < 3; i++) {
      const s = await storm(kind, server.port);
      for (const endpoint of s.endpoints) endpoint.close();
      clients += s.clients;
    }
    return stopAndSummarize(server, dir, clients, 'clients connected and joined');
  }
  const load = loadName === 'calls' ? await callLoad(kind, server.port) : await echoLoad(kind, server.port);
  const from = 'delivered' in load ? load.delivered() : 0;
  await sleep(10_000);
  const delivered = ('delivered' in load ? load.delivered() : 0) - from;
  load.stop();
  return stopAndSummarize(server, dir, delivered, 'messages relayed in 10 s');
}

/** Stops the profiled server and summarises its profile, per unit of `count` (messages, clients). */
async function stopAndSummarize(server: Server, dir: string, count: number, what: string): Promise<string> {
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  server.proc.kill('SIGINT'); // the bench servers exit on SIGINT, and V8 writes the profile
  await exited;
  // tsx's loader runs in a worker thread with a profile of its own: the server's is the largest.
  const pid = server.proc.pid!;
  const latest = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
    .map((f) => `${dir}/${f}`)
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const perUnit = count > 0 ? `\n${count} ${what}` : '';
  return `${latest}${perUnit}\n\n${summarize(latest, 25, count)}`;
}
