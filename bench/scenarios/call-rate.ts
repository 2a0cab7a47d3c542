/**
 * call-rate: call setups per second one server core carries, each server driven the way its own
 * client signals a call. A setup is the caller's offer (~4 KB SDP), the callee's answer, and each
 * side's candidate messages — as many as that system's client sent in real Chromium calls (read
 * from the latest call-setup result; the tsunagu SDK batches its candidates, the PeerJS client
 * sends one message per candidate). 50 caller/callee pairs set up calls back to back; 10 s are
 * measured after 2 s of warm-up. Connecting and joining are left out for every server alike.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CANDIDATE, connectPeer, type Endpoint, type ServerKind } from '../drivers.js';
import { median, steadyRate, withServer } from '../lib.js';

const PAIRS = 50;
const SDP = `v=0\r\n${'a=x-padding:0123456789abcdefghijklmnopqrstuvwxyz\r\n'.repeat(78)}`; // ~4 KB

/** Candidate messages per side, as the latest call-setup run counted them for `subject`. */
function candidatesPerSide(subject: ServerKind): [number, number] {
  const latest = readdirSync('bench/results')
    .filter((f) => f.startsWith('call-setup-') && f.endsWith('.json'))
    .sort()
    .pop();
  if (!latest) throw new Error('call-rate needs a call-setup result first: npm run bench -- call-setup');
  const result = JSON.parse(readFileSync(`bench/results/${latest}`, 'utf8')) as {
    runs: Record<string, Array<Record<string, number>>>;
  };
  // The same client whatever the server's recovery setting.
  const runs = result.runs[subject === 'tsunagu-noresume' ? 'tsunagu' : subject];
  if (!runs) throw new Error(`${latest} has no ${subject} run`);
  return [median(runs.map((r) => r.caller_candidate_msgs)), median(runs.map((r) => r.callee_candidate_msgs))];
}

/**
 * The call-rate load, running until `stop()`: 50 caller/callee pairs setting up calls back to back.
 * `setups()` counts the setups so far (also drives `npm run bench -- profile <server> --load calls`).
 */
export async function callLoad(
  subject: ServerKind,
  port: number,
): Promise<{ setups(): number; messagesPerSetup: number; stop(): void }> {
  const [callerCandidates, calleeCandidates] = candidatesPerSide(subject);
  let setups = 0;
  let running = true;
  const pairs: Array<[Endpoint, Endpoint]> = [];
  for (let i = 0; i < PAIRS; i++) {
    const room = `rate-${i}`;
    pairs.push([await connectPeer(subject, port, `c${i}`, room), await connectPeer(subject, port, `d${i}`, room)]);
  }
  for (const [caller, callee] of pairs) {
    // What each side still waits for before the call is set up.
    let callerWaits = 0;
    let calleeWaits = 0;
    const start = () => {
      callerWaits = 1 + calleeCandidates; // the answer, the callee's candidates
      calleeWaits = 1 + callerCandidates; // the offer, the caller's candidates
      caller.send(callee.id, { description: { type: 'offer', sdp: SDP } });
      for (let c = 0; c < callerCandidates; c++) caller.send(callee.id, CANDIDATE);
    };
    const done = () => {
      if (callerWaits > 0 || calleeWaits > 0) return;
      setups++;
      if (running) start();
    };
    callee.onMessage((_from, data) => {
      if ((data as { description?: unknown }).description) {
        callee.send(caller.id, { description: { type: 'answer', sdp: SDP } });
        for (let c = 0; c < calleeCandidates; c++) callee.send(caller.id, CANDIDATE);
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
      server_cpu: rate.cpu,
    };
  });
}
