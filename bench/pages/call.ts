/**
 * The call-setup page (bundled by bench/scenarios/call-setup.ts): one video call, set up the way
 * each system's own client does it, timed from "Connect" to the first decoded remote frame.
 * `?mode=direct` — two RTCPeerConnections in this page, no server: the physical limit.
 * `?mode=classic` — the tutorial's page over the classic relay: offer, answer and every candidate
 * broadcast with `socket.send`. `?mode=tsunagu` — the tsunagu SDK's Room (batched candidates).
 * `?mode=peerjs` — the PeerJS client (`peer.call`), against PeerJS server or tsunagu's endpoint.
 * `?role=callee` answers and stays; `role=caller` calls when the bench says `bench.call()`.
 */
import { Peer, type MediaConnection } from 'peerjs';
import { io } from 'socket.io-client';
import { Room, SignalingClient } from '../../packages/client/src/index.js';

/**
 * When each step of a call happened on this page (wall-clock ms; bench/scenarios/call-setup.ts
 * merges both pages' and subtracts Connect). Whichever side offers, the other answers.
 */
export interface Timeline {
  offer?: number;
  answer?: number;
  candidate?: number;
  connected?: number;
  frame?: number;
}

declare global {
  interface Window {
    bench: {
      ready: Promise<void>;
      /** Starts a call; on the callee, `count()` instead starts recording what it sends. */
      call(): Promise<Timeline>;
      count(): void;
      hangUp(): Promise<void>;
    };
    /** Set by call() (or count() on the callee): when the call began, wall-clock ms. */
    t0?: number;
    timeline: Timeline;
    /** Every WebSocket frame this page sent since t0. */
    sent: string[];
    /** The state of the page's calls, for a report when one fails. */
    describe?: () => string;
  }
}

const params = new URLSearchParams(location.search);
const mode = params.get('mode')!;
const role = params.get('role') ?? 'caller';
const server = params.get('server') ?? '';
/** Wall-clock ms with sub-ms precision: the two pages' marks are merged on one clock. */
const now = () => performance.timeOrigin + performance.now();
const mark = (what: keyof Timeline) => {
  if (window.t0 !== undefined && window.timeline[what] === undefined) window.timeline[what] = now();
};

// Library-agnostic timeline: every RTCPeerConnection of the page reports its first offer sent,
// answer received, candidate gathered and connection.
const NativePC = RTCPeerConnection;
window.RTCPeerConnection = class extends NativePC {
  constructor(config?: RTCConfiguration) {
    super(config);
    this.addEventListener('icecandidate', (e) => e.candidate && mark('candidate'));
    this.addEventListener('connectionstatechange', () => this.connectionState === 'connected' && mark('connected'));
  }
  override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    await super.setLocalDescription(description);
    if (this.localDescription?.type === 'offer') mark('offer');
  }
  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    await super.setRemoteDescription(description);
    if (description.type === 'answer') mark('answer');
  }
} as typeof RTCPeerConnection;
window.sent = [];
window.timeline = {};
const nativeSend = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  if (window.t0 !== undefined && typeof data === 'string') window.sent.push(data);
  return nativeSend.call(this, data);
};

const media = navigator.mediaDevices.getUserMedia({ video: true, audio: true });

/** Resolves when `stream`'s video shows its first decoded frame. */
function firstFrame(stream: MediaStream): Promise<void> {
  const video = document.createElement('video');
  Object.assign(video, { muted: true, autoplay: true, playsInline: true, srcObject: stream });
  document.body.append(video);
  return new Promise((resolve) => video.requestVideoFrameCallback(() => resolve()));
}

async function direct(): Promise<Timeline> {
  const stream = await media;
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => void b.addIceCandidate(e.candidate ?? undefined);
  b.onicecandidate = (e) => void a.addIceCandidate(e.candidate ?? undefined);
  for (const track of stream.getTracks()) {
    a.addTrack(track, stream);
    b.addTrack(track, stream);
  }
  const shown = new Promise<void>(
    (resolve) => (a.ontrack = (e) => e.track.kind === 'video' && resolve(firstFrame(e.streams[0]))),
  );
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await shown;
  mark('frame');
  hangUps.push(async () => {
    a.close();
    b.close();
  });
  return window.timeline;
}

/** The tutorial's page: everything goes to everyone else as `message`. */
type System = Pick<Window['bench'], 'ready' | 'call' | 'hangUp'>;

function classic(): System {
  const socket = io(`http://${server}`, { transports: ['websocket'] });
  let pc: RTCPeerConnection | null = null;
  let shown: () => void = () => {};
  const open = async () => {
    const stream = await media;
    pc = new RTCPeerConnection();
    pc.onicecandidate = (e) => e.candidate && socket.send({ type: 'candidate', ice: e.candidate });
    pc.ontrack = (e) => e.track.kind === 'video' && firstFrame(e.streams[0]).then(() => shown());
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    return pc;
  };
  socket.on('message', async (message: { type: string; sdp?: string; ice?: RTCIceCandidateInit }) => {
    if (message.type === 'offer') {
      const answering = await open();
      await answering.setRemoteDescription({ type: 'offer', sdp: message.sdp });
      await answering.setLocalDescription();
      socket.send({ type: 'answer', sdp: answering.localDescription!.sdp });
    } else if (message.type === 'answer') await pc?.setRemoteDescription({ type: 'answer', sdp: message.sdp });
    else if (message.type === 'candidate') await pc?.addIceCandidate(message.ice);
    else if (message.type === 'bye') pc?.close();
  });
  return {
    ready: new Promise((resolve) => socket.once('connect', () => resolve())),
    async call() {
      const calling = await open();
      const done = new Promise<void>((resolve) => (shown = resolve));
      await calling.setLocalDescription();
      socket.send({ type: 'offer', sdp: calling.localDescription!.sdp });
      await done;
      mark('frame');
      return window.timeline;
    },
    async hangUp() {
      socket.send({ type: 'bye' });
      pc?.close();
    },
  };
}

function tsunagu(): System {
  const room = new Room(new SignalingClient(`http://${server}`));
  const ready = media.then((stream) => {
    for (const track of stream.getTracks()) room.publish(track, stream);
  });
  let shown: () => void = () => {};
  const log: string[] = [];
  room.on('signal-log', ({ direction, peer, data }) =>
    log.push(`${direction} ${peer.slice(0, 4)} ${JSON.stringify(data).slice(0, 40)}`),
  );
  room.client.on('peer-joined', (p) => log.push(`peer-joined ${p.id.slice(0, 4)}`));
  room.client.on('peer-left', (p) => log.push(`peer-left ${p.id.slice(0, 4)}`));
  room.client.on('joined', (r) =>
    log.push(`joined as ${r.self.id.slice(0, 4)} with ${r.peers.map((p) => p.id.slice(0, 4))}`),
  );
  window.describe = () =>
    `[${log.slice(-8).join(' | ')}] ` +
      [...room.participants.values()]
        .map(
          (p) =>
            `${p.id}: ${p.pc.connectionState}/${p.pc.signalingState}/${p.pc.iceConnectionState} polite=${p.polite}`,
        )
        .join(', ') || `no participants (self ${room.self?.id})`;
  room.on('track', (_participant, track, stream) => {
    if (track.kind === 'video') void firstFrame(stream).then(() => shown());
  });
  return {
    ready: role === 'callee' ? ready.then(() => room.join('bench-call')).then(() => {}) : ready,
    async call() {
      const done = new Promise<void>((resolve) => (shown = resolve));
      await room.join('bench-call');
      await done;
      mark('frame');
      return window.timeline;
    },
    hangUp: () => room.leave(),
  };
}

function peerjs(): System {
  const [host, port] = server.split(':');
  const path = params.get('path') ?? '/';
  const peer = new Peer(role === 'callee' ? 'bench-callee' : `bench-caller-${Date.now()}`, {
    host,
    port: Number(port),
    path,
  });
  let current: MediaConnection | null = null;
  peer.on('call', async (incoming) => {
    incoming.answer(await media);
  });
  return {
    ready: new Promise((resolve, reject) => {
      peer.once('open', () => resolve());
      peer.once('error', reject);
    }),
    async call() {
      current = peer.call('bench-callee', await media);
      await new Promise<void>((resolve) =>
        current!.on('stream', (stream) => void firstFrame(stream).then(() => resolve())),
      );
      mark('frame');
      return window.timeline;
    },
    async hangUp() {
      current?.close();
    },
  };
}

const hangUps: Array<() => Promise<void>> = [];
const system: System =
  mode === 'direct'
    ? { ready: media.then(() => {}), call: direct, hangUp: async () => void (await hangUps.pop()?.()) }
    : mode === 'classic'
      ? classic()
      : mode === 'tsunagu'
        ? tsunagu()
        : peerjs();

window.bench = {
  ready: system.ready,
  async call() {
    window.timeline = {};
    window.sent = [];
    window.t0 = now();
    // A call that never shows a frame is reported, not waited for forever.
    return Promise.race([
      system.call(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no frame within 20 s')), 20_000)),
    ]);
  },
  count() {
    window.timeline = {};
    window.sent = [];
    window.t0 = now();
  },
  hangUp: () => system.hangUp(),
};
