/**
 * What one page of the video-call app costs the machine while a call just runs: N pages (4 by
 * default) join one room in headless Chromium, and once every link flows, each page's main-thread
 * busy time (CDP Performance.getMetrics TaskDuration, ScriptDuration, LayoutDuration,
 * RecalcStyleDuration) and the CPU of every Chromium process are read over a fixed interval.
 *
 * `node --import tsx bench/app-cpu.ts [--root <checkout>] [--pages 4] [--seconds 10] [--viewport 1280x720]`: `--root` is a
 * checkout whose `dist/web` is built (another commit's app, to compare), this one by default.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../test/helpers/browser.js';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: '.' },
    pages: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    viewport: { type: 'string', default: '1280x720' },
  },
});
const root = resolve(values.root);
const count = Number(values.pages);
const seconds = Number(values.seconds);
const [width, height] = values.viewport.split('x').map(Number);

const { createServer } = (await import(`${root}/src/server/index.ts`)) as typeof import('../src/server/index.js');
const server = await createServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', maxConnectionsPerIp: 1000 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });

/** CPU seconds (user + system) of this process's descendants: Chromium's browser, renderers, GPU, audio. */
function chromiumCpuSeconds(): number {
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const queue = [...(children.get(process.pid) ?? [])];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    total += ticks.get(pid) ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return total / 100; // USER_HZ
}

const pages: Page[] = [];
for (let i = 0; i < count; i++) {
  const context = await browser.newContext({ viewport: { width, height } });
  await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
  const page = await context.newPage();
  await page.goto(`${server.url}/?room=cpu`);
  await page.fill('#name-input', `P${i}`);
  await page.click('#join');
  await page.waitForFunction(() => window.tsunaguApp.joined);
  pages.push(page);
}
for (const page of pages) {
  await page.waitForFunction(
    (n) => {
      const { participants } = window.tsunaguApp.room;
      return participants.size === n && [...participants.values()].every((p) => p.connectionState === 'connected');
    },
    count - 1,
    { timeout: 120_000, polling: 500 },
  );
}
// Let every decoder and tile settle before measuring a call that just runs.
await new Promise((r) => setTimeout(r, 3000));

type Metrics = Record<string, number>;
const sessions = await Promise.all(pages.map((p) => p.context().newCDPSession(p)));
await Promise.all(sessions.map((s) => s.send('Performance.enable')));
const read = async (): Promise<Metrics[]> =>
  Promise.all(
    sessions.map(async (s) =>
      Object.fromEntries((await s.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value])),
    ),
  );
const before = await read();
const cpuBefore = chromiumCpuSeconds();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
const after = await read();
const cpuAfter = chromiumCpuSeconds();
const elapsed = (performance.now() - t0) / 1000;

const names = Object.keys(after[0]).filter((n) => n.endsWith('Duration'));
const perPage = names.map((name) => {
  const shares = after.map((m, i) => (m[name] - before[i][name]) / elapsed);
  return { name, mean: shares.reduce((a, b) => a + b, 0) / shares.length };
});
console.log(`root ${root}, ${count} pages at ${values.viewport}, ${elapsed.toFixed(1)} s`);
for (const { name, mean } of perPage) console.log(`  ${name} per page: ${(mean * 100).toFixed(2)} % of a core`);
const layouts = after.map((m, i) => m.LayoutCount - before[i].LayoutCount);
const styles = after.map((m, i) => m.RecalcStyleCount - before[i].RecalcStyleCount);
console.log(`  layouts per page per s: ${(layouts.reduce((a, b) => a + b, 0) / count / elapsed).toFixed(1)}`);
console.log(`  style recalcs per page per s: ${(styles.reduce((a, b) => a + b, 0) / count / elapsed).toFixed(1)}`);
console.log(`  all Chromium processes: ${(((cpuAfter - cpuBefore) / elapsed) * 100).toFixed(1)} % of a core`);

await browser.close();
await server.close();
