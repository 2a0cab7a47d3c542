/**
 * Turns a raw `RTCStatsReport` into what a person asks of a call: how long is the round trip, how
 * much is flowing, how much is lost, and so, is it good. Pure, so it is tested without a browser.
 */

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

export interface ParticipantStats {
  /** Round-trip time of the selected candidate pair, in ms. */
  rttMs: number | null;
  /** Received and sent media bitrate since the previous call, in kbit/s. */
  inboundKbps: number | null;
  outboundKbps: number | null;
  /** Fraction of inbound packets lost (0–1), over the connection's life. */
  packetLoss: number | null;
  /** Video frames decoded so far, over all inbound video. */
  framesDecoded: number;
  quality: Quality;
}

/** The fields read from the report; every stats entry is a plain object with a `type`. */
export interface StatsEntry {
  type: string;
  kind?: string;
  state?: string;
  nominated?: boolean;
  currentRoundTripTime?: number;
  bytesReceived?: number;
  bytesSent?: number;
  packetsReceived?: number;
  packetsLost?: number;
  framesDecoded?: number;
}

/** What the next summary needs from this one to compute rates. */
export interface StatsSnapshot {
  at: number;
  bytesReceived: number;
  bytesSent: number;
}

export function summarizeStats(
  entries: Iterable<StatsEntry>,
  now: number,
  previous?: StatsSnapshot,
): { stats: ParticipantStats; snapshot: StatsSnapshot } {
  let rtt: number | null = null;
  let bytesReceived = 0;
  let bytesSent = 0;
  let packetsReceived = 0;
  let packetsLost = 0;
  let framesDecoded = 0;
  for (const s of entries) {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.currentRoundTripTime !== undefined) {
      if (rtt === null || s.nominated) rtt = s.currentRoundTripTime * 1000;
    } else if (s.type === 'inbound-rtp') {
      bytesReceived += s.bytesReceived ?? 0;
      packetsReceived += s.packetsReceived ?? 0;
      packetsLost += Math.max(0, s.packetsLost ?? 0);
      if (s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
    } else if (s.type === 'outbound-rtp') {
      bytesSent += s.bytesSent ?? 0;
    }
  }
  const seconds = previous ? (now - previous.at) / 1000 : 0;
  const rate = (bytes: number, before: number | undefined) =>
    previous && seconds > 0 ? Math.max(0, ((bytes - (before ?? 0)) * 8) / 1000 / seconds) : null;
  const total = packetsReceived + packetsLost;
  const packetLoss = total > 0 ? packetsLost / total : null;
  return {
    stats: {
      rttMs: rtt,
      inboundKbps: rate(bytesReceived, previous?.bytesReceived),
      outboundKbps: rate(bytesSent, previous?.bytesSent),
      packetLoss,
      framesDecoded,
      quality: quality(rtt, packetLoss),
    },
    snapshot: { at: now, bytesReceived, bytesSent },
  };
}

/** Thresholds in the spirit of the ITU-T G.114 guidance for interactive calls. */
export function quality(rttMs: number | null, packetLoss: number | null): Quality {
  if (rttMs === null) return 'unknown';
  const loss = packetLoss ?? 0;
  if (rttMs < 150 && loss < 0.02) return 'good';
  if (rttMs < 400 && loss < 0.08) return 'fair';
  return 'poor';
}
