/**
 * `npm run bench -- profile <server> [--load echo|calls]`: the relay-throughput load (or the
 * call-rate load) against one server running under `node --cpu-prof`, then the functions that took
 * the most CPU, by self and by inclusive time.
 * The `.cpuprofile` stays in bench/results/profiles/ for a flame graph (Chrome DevTools'
 * Performance panel, or speedscope, open it as is).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { ServerKind } from './drivers.js';
import { sleep, startServer } from './lib.js';
import { callLoad } from './scenarios/call-rate.js';
import { echoLoad } from './scenarios/relay.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self and inclusive CPU share per function of a V8 .cpuprofile. */
export function summarize(file: string, top = 25): string {
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
      .map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(6)}%  ${k}`)
      .join('\n');
  return `self time:\n${rows(self)}\n\ninclusive time:\n${rows(inclusive)}`;
}

export async function profile(kind: ServerKind, loadName: 'echo' | 'calls' = 'echo'): Promise<string> {
  const dir = 'bench/results/profiles';
  const server = await startServer(kind, {}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const load = loadName === 'calls' ? await callLoad(kind, server.port) : await echoLoad(kind, server.port);
  await sleep(10_000);
  load.stop();
  const exited = new Promise((resolve) => server.proc.once('exit', resolve));
  server.proc.kill('SIGINT'); // the bench servers exit on SIGINT, and V8 writes the profile
  await exited;
  // tsx's loader runs in a worker thread with a profile of its own: the server's is the largest.
  const pid = server.proc.pid!;
  const latest = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
    .map((f) => `${dir}/${f}`)
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  return `${latest}\n\n${summarize(latest)}`;
}
