/**
 * Room: a mesh call. One `Participant` (one RTCPeerConnection) per remote peer, kept in step with
 * the room's presence; local tracks published to everyone, added, removed or replaced at any time.
 *
 * @example
 * const room = new Room('https://calls.example.org'); // or new Room(new SignalingClient(url, options))
 * room.on('track', (participant, track, stream) => attach(participant.id, stream));
 * await room.join('standup', { name: 'Aiko' });
 * const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
 * for (const track of media.getTracks()) room.publish(track, media);
 */
import { Emitter } from '@socket.io/component-emitter';
import type { JoinResult, PeerInfo } from './protocol/events.js';
import { FIRST_OFFER_FALLBACK_MS, FIRST_OFFER_SAFETY_MS, Participant } from './participant.js';
import { SignalingClient, type SignalingClientEvents, type SignalingClientOptions } from './signaling-client.js';
import type { ParticipantStats } from './stats.js';

export interface RoomEvents {
  'participant-joined': (participant: Participant) => void;
  'participant-left': (participant: Participant) => void;
  /** Its signaling link dropped; its media may well still flow. It resumes or leaves. */
  'participant-reconnecting': (participant: Participant) => void;
  'participant-resumed': (participant: Participant) => void;
  track: (participant: Participant, track: MediaStreamTrack, stream: MediaStream) => void;
  'track-removed': (participant: Participant, track: MediaStreamTrack, stream: MediaStream) => void;
  data: (participant: Participant, data: unknown) => void;
  'connection-state': (participant: Participant, state: RTCPeerConnectionState) => void;
  /** Every signal payload in and out, for debug views (the SDP/ICE panel). */
  'signal-log': (entry: { direction: 'sent' | 'received'; peer: string; data: unknown }) => void;
}

export interface RoomOptions {
  /** Merged into every RTCPeerConnection's configuration; `iceServers` from the server win if given. */
  rtcConfig?: RTCConfiguration;
  /** See `ParticipantOptions.candidateBatchMs`. */
  candidateBatchMs?: number;
  /** For the client a Room makes itself, when given a URL. */
  signaling?: SignalingClientOptions;
}

/**
 * How soon after our own join ack a `peer-joined` may come from a peer that joined at the same
 * moment on another node (the news crosses Redis in milliseconds; this leaves room for a loaded
 * node): only such a peer can have missed us in its join ack.
 */
const JOIN_RACE_MS = 2_000;

export class Room extends Emitter<RoomEvents, RoomEvents> {
  readonly participants = new Map<string, Participant>();
  /** Published local tracks, and the stream each was published with. */
  readonly localTracks = new Map<MediaStreamTrack, MediaStream>();
  #self: PeerInfo | null = null;
  /** When our last join was answered (`performance.now()`), or null before. */
  #joinedAt: number | null = null;
  /** Between `join()` and `leave()`: presence and signals are acted on, even before the join ack. */
  #active = false;
  #iceServers: RTCIceServer[] = [];
  #options: RoomOptions;
  #unsubscribe: Array<() => void> = [];
  /** Whether this Room made its client, and so closes it: one handed in belongs to its owner. */
  #ownsClient: boolean;
  readonly client: SignalingClient;

  constructor(client: SignalingClient | string, options: RoomOptions = {}) {
    super();
    this.#options = options;
    this.#ownsClient = typeof client === 'string';
    this.client = typeof client === 'string' ? new SignalingClient(client, options.signaling) : client;
    const signaling = this.client;
    const on = <E extends keyof SignalingClientEvents>(event: E, fn: SignalingClientEvents[E]) => {
      signaling.on(event, fn as never);
      this.#unsubscribe.push(() => signaling.off(event, fn as never));
    };
    on('joined', (result) => this.#sync(result));
    on('peer-joined', (peer) => {
      // Two peers can meet only by `peer-joined` when they joined at the same moment (on two
      // nodes): then neither offers first and the short fallback settles it. A peer that joins
      // later met us in its ack and offers; ours is only a safety net.
      const racing = this.#joinedAt === null || performance.now() - this.#joinedAt < JOIN_RACE_MS;
      this.#add(peer, false, racing ? FIRST_OFFER_FALLBACK_MS : FIRST_OFFER_SAFETY_MS);
    });
    on('peer-left', ({ id }) => this.#remove(id));
    on('peer-reconnecting', ({ id }) => {
      const participant = this.participants.get(id);
      if (participant) this.emit('participant-reconnecting', participant);
    });
    on('peer-resumed', ({ id }) => {
      const participant = this.participants.get(id);
      if (participant) this.emit('participant-resumed', participant);
    });
    on('signal', ({ from, data }) => {
      this.emit('signal-log', { direction: 'received', peer: from, data });
      // The server relays only within our room, so a sender we have not met yet is a peer whose
      // offer overtook its presence (it joined while our own join was in flight): meet it now,
      // or its offer is lost and the pair never connects.
      if (!this.participants.has(from)) this.#add({ id: from, name: null }, false);
      void this.participants.get(from)?.handleSignal(data);
    });
  }

  get self(): PeerInfo | null {
    return this.#self;
  }

  /** Joins `room`; resolves once the server has admitted us (calls then set up by themselves). */
  async join(room: string, options: { name?: string } = {}): Promise<JoinResult> {
    this.#active = true;
    try {
      return await this.client.join(room, options.name);
    } catch (err) {
      this.#active = this.#self !== null;
      throw err;
    }
  }

  async leave(): Promise<void> {
    this.#active = false;
    for (const id of [...this.participants.keys()]) this.#remove(id);
    this.#self = null;
    await this.client.leave();
  }

  /** Sends `track` to every participant, now and later ones. Renegotiation happens by itself. */
  publish(track: MediaStreamTrack, stream: MediaStream = new MediaStream([track])): void {
    this.localTracks.set(track, stream);
    for (const participant of this.participants.values()) participant.addTrack(track, stream);
  }

  unpublish(track: MediaStreamTrack): void {
    this.localTracks.delete(track);
    for (const participant of this.participants.values()) participant.removeTrack(track);
  }

  /**
   * Switches a published track for another of the same kind (e.g. another camera) without
   * renegotiating. The caller's `MediaStream` is left as it is (swap the track in it yourself if
   * a preview shows it); the new track goes out under the same stream id.
   */
  async replaceTrack(old: MediaStreamTrack, next: MediaStreamTrack): Promise<void> {
    const stream = this.localTracks.get(old);
    if (!stream) throw new Error('replaceTrack: that track is not published');
    this.localTracks.delete(old);
    this.localTracks.set(next, stream);
    await Promise.all([...this.participants.values()].map((p) => p.replaceTrack(old, next)));
  }

  /**
   * Sends to everyone (or to one participant) over the data channels: a JSON value, or binary
   * (`ArrayBuffer`, a typed array), which arrives as an `ArrayBuffer`.
   */
  send(data: unknown, to?: string): void {
    for (const participant of this.participants.values())
      if (to === undefined || participant.id === to) participant.send(data);
  }

  async getStats(): Promise<Map<string, ParticipantStats>> {
    const entries = await Promise.all(
      [...this.participants.values()].map(async (p) => [p.id, await p.getStats()] as const),
    );
    return new Map(entries);
  }

  /**
   * Leaves nothing behind: connections closed, listeners removed from the client, and the client
   * closed if this Room made it (one handed to the constructor is its owner's to close).
   */
  close(): void {
    for (const id of [...this.participants.keys()]) this.#remove(id);
    for (const off of this.#unsubscribe.splice(0)) off();
    if (this.#ownsClient) this.client.close();
  }

  /** After every join, including the automatic rejoin after a reconnect, which brings a new id. */
  #sync(result: JoinResult): void {
    // Connections set up under an old id (before a reconnect) are dead on the other side.
    for (const [id, participant] of this.participants) if (participant.selfId !== result.self.id) this.#remove(id);
    this.#self = result.self;
    this.#joinedAt = performance.now();
    this.#iceServers = result.iceServers;
    const present = new Set(result.peers.map((p) => p.id));
    for (const id of this.participants.keys()) if (!present.has(id)) this.#remove(id);
    // We joined: we met them in our ack, and make the first offer; they wait for it.
    for (const peer of result.peers) this.#add(peer, true);
  }

  #add(peer: PeerInfo, offerFirst: boolean, firstOfferFallbackMs = FIRST_OFFER_FALLBACK_MS): void {
    // Our id is the socket's, known from the moment it connects: no need to wait for the join ack.
    const selfId = this.client.id;
    if (!this.#active || selfId === undefined || peer.id === selfId) return;
    const known = this.participants.get(peer.id);
    if (known) {
      known.name ??= peer.name;
      return;
    }
    const rtcConfig: RTCConfiguration = { ...this.#options.rtcConfig };
    if (this.#iceServers.length > 0) rtcConfig.iceServers = this.#iceServers;
    const participant = new Participant(peer.id, peer.name, {
      selfId,
      rtcConfig,
      ...(this.#options.candidateBatchMs === undefined ? {} : { candidateBatchMs: this.#options.candidateBatchMs }),
      offerFirst,
      firstOfferFallbackMs,
      signal: (data) => {
        this.emit('signal-log', { direction: 'sent', peer: peer.id, data });
        // Unacknowledged: a peer that left while this was in flight is closed by its peer-left.
        this.client.send(peer.id, data);
      },
    });
    participant.on('track', (track, stream) => this.emit('track', participant, track, stream));
    participant.on('track-removed', (track, stream) => this.emit('track-removed', participant, track, stream));
    participant.on('data', (data) => this.emit('data', participant, data));
    participant.on('connection-state', (state) => this.emit('connection-state', participant, state));
    this.participants.set(peer.id, participant);
    for (const [track, stream] of this.localTracks) participant.addTrack(track, stream);
    this.emit('participant-joined', participant);
  }

  #remove(id: string): void {
    const participant = this.participants.get(id);
    if (!participant) return;
    this.participants.delete(id);
    participant.close();
    this.emit('participant-left', participant);
  }
}
