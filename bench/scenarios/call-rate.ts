/**
 * call-rate: call setups per second one server core carries, each server driven the way its own
 * client signals a call. A setup is the caller's offer, the callee's answer, and each side's
 * candidate messages — as many, and as large, as that system's client sent in real Chromium calls
 * (read from the latest call-setup result: the tsunagu SDK puts the first candidates in the
 * description and batches later ones, the PeerJS client sends one message per candidate). Like the
 * SDK's Room, the tsunagu driver sends its signals without an ack. 50 caller/callee pairs set up calls back to back; 10 s are
 * measured after 2 s of warm-up. Connecting and joining are left out for every server alike.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CANDIDATE, connectPeer, frameBytes, type Endpoint, type ServerKind } from '../drivers.js';
import { median, steadyRate, withServer } from '../lib.js';

const PAIRS = 50;
const SDP_LINE = 'a=x-padding:0123456789abcdefghijklmnopqrstuvwxyz\r\n';

/**
 * `make(n)` for the `n` that makes the frame `kind`'s client sends to `to` `bytes` long: SDP-like
 * text escapes like SDP does (its line ends), so the server parses and writes what it would.
 */
function sized(kind: ServerKind, to: string, bytes: number, make: (n: number) => unknown): unknown {
  let n = bytes;
  let data = make(n);
  for (let i = 0; i < 10; i++) {
    const over = frameBytes(kind, to, data) - bytes;
    if (over === 0) break;
    n = Math.max(0, n - Math.sign(over) * Math.max(1, Math.floor(Math.abs(over) * 0.9)));
    data = make(n);
  }
  return data;
}
const sdpOf = (n: number) => `v=0\r\n${SDP_LINE.repeat(Math.ceil(n / SDP_LINE.length))}`.slice(0, n);
const description = (kind: ServerKind, to: string, bytes: number, type: 'offer' | 'answer') =>
  sized(kind, to, bytes, (n) => ({ description: { type, sdp: sdpOf(n) } }));
const candidates = (kind: ServerKind, to: string, bytes: number) =>
  sized(kind, to, bytes, (n) => ({
    candidates: [{ ...CANDIDATE.candidates[0], candidate: `${CANDIDATE.candidates[0].candidate} ${'x'.repeat(n)}` }],
  }));

/** What the latest call-setup run counted for `subject`'s client: candidate messages per side, frame sizes. */
function measured(subject: ServerKind): {
  callerCandidates: number;
  calleeCandidates: number;
  descriptionBytes: number;
  candidateBytes: number;
} {
  const latest = readdirSync('bench/results')
    .filter((f) => f.startsWith('call-setup-') && f.endsWith('.json'))
    .sort()
    .pop();
  if (!latest) throw new Error('call-rate needs a call-setup result first: npm run bench -- call-setup');
  const result = JSON.parse(readFileSync(`bench/results/${latest}`, 'utf8')) as {
    runs: Record<string, Array<Record<string, number>>>;
  };
  // The same client (the SDK's signals) whatever the server's recovery setting or edge.
  const runs = result.runs[subject === 'tsunagu-noresume' || subject === 'tsunagu-v1' ? 'tsunagu' : subject];
  if (!runs) throw new Error(`${latest} has no ${subject} run`);
  const medianOr = (key: string, fallback: number) => {
    const values = runs.map((r) => r[key]).filter((v) => v !== undefined && v > 0);
    return values.length > 0 ? Math.round(median(values)) : fallback;
  };
  return {
    callerCandidates: median(runs.map((r) => r.caller_candidate_msgs)),
    calleeCandidates: median(runs.map((r) => r.callee_candidate_msgs)),
    // Results from before sizes were recorded: a ~4 KB description, a one-candidate message.
    descriptionBytes: medianOr('description_msg_bytes', 4_000),
    candidateBytes: medianOr('candidate_msg_bytes', 250),
  };
}

/**
 * The call-rate load, running until `stop()`: 50 caller/callee pairs setting up calls back to back.
 * `setups()` counts the setups so far (also drives `npm run bench -- profile <server> --load calls`).
 */
export async function callLoad(
  subject: ServerKind,
  port: number,
): Promise<{ setups(): number; messagesPerSetup: number; bytesPerSetup: number; stop(): void }> {
  const { callerCandidates, calleeCandidates, descriptionBytes, candidateBytes } = measured(subject);
  let setups = 0;
  let running = true;
  const pairs: Array<[Endpoint, Endpoint]> = [];
  for (let i = 0; i < PAIRS; i++) {
    const room = `rate-${i}`;
    pairs.push([await connectPeer(subject, port, `c${i}`, room), await connectPeer(subject, port, `d${i}`, room)]);
  }
  for (const [caller, callee] of pairs) {
    const offer = description(subject, callee.id, descriptionBytes, 'offer');
    const answer = description(subject, caller.id, descriptionBytes, 'answer');
    const callerCandidate = candidates(subject, callee.id, candidateBytes);
    const calleeCandidate = candidates(subject, caller.id, candidateBytes);
    // What each side still waits for before the call is set up.
    let callerWaits = 0;
    let calleeWaits = 0;
    const start = () => {
      callerWaits = 1 + calleeCandidates; // the answer, the callee's candidates
      calleeWaits = 1 + callerCandidates; // the offer, the caller's candidates
      caller.send(callee.id, offer);
      for (let c = 0; c < callerCandidates; c++) caller.send(callee.id, callerCandidate);
    };
    const done = () => {
      if (callerWaits > 0 || calleeWaits > 0) return;
      setups++;
      if (running) start();
    };
    callee.onMessage((_from, data) => {
      if ((data as { description?: unknown }).description) {
        callee.send(caller.id, answer);
        for (let c = 0; c < calleeCandidates; c++) callee.send(caller.id, calleeCandidate);
      }
      calleeWaits--;
      done();
    });
    caller.onMessage(() => {
      callerWaits--;
      done();
    });
    start();
  }
  return {
    setups: () => setups,
    messagesPerSetup: 2 + callerCandidates + calleeCandidates,
    bytesPerSetup: 2 * descriptionBytes + (callerCandidates + calleeCandidates) * candidateBytes,
    stop() {
      running = false;
      for (const [a, b] of pairs) {
        a.close();
        b.close();
      }
    },
  };
}

export async function callRate(subject: ServerKind): Promise<Record<string, number>> {
  return withServer(subject, async (server) => {
    const load = await callLoad(subject, server.port);
    const rate = await steadyRate(server, load.setups);
    load.stop();
    return {
      setups_per_s: rate.perSecond,
      setups_per_core_s: rate.perCpuSecond,
      msgs_per_setup: load.messagesPerSetup,
      bytes_per_setup: load.bytesPerSetup,
      server_cpu: rate.cpu,
    };
  });
}
