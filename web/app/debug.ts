/** What the page shows of the machinery: the SDP/ICE log and each tile's connection-quality words. */
import type { ParticipantStats } from '../../packages/client/src/index.js';
import { isSignalPayload } from '../../packages/client/src/negotiation.js';

/** Entries the debug view keeps: a long call would otherwise grow the page without bound. */
const DEBUG_LOG_MAX = 500;

/**
 * Appends one signal to the debug list (SDP in full, candidates one a line). A peer may send
 * anything at all: what is not an SDK payload is ignored with a warning, never read.
 */
export function logSignal(
  list: HTMLElement,
  count: HTMLElement,
  direction: 'sent' | 'received',
  peer: string,
  data: unknown,
): void {
  if (!isSignalPayload(data)) {
    console.warn(`tsunagu: malformed signal from ${peer.slice(0, 6)} ignored`);
    return;
  }
  const item = document.createElement('li');
  item.className = direction;
  const body =
    'description' in data
      ? `${String(data.description.type)}\n${String(data.description.sdp ?? '')}`
      : `candidates\n${data.candidates.map((c) => String((c as { candidate?: unknown } | null)?.candidate)).join('\n')}`;
  item.textContent = `${direction === 'sent' ? 'to' : 'from'} ${peer.slice(0, 6)}: ${body}`;
  list.append(item);
  while (list.children.length > DEBUG_LOG_MAX) list.firstElementChild?.remove();
  count.textContent = String(list.children.length);
}

/** "round trip 12 ms, 0.0 % lost, receiving 812 kbit/s": the figures behind a quality dot. */
export function describeStats(s: ParticipantStats): string {
  const rtt = s.rttMs === null ? '–' : `${Math.round(s.rttMs)} ms`;
  const loss = s.packetLoss === null ? '–' : `${(s.packetLoss * 100).toFixed(1)} %`;
  const kbps = s.inboundKbps === null ? '–' : `${Math.round(s.inboundKbps)} kbit/s`;
  return `round trip ${rtt}, ${loss} lost, receiving ${kbps}`;
}
