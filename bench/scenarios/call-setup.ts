/**
 * call-setup: two headless Chromium pages, time from Connect to the caller's first decoded remote
 * frame, over `calls` calls; with the timeline of each (offer sent, answer received, first
 * candidate, connected, first frame) and the signaling messages both pages sent. `direct` is the
 * physical limit: the two RTCPeerConnections in one page, signaled by function calls.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../test/helpers/browser.js';
import type { ServerKind } from '../drivers.js';
import type { Timeline } from '../pages/call.js';
import { quantile, sleep, startServer, stopServer } from '../lib.js';

/** Serves the bundled page on loopback (Chromium lets loopback pages reach loopback servers). */
async function hostPage(): Promise<{ url: string; close(): void }> {
  const bundle = await build({
    entryPoints: ['bench/pages/call.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
  });
  const js = bundle.outputFiles[0].text;
  const html = '<!doctype html><meta charset="utf-8"><body><script type="module" src="/call.js"></script>';
  const http = createServer((req, res) => {
    const isJs = req.url === '/call.js';
    res.writeHead(200, { 'content-type': isJs ? 'text/javascript' : 'text/html' }).end(isJs ? js : html);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, close: () => http.close() };
}

/** Signaling messages among frames a page sent: [all signals, candidate messages]. */
/**
 * The signals among a page's frames: how many, how many carried only candidates, and the size of
 * each frame (`sizes`), by what it carried — so that call-rate can send what each client sends.
 */
function countSignals(
  mode: string,
  frames: string[],
  sizes: { description: number[]; candidates: number[] },
): [number, number] {
  let signals = 0;
  let candidates = 0;
  for (const frame of frames) {
    let description: boolean;
    if (mode === 'peerjs') {
      const type = (JSON.parse(frame) as { type: string }).type;
      if (!['OFFER', 'ANSWER', 'CANDIDATE'].includes(type)) continue;
      description = type !== 'CANDIDATE';
    } else if (/^42\d*\["(signal|message)"/.test(frame)) {
      description = /"(description|sdp)"/.test(frame);
    } else continue;
    signals++;
    if (!description) candidates++;
    (description ? sizes.description : sizes.candidates).push(Buffer.byteLength(frame));
  }
  return [signals, candidates];
}

const SERVER_OF: Record<string, ServerKind | null> = {
  direct: null,
  classic: 'classic',
  tsunagu: 'tsunagu',
  peerjs: 'peerjs',
  'tsunagu-peerjs': 'tsunagu-peerjs',
};

export async function callSetup(subject: string, calls: number): Promise<Record<string, number>> {
  const kind = SERVER_OF[subject];
  const server = kind ? await startServer(kind) : null;
  const page = await hostPage();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    const mode = subject === 'tsunagu-peerjs' ? 'peerjs' : subject;
    const query = (role: string) =>
      `${page.url}/?mode=${mode}&role=${role}&server=127.0.0.1:${server?.port ?? 0}` +
      (subject === 'tsunagu-peerjs' ? '&path=/peerjs' : '');
    const open = async (role: string): Promise<Page> => {
      const context = await browser.newContext();
      await context.grantPermissions(['camera', 'microphone'], { origin: page.url });
      const tab = await context.newPage();
      await tab.goto(query(role));
      await tab.waitForFunction(() => window.bench !== undefined);
      await tab.evaluate(() => window.bench.ready);
      return tab;
    };
    const callee = subject === 'direct' ? null : await open('callee');
    const caller = await open('caller');
    const totals: number[] = [];
    /** Connect → first frame, split by which page made the offer (perfect negotiation picks it by id). */
    const byOfferer: Record<'caller' | 'callee', number[]> = { caller: [], callee: [] };
    const timelines: Timeline[] = [];
    const signals: number[] = [];
    const candidateMsgs: Array<[number, number]> = [];
    const sizes = { description: [] as number[], candidates: [] as number[] };
    let failed = 0;
    for (let i = 0; i < calls + 1; i++) {
      await callee?.evaluate(() => window.bench.count());
      let timeline: Timeline;
      let t0: number;
      try {
        timeline = await caller.evaluate(() => window.bench.call());
        t0 = await caller.evaluate(() => window.t0!);
      } catch (err) {
        failed++;
        const state = `caller: ${await caller.evaluate(() => window.describe?.() ?? '')}; callee: ${await callee?.evaluate(() => window.describe?.() ?? '')}`;
        console.error(`${subject} call ${i}: ${(err as Error).message.split('\n')[0]} ${state}`);
        await caller.evaluate(() => window.bench.hangUp());
        await sleep(300);
        continue;
      }
      await sleep(300); // candidates still trickling once the first frame shows
      const [mine, theirs, calleeTimeline] = await Promise.all([
        caller.evaluate(() => window.sent),
        callee?.evaluate(() => window.sent) ?? [],
        callee?.evaluate(() => window.timeline) ?? ({} as Timeline),
      ]);
      await caller.evaluate(() => window.bench.hangUp());
      await sleep(300); // the callee has seen the hang-up
      if (i === 0) continue; // the first call warms up (media pipeline, JIT)
      // Offer, answer and first candidate happen on whichever page offers: the earliest of both.
      const first = (a?: number, b?: number) => Math.min(a ?? Infinity, b ?? Infinity) - t0;
      timelines.push({
        offer: first(timeline.offer, calleeTimeline.offer),
        answer: first(timeline.answer, calleeTimeline.answer),
        candidate: first(timeline.candidate, calleeTimeline.candidate),
        connected: timeline.connected! - t0,
        frame: timeline.frame! - t0,
      });
      totals.push(timeline.frame! - t0);
      const callerOffered = (timeline.offer ?? Infinity) <= (calleeTimeline.offer ?? Infinity);
      byOfferer[callerOffered ? 'caller' : 'callee'].push(timeline.frame! - t0);
      const [callerSignals, callerCandidates] = countSignals(mode, mine, sizes);
      const [calleeSignals, calleeCandidates] = countSignals(mode, theirs, sizes);
      signals.push(callerSignals + calleeSignals);
      candidateMsgs.push([callerCandidates, calleeCandidates]);
    }
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const med = (xs: Array<number | undefined>) => {
      const defined = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
      return defined.length ? +quantile(sorted(defined), 0.5).toFixed(1) : -1;
    };
    return {
      p50_ms: +quantile(sorted(totals), 0.5).toFixed(1),
      p95_ms: +quantile(sorted(totals), 0.95).toFixed(1),
      offer_ms: med(timelines.map((t) => t.offer)),
      answer_ms: med(timelines.map((t) => t.answer)),
      candidate_ms: med(timelines.map((t) => t.candidate)),
      connected_ms: med(timelines.map((t) => t.connected)),
      msgs_per_call: med(signals),
      caller_candidate_msgs: med(candidateMsgs.map((c) => c[0])),
      callee_candidate_msgs: med(candidateMsgs.map((c) => c[1])),
      description_msg_bytes: med(sizes.description),
      candidate_msg_bytes: med(sizes.candidates),
      failed_calls: failed,
      caller_offered_calls: byOfferer.caller.length,
      p50_caller_offered_ms: med(byOfferer.caller),
      p50_callee_offered_ms: med(byOfferer.callee),
    };
  } finally {
    await browser.close();
    page.close();
    if (server) await stopServer(server);
  }
}
