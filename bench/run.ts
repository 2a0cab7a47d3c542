/**
 * `npm run bench -- <scenario> [--reps N] [--servers a,b]`: runs one scenario against every server
 * (or variant) in the same run, alternating their order each repetition, servers pinned to core 0
 * and this load generator to core 1; prints a table of medians with ratios to the scenario's
 * baseline, and writes the raw runs to bench/results/<scenario>-<time>.json.
 * `npm run bench -- chart` draws the latest result of every scenario into docs/images/benchmarks.svg;
 * `npm run bench -- profile <server> [--load echo|calls|storm]` profiles one server under the relay-throughput
 * (or call-rate, or join-storm) load.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { drawChart } from './chart.js';
import type { ServerKind } from './drivers.js';
import { median } from './lib.js';
import { profile } from './profile.js';
import { callRate } from './scenarios/call-rate.js';
import { callSetup } from './scenarios/call-setup.js';
import { idleCapacity } from './scenarios/idle.js';
import { joinStorm } from './scenarios/join-storm.js';
import { crossNodeFanout } from './scenarios/fanout.js';
import { crossNode, relayRtt, relayThroughput } from './scenarios/relay.js';
import { relayRttWebhooks } from './scenarios/webhooks.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    reps: { type: 'string', default: '3' },
    servers: { type: 'string' },
    conns: { type: 'string', default: '1000,5000,15000' },
    hold: { type: 'string', default: '60' },
    calls: { type: 'string', default: '20' },
    load: { type: 'string', default: 'echo' },
  },
});

const SERVERS: ServerKind[] = ['floor', 'peerjs', 'classic', 'tsunagu', 'tsunagu-v1', 'tsunagu-peerjs'];

interface Scenario {
  /** Servers or variants compared; the first is the baseline of the ratios. */
  subjects: string[];
  metrics: string[];
  /** Sizes the scenario runs at (idle-capacity: connection counts). */
  sizes?: number[];
  run(subject: string, size: number): Promise<Record<string, number>>;
}

const scenarios: Record<string, Scenario> = {
  'relay-rtt': {
    subjects: [...SERVERS, 'tsunagu-noresume'],
    metrics: ['p50_us', 'p99_us'],
    run: (s) => relayRtt(s as ServerKind),
  },
  'relay-rtt-webhooks': {
    // A churning peer makes room events all along; webhooks off, or on towards a receiver that hangs.
    subjects: ['webhooks-off', 'webhooks-on'],
    metrics: ['p50_us', 'p99_us', 'churn_cycles', 'hooks_received'],
    run: relayRttWebhooks,
  },
  'relay-throughput': {
    // The classic relay broadcasts every message to everyone: 50 pairs on it is other work.
    subjects: [...SERVERS.filter((s) => s !== 'classic'), 'tsunagu-noresume'],
    metrics: ['msgs_per_s', 'msgs_per_core_s', 'server_cpu'],
    run: (s) => relayThroughput(s as ServerKind),
  },
  'idle-capacity': {
    subjects: SERVERS,
    metrics: ['rss_per_conn_kib', 'connect_s', 'still_connected'],
    sizes: values.conns!.split(',').map(Number),
    run: (s, n) => idleCapacity(s as ServerKind, n, Number(values.hold)),
  },
  'join-storm': {
    subjects: SERVERS,
    metrics: ['ready_p50_ms', 'ready_p99_ms', 'join_ack_p50_ms', 'join_ack_p99_ms', 'joins_per_s', 'joins_per_core_s'],
    run: (s) => joinStorm(s as ServerKind),
  },
  'cross-node': {
    subjects: [
      ...['single-node', 'same-node', 'cross-node', 'same-node-noresume', 'cross-node-noresume'],
      ...['single-node-v1', 'same-node-v1', 'cross-node-v1'],
    ],
    metrics: ['p50_us', 'p99_us'],
    run: crossNode,
  },
  'cross-node-fanout': {
    // Three nodes: what node C, holding none of the peers, pays while A and B relay to each other.
    subjects: ['same-node', 'cross-node', 'fanout'],
    metrics: [
      ...['p50_us', 'p99_us', 'xadds_per_signal', 'inbox_adds'],
      ...['msgs_per_s', 'a_cpu', 'b_cpu', 'c_cpu', 'redis_cpu', 'c_of_ab_pct', 'c_of_a_pct', 'c_of_b_pct'],
      ...['c_idle_cpu', 'c_inbox_adds', 'node_warnings'],
    ],
    run: crossNodeFanout,
  },
  'call-setup': {
    subjects: ['direct', 'classic', 'tsunagu', 'peerjs', 'tsunagu-peerjs'],
    metrics: [
      ...['p50_ms', 'p95_ms', 'offer_ms', 'answer_ms', 'candidate_ms', 'connected_ms'],
      ...['msgs_per_call', 'caller_candidate_msgs', 'callee_candidate_msgs', 'failed_calls'],
      ...['caller_offered_calls', 'p50_caller_offered_ms', 'p50_callee_offered_ms'],
    ],
    run: (s) => callSetup(s, Number(values.calls)),
  },
  'call-rate': {
    subjects: ['peerjs', 'tsunagu', 'tsunagu-v1', 'tsunagu-peerjs', 'tsunagu-noresume'],
    metrics: ['setups_per_s', 'setups_per_core_s', 'msgs_per_setup', 'server_cpu'],
    run: (s) => callRate(s as ServerKind),
  },
};

const name = positionals[0];
if (name === 'profile') {
  const load = values.load === 'calls' || values.load === 'storm' ? values.load : 'echo';
  console.log(await profile((positionals[1] ?? 'tsunagu') as ServerKind, load));
  process.exit(0);
}
if (name === 'chart') {
  console.log(`written: ${drawChart('bench/results', 'docs/images/benchmarks.svg')}`);
  process.exit(0);
}
const scenario = scenarios[name];
if (!scenario) {
  console.error(`usage: npm run bench -- <${Object.keys(scenarios).join('|')}|chart|profile <server> [--load echo|calls|storm]> [--reps 3] [--servers a,b,...]
  idle-capacity also takes --conns 1000,5000,15000 and --hold 60 (seconds); call-setup takes --calls 20`);
  process.exit(2);
}
const reps = Number(values.reps);
const subjects = values.servers ? values.servers.split(',') : scenario.subjects;
const runs: Record<string, Array<Record<string, number>>> = {};
for (let rep = 0; rep < reps; rep++) {
  // Alternate the order, so no server always runs on a warmer (or more tired) machine.
  const order = rep % 2 === 0 ? subjects : [...subjects].reverse();
  for (const size of scenario.sizes ?? [0]) {
    for (const subject of order) {
      const key = size ? `${subject} ${size}` : subject;
      const result = await scenario.run(subject, size);
      (runs[key] ??= []).push(result);
      console.error(`rep ${rep + 1}/${reps} ${key}: ${JSON.stringify(result)}`);
    }
  }
}

const medians = Object.fromEntries(
  Object.entries(runs).map(([key, r]) => [
    key,
    Object.fromEntries(
      scenario.metrics.filter((m) => r.some((x) => m in x)).map((m) => [m, median(r.map((x) => x[m]))]),
    ),
  ]),
);
const baselineOf = (key: string) => medians[key.replace(/^\S+/, subjects[0])];
const cell = (key: string, m: string) => {
  const value = medians[key][m];
  if (value === undefined) return '–';
  const base = baselineOf(key)?.[m];
  return base ? `${value} (${(value / base).toFixed(2)}x)` : String(value);
};
console.log(`\n${name}: medians of ${reps} runs (ratio to ${subjects[0]})`);
console.log(['', ...scenario.metrics].map((h) => h.padEnd(20)).join(''));
for (const key of Object.keys(medians)) {
  console.log([key, ...scenario.metrics.map((m) => cell(key, m))].map((c) => c.padEnd(20)).join(''));
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
const baseline = subjects[0];
writeFileSync(file, JSON.stringify({ scenario: name, reps, node: process.version, baseline, runs, medians }, null, 2));
console.log(`\nwritten: ${file}`);
process.exit(0);
