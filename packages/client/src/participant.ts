/**
 * One remote participant of a mesh room: its RTCPeerConnection, negotiated the "perfect negotiation"
 * way (so simultaneous offers never deadlock), with trickle ICE, an ICE restart when the connection
 * fails, and a data channel for app messages.
 *
 * Signals go out in as few messages as the timing allows: a description waits for its first
 * candidates (a pass of gathering, up to `candidateBatchMs`) and carries them in its SDP;
 * candidates gathered after that go out in batches. When host candidates are all a call needs (a
 * LAN, loopback), the call is set up by two signals: the offer and the answer.
 */
import { Emitter } from '@socket.io/component-emitter';
import { isPolite, isSignalPayload, type SignalPayload } from './negotiation.js';
import { summarizeStats, type ParticipantStats, type StatsEntry, type StatsSnapshot } from './stats.js';

export interface ParticipantEvents {
  track: (track: MediaStreamTrack, stream: MediaStream) => void;
  'track-removed': (track: MediaStreamTrack, stream: MediaStream) => void;
  /** A JSON value the other side sent, or an `ArrayBuffer` for binary. */
  data: (data: unknown) => void;
  'connection-state': (state: RTCPeerConnectionState) => void;
}

export interface ParticipantOptions {
  selfId: string;
  rtcConfig: RTCConfiguration;
  /** Sends a payload to this participant through the signaling server. */
  signal: (payload: SignalPayload) => void;
  /**
   * How long ICE candidates are gathered before they go out together — in the description's SDP
   * for the first ones, then as a `candidates` batch; gathering complete sends what there is at
   * once. Default 10 ms; 0 sends each description and candidate at once.
   */
  candidateBatchMs?: number;
  /**
   * Whether this side makes the first offer: the side that joined, which met the other in its join
   * ack (the classic caller's role). The other side waits for that offer, so that the joiner's first
   * remote frame is not held up by a round trip the wrong way.
   */
  offerFirst: boolean;
  /**
   * When this side does not offer first: how long it waits for the other's first offer before
   * offering anyway. Default `FIRST_OFFER_FALLBACK_MS`; the Room gives `FIRST_OFFER_SAFETY_MS` to a
   * peer that cannot be in the race the fallback exists for.
   */
  firstOfferFallbackMs?: number;
}

/**
 * How long the side that does not offer first waits before offering anyway: two peers joining at
 * once (on two nodes) may each meet the other first by `peer-joined`, and neither would offer.
 * Long enough that a joiner on a busy machine has sent its offer by then (an offer from both sides
 * costs a rollback and an ICE restart), short enough for the rare race.
 */
export const FIRST_OFFER_FALLBACK_MS = 3_000;

/**
 * The fallback for a peer that joined while we had been in the room a while: it met us in its join
 * ack and offers first, so ours is only a safety net (a client that never offers), long enough that
 * no newcomer on a loaded machine is met by a second offer.
 */
export const FIRST_OFFER_SAFETY_MS = 15_000;

/**
 * How long a description waits after its first candidate: one pass of gathering (every interface,
 * every m-line) announces its candidates within a fraction of a millisecond; the next (TCP, relay)
 * comes tens of milliseconds later and is trickled.
 */
const GATHERING_PASS_MS = 2;

/** The data channel is negotiated out of band (same id on both sides), so neither side must open it first. */
const DATA_CHANNEL = { label: 'tsunagu', id: 0 };

/**
 * What `send()` keeps for a channel not open yet. A channel that never opens (the peer never
 * connects) must not hold an app's messages for ever: past these, the oldest go first.
 */
export const OUTBOX_LIMITS = { messages: 256, bytes: 1024 * 1024 };

type Outgoing = string | ArrayBuffer;
const sizeOf = (m: Outgoing) => (typeof m === 'string' ? m.length * 2 : m.byteLength);

export class Participant extends Emitter<ParticipantEvents, ParticipantEvents> {
  readonly pc: RTCPeerConnection;
  readonly polite: boolean;
  /** Our own peer id when this connection was made; a reconnect gives us another. */
  readonly selfId: string;
  #channel: RTCDataChannel;
  #options: ParticipantOptions;
  #makingOffer = false;
  #ignoreOffer = false;
  /** Signals are applied one at a time, in arrival order: each step awaits the previous one. */
  #queue: Promise<void> = Promise.resolve();
  #candidates: RTCIceCandidateInit[] = [];
  #candidateTimer: ReturnType<typeof setTimeout> | null = null;
  /** A local description waiting for its first candidates, which will ride in its SDP. */
  #describing: 'offer' | 'answer' | null = null;
  #offerFirst: boolean;
  #firstOfferTimer: ReturnType<typeof setTimeout> | null = null;
  #outbox: Outgoing[] = [];
  #outboxBytes = 0;
  #senders = new Map<MediaStreamTrack, RTCRtpSender>();
  #stats?: StatsSnapshot;
  #closed = false;

  constructor(
    readonly id: string,
    public name: string | null,
    options: ParticipantOptions,
  ) {
    super();
    this.#options = options;
    this.selfId = options.selfId;
    this.polite = isPolite(options.selfId, id);
    this.pc = new RTCPeerConnection(options.rtcConfig);
    this.#channel = this.pc.createDataChannel(DATA_CHANNEL.label, { negotiated: true, id: DATA_CHANNEL.id });
    this.#channel.binaryType = 'arraybuffer';
    this.#channel.onopen = () => {
      this.#outboxBytes = 0;
      for (const message of this.#outbox.splice(0)) this.#sendNow(message);
    };
    this.#channel.onmessage = ({ data }: MessageEvent<unknown>) => {
      if (data instanceof ArrayBuffer) return void this.emit('data', data);
      let value: unknown;
      try {
        value = JSON.parse(data as string);
      } catch {
        return; // Not ours: another app on the same channel, or garbage. Nothing to deliver.
      }
      // Outside the try: an exception in the app's handler is the app's, and must not vanish.
      this.emit('data', value);
    };

    this.#offerFirst = options.offerFirst;
    this.pc.onnegotiationneeded = () => {
      // The first offer of a pair is one side's only: both offering at once is legal, but it costs
      // a rollback, and Chromium sometimes gathers no candidates after one. The browser fires
      // negotiationneeded again once the first exchange is done, if we still need it.
      if (!this.#offerFirst && this.pc.currentRemoteDescription === null) return;
      void this.#offer();
    };
    if (!this.#offerFirst) {
      this.#firstOfferTimer = setTimeout(() => {
        if (this.#closed || this.pc.currentRemoteDescription !== null || this.pc.signalingState !== 'stable') return;
        this.#offerFirst = true;
        void this.#offer();
      }, options.firstOfferFallbackMs ?? FIRST_OFFER_FALLBACK_MS);
    }
    this.pc.onicecandidate = ({ candidate }) => {
      // null: gathering is complete, nothing is worth waiting for.
      if (candidate) this.#queueCandidate(candidate.toJSON());
      else this.#flushCandidates();
    };
    this.pc.ontrack = ({ track, streams }) => {
      const stream = streams[0] ?? new MediaStream([track]);
      stream.onremovetrack = ({ track: removed }) => this.emit('track-removed', removed, stream);
      this.emit('track', track, stream);
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      // A failed path (network change, NAT rebinding) gets a fresh ICE gathering; negotiationneeded follows.
      if (state === 'failed') this.pc.restartIce();
      this.emit('connection-state', state);
    };
  }

  async #offer(): Promise<void> {
    try {
      this.#makingOffer = true;
      await this.pc.setLocalDescription();
      this.#describe('offer');
    } catch (err) {
      if (!this.#closed) console.warn(`tsunagu: offer to ${this.id} failed`, err);
    } finally {
      this.#makingOffer = false;
    }
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Applies a payload this participant sent through the signaling server. */
  handleSignal(data: unknown): Promise<void> {
    if (!isSignalPayload(data)) {
      // Another client wrote it: ignored, never thrown at the app.
      console.warn(`tsunagu: malformed signal from ${this.id} ignored`);
      return Promise.resolve();
    }
    this.#queue = this.#queue
      .then(() => this.#apply(data))
      .catch((err: unknown) => {
        if (!this.#closed) console.warn(`tsunagu: signal from ${this.id} failed`, err);
      });
    return this.#queue;
  }

  async #apply(payload: SignalPayload): Promise<void> {
    if ('description' in payload) {
      const { description } = payload;
      const collision = description.type === 'offer' && (this.#makingOffer || this.pc.signalingState !== 'stable');
      this.#ignoreOffer = !this.polite && collision;
      if (this.#ignoreOffer) return;
      await this.pc.setRemoteDescription(description); // rolls back our own offer when polite
      if (description.type === 'offer') {
        await this.pc.setLocalDescription();
        this.#describe('answer');
        // After a rollback Chromium may never emit candidates for the transport it reused;
        // an ICE restart gathers afresh, at the cost of one more offer/answer.
        if (collision) this.pc.restartIce();
      }
      return;
    }
    for (const candidate of payload.candidates) {
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (err) {
        // Candidates of an offer we ignored belong to nothing; anything else is a real error.
        if (!this.#ignoreOffer) throw err;
      }
    }
  }

  /**
   * Sends the local description just set, once its first candidates are in it. The browser adds
   * each candidate to the local description's SDP before announcing it, so candidates queued by
   * then need no message of their own.
   */
  #describe(type: 'offer' | 'answer'): void {
    const wait = this.#options.candidateBatchMs ?? 10;
    // One still waiting goes first, as it is: an answer followed at once by our own offer (an ICE
    // restart after glare) must not be lost behind it.
    if (this.#describing !== null) this.#flushCandidates();
    this.#describing = type;
    this.#candidates.length = 0; // gathered earlier: in this description too
    if (wait <= 0 || this.pc.iceGatheringState === 'complete') return this.#flushCandidates();
    this.#flushIn(wait);
  }

  #queueCandidate(candidate: RTCIceCandidateInit): void {
    this.#candidates.push(candidate);
    const wait = this.#options.candidateBatchMs ?? 10;
    if (wait <= 0) return this.#flushCandidates();
    // A description waits for the first pass of gathering, not for the whole window.
    if (this.#describing !== null && this.#candidates.length === 1) this.#flushIn(Math.min(wait, GATHERING_PASS_MS));
    else this.#candidateTimer ??= setTimeout(() => this.#flushCandidates(), wait);
  }

  #flushIn(ms: number): void {
    if (this.#candidateTimer) clearTimeout(this.#candidateTimer);
    this.#candidateTimer = setTimeout(() => this.#flushCandidates(), ms);
  }

  #flushCandidates(): void {
    if (this.#candidateTimer) clearTimeout(this.#candidateTimer);
    this.#candidateTimer = null;
    if (this.#closed) return;
    const describing = this.#describing;
    if (describing !== null) {
      this.#describing = null;
      this.#candidates.length = 0; // in the description
      // An offer rolled back meanwhile (the other side's offer won) is not sent: our answer is.
      const description =
        describing === 'offer'
          ? this.pc.signalingState === 'have-local-offer'
            ? this.pc.pendingLocalDescription
            : null
          : this.pc.currentLocalDescription;
      if (description?.type === describing) this.#options.signal({ description: description.toJSON() });
      return;
    }
    if (this.#candidates.length === 0) return;
    this.#options.signal({ candidates: this.#candidates.splice(0) });
  }

  addTrack(track: MediaStreamTrack, stream: MediaStream): void {
    if (this.#senders.has(track)) return;
    this.#senders.set(track, this.pc.addTrack(track, stream));
  }

  removeTrack(track: MediaStreamTrack): void {
    const sender = this.#senders.get(track);
    if (!sender) return;
    this.#senders.delete(track);
    if (this.pc.signalingState !== 'closed') this.pc.removeTrack(sender);
  }

  /** Swaps what a sender carries without renegotiating (device switch). */
  async replaceTrack(old: MediaStreamTrack, next: MediaStreamTrack): Promise<void> {
    const sender = this.#senders.get(old);
    if (!sender) return;
    this.#senders.delete(old);
    this.#senders.set(next, sender);
    await sender.replaceTrack(next);
  }

  /**
   * Sends a JSON-serialisable value, or binary (`ArrayBuffer`, a typed array or `DataView`, which
   * arrives as an `ArrayBuffer`), over the data channel. Queued until the channel opens, within
   * `OUTBOX_LIMITS` (the oldest dropped past them).
   */
  send(data: unknown): void {
    const message: Outgoing =
      data instanceof ArrayBuffer
        ? data
        : ArrayBuffer.isView(data)
          ? (data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer)
          : JSON.stringify(data);
    if (this.#channel.readyState === 'open') return this.#sendNow(message);
    this.#outbox.push(message);
    this.#outboxBytes += sizeOf(message);
    while (this.#outbox.length > OUTBOX_LIMITS.messages || this.#outboxBytes > OUTBOX_LIMITS.bytes)
      this.#outboxBytes -= sizeOf(this.#outbox.shift()!);
  }

  /** How many messages wait for the channel to open. */
  get queued(): number {
    return this.#outbox.length;
  }

  #sendNow(message: Outgoing): void {
    if (typeof message === 'string') this.#channel.send(message);
    else this.#channel.send(message);
  }

  async getStats(): Promise<ParticipantStats> {
    const report = await this.pc.getStats();
    const { stats, snapshot } = summarizeStats(report.values() as Iterable<StatsEntry>, Date.now(), this.#stats);
    this.#stats = snapshot;
    return stats;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#candidateTimer) clearTimeout(this.#candidateTimer);
    if (this.#firstOfferTimer) clearTimeout(this.#firstOfferTimer);
    this.#outbox.length = 0;
    this.#channel.close();
    this.pc.close();
  }
}
