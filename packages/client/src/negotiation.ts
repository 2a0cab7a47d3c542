/**
 * What travels inside `signal.data` between two SDK peers, and the perfect-negotiation roles.
 * Documented in docs/protocol.md ("The SDK's signal payloads").
 */

export type SignalPayload =
  | { description: RTCSessionDescriptionInit }
  /** Candidates gathered within a few ms travel together: one relayed message instead of several. */
  | { candidates: RTCIceCandidateInit[] };

export function isSignalPayload(data: unknown): data is SignalPayload {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as { description?: unknown; candidates?: unknown };
  if (typeof d.description === 'object' && d.description !== null) {
    const type = (d.description as { type?: unknown }).type;
    return type === 'offer' || type === 'answer' || type === 'rollback';
  }
  return Array.isArray(d.candidates);
}

/**
 * Perfect negotiation needs exactly one polite side per pair, agreed without a message: the peer
 * with the greater id yields (rolls back its own offer) when both offer at once.
 */
export function isPolite(selfId: string, remoteId: string): boolean {
  return selfId > remoteId;
}
