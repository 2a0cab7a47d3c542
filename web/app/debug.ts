/** What the page shows of the machinery: the SDP/ICE log and each tile's connection-quality words. */
import type { ParticipantStats } from '../../src/client/index.js';

/** Appends one signal to the debug list (SDP in full, candidates one a line). */
export function logSignal(
  list: HTMLElement,
  count: HTMLElement,
  direction: 'sent' | 'received',
  peer: string,
  data: unknown,
): void {
  const item = document.createElement('li');
  item.className = direction;
  const d = data as { description?: RTCSessionDescriptionInit; candidates?: RTCIceCandidateInit[] };
  const body = d.description
    ? `${d.description.type}\n${d.description.sdp ?? ''}`
    : `candidates\n${(d.candidates ?? []).map((c) => c.candidate).join('\n')}`;
  item.textContent = `${direction === 'sent' ? 'to' : 'from'} ${peer.slice(0, 6)}: ${body}`;
  list.append(item);
  count.textContent = String(list.children.length);
}

/** "round trip 12 ms, 0.0 % lost, receiving 812 kbit/s": the figures behind a quality dot. */
export function describeStats(s: ParticipantStats): string {
  const rtt = s.rttMs === null ? '–' : `${Math.round(s.rttMs)} ms`;
  const loss = s.packetLoss === null ? '–' : `${(s.packetLoss * 100).toFixed(1)} %`;
  const kbps = s.inboundKbps === null ? '–' : `${Math.round(s.inboundKbps)} kbit/s`;
  return `round trip ${rtt}, ${loss} lost, receiving ${kbps}`;
}
