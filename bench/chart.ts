/**
 * Draws the latest result of every scenario as one SVG: a panel per scenario, a bar per server
 * for its headline figure, labelled with the value and the ratio to the scenario's baseline.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

interface Result {
  scenario: string;
  baseline: string;
  medians: Record<string, Record<string, number>>;
}

/** The figure each panel shows, and whether more is better. */
const HEADLINES: Record<string, { metric: string; label: string; higherIsBetter: boolean }> = {
  'relay-rtt': { metric: 'p50_us', label: 'relay round trip p50 (µs)', higherIsBetter: false },
  'relay-throughput': { metric: 'msgs_per_s', label: 'relayed messages/s, one core', higherIsBetter: true },
  'idle-capacity': { metric: 'rss_per_conn_kib', label: 'RSS per idle connection (KiB)', higherIsBetter: false },
  'join-storm': { metric: 'ready_p99_ms', label: 'join storm: ready p99 (ms)', higherIsBetter: false },
  'cross-node': { metric: 'p50_us', label: 'relay round trip p50 (µs), tsunagu', higherIsBetter: false },
  'call-setup': { metric: 'p50_ms', label: 'call setup in Chromium, p50 (ms)', higherIsBetter: false },
  'call-rate': { metric: 'setups_per_core_s', label: 'call setups per second of server CPU', higherIsBetter: true },
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function drawChart(dir: string, out: string): string {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const panels: string[] = [];
  let y = 40;
  const width = 760;
  for (const [scenario, headline] of Object.entries(HEADLINES)) {
    const file = files.filter((f) => f.startsWith(`${scenario}-`) && /^\d/.test(f.slice(scenario.length + 1))).pop();
    if (!file) continue;
    const result = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Result;
    // idle-capacity has one row per size: chart the largest.
    const rows = Object.entries(result.medians).filter(([key]) => {
      const sizes = Object.keys(result.medians).map((k) => Number(k.split(' ')[1] ?? 0));
      return Number(key.split(' ')[1] ?? 0) === Math.max(...sizes);
    });
    const values = rows.map(([, m]) => m[headline.metric]).filter((v) => v !== undefined);
    const max = Math.max(...values);
    const base = rows.find(([key]) => key.split(' ')[0] === result.baseline)?.[1][headline.metric];
    const suffix = rows[0][0].includes(' ') ? ` at ${rows[0][0].split(' ')[1]} connections` : '';
    panels.push(
      `<text x="10" y="${y}" font-weight="bold">${escape(headline.label + suffix)} — ${headline.higherIsBetter ? 'more' : 'less'} is better</text>`,
    );
    y += 8;
    for (const [key, m] of rows) {
      const value = m[headline.metric];
      if (value === undefined) continue;
      const bar = Math.max(1, (value / max) * 420);
      const ratio = base ? ` (${(value / base).toFixed(2)}× ${result.baseline})` : '';
      const fill = key.startsWith('tsunagu') ? '#d9534f' : '#8a9bb0';
      panels.push(
        `<text x="150" y="${y + 14}" text-anchor="end">${escape(key.split(' ')[0])}</text>`,
        `<rect x="160" y="${y + 2}" width="${bar.toFixed(1)}" height="16" fill="${fill}"/>`,
        `<text x="${(166 + bar).toFixed(1)}" y="${y + 14}">${value}${escape(ratio)}</text>`,
      );
      y += 20;
    }
    y += 30;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="14" font-weight="bold">tsunagu benchmarks (npm run bench; server on one core, load on the other)</text>
${panels.join('\n')}
</svg>
`;
  writeFileSync(out, svg);
  return out;
}
