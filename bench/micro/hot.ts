/**
 * The `/v1` relay's own work, without sockets: a frame decoded, judged, relayed by the core and
 * encoded for its receiver, a million times in one process; prints CPU ns per signal (user +
 * system, so a busy machine disturbs it less than wall time). For comparing one change to the
 * hot path with the next: `node --import tsx bench/micro/hot.ts [noencode]`.
 */
import { Core } from '../../src/server/core/index.js';
import { defaults, checkConfig } from '../../src/server/config.js';
import { createMetrics } from '../../src/server/metrics.js';
import { createLogger } from '../../src/server/logger.js';
import { decodeFrame, encodeEvent, type Decoded } from '../../src/server/edges/websocket-frames.js';
import { MAX_NESTING_DEPTH } from '../../src/protocol/index.js';
import { tooDeep } from '../../src/server/core/gate.js';
import type { Numbered } from '../../src/server/core/session.js';

const config = checkConfig({
  ...defaults,
  rateLimit: 1e9,
  rateBurst: 1e9,
  resumeWindowMs: process.env.RESUME_WINDOW === '0' ? 0 : defaults.resumeWindowMs,
});
const log = createLogger('silent');
const metrics = createMetrics({ clients: () => 0, rooms: () => 0, peers: () => 0 });
const core = new Core({ config, log, metrics, store: null, unnoticedMs: 45_000 });
await core.start();
let out = 0;
const mode = process.argv[2] ?? 'full';
const link = {
  edge: 'v1' as const,
  write(n: Numbered) {
    out += mode === 'noencode' ? 1 : encodeEvent(n).length;
  },
  close() {},
};
const a = core.open('a'.repeat(20), link, null, '1.1.1.1');
const b = core.open('b'.repeat(20), link, null, '1.1.1.2');
await core.join(a, 'r', null);
await core.join(b, 'r', null);
const CANDIDATE = {
  candidate: {
    candidate: 'candidate:842163049 1 udp 1677729535 192.0.2.1 54321 typ srflx raddr 10.0.0.1 rport 54321 generation 0',
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
};
const frameA = JSON.stringify({ event: 'signal', data: { to: b.id, data: CANDIDATE } });
const frameB = JSON.stringify({ event: 'signal', data: { to: a.id, data: CANDIDATE } });
const N = 1_000_000;
function run(n: number) {
  for (let i = 0; i < n; i++) {
    const [s, f] = i & 1 ? [b, frameB] : [a, frameA];
    const t = performance.now();
    const d = decodeFrame(Buffer.from(f).toString()) as Decoded;
    const p = tooDeep(d.data, MAX_NESTING_DEPTH - 1) ? null : d.data;
    core.handle(s, d.event, p, d.text);
    metrics.observe(d.event, (performance.now() - t) / 1000);
  }
}
run(200_000);
const c0 = process.cpuUsage();
run(N);
const c1 = process.cpuUsage(c0);
const ns = ((c1.user + c1.system) * 1000) / N;
console.log(mode, 'CPU ns/signal', ns.toFixed(0), out > 0);
process.exit(0);
