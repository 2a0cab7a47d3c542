/**
 * The 1:1 call page (/one-to-one.html): the classic tutorial's Start video / Stop video / Connect / Hang up, grown up:
 * rooms from the URL, promise-based offer/answer, trickle ICE, and a panel of what was exchanged.
 */
import { SignalingClient } from '../packages/client/src/index.js';
import type { PeerInfo } from '../packages/client/src/protocol/events.js';
import { roomFromUrl } from './app/room-url.js';

/** What this page sends to its peer inside `signal.data`. */
type CallMessage =
  { description: RTCSessionDescriptionInit } | { candidate: RTCIceCandidateInit | null } | { bye: true };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  start: $<HTMLButtonElement>('start'),
  stop: $<HTMLButtonElement>('stop'),
  connect: $<HTMLButtonElement>('connect'),
  hangup: $<HTMLButtonElement>('hangup'),
  local: $<HTMLVideoElement>('local'),
  remote: $<HTMLVideoElement>('remote'),
  remoteLabel: $('remote-label'),
  status: $('status'),
  roomLink: $<HTMLAnchorElement>('room-link'),
  debugLog: $('debug-log'),
  debugCount: $('debug-count'),
};

const { room, url: pageUrl } = roomFromUrl();
ui.roomLink.href = pageUrl.href;
ui.roomLink.textContent = room;

const client = new SignalingClient(location.origin);
const peers = new Map<string, PeerInfo>();
let iceServers: RTCIceServer[] = [];
let localStream: MediaStream | null = null;
let pc: RTCPeerConnection | null = null;
let remoteId: string | null = null;
/** Candidates that arrive before the remote description is set cannot be added yet. */
let pendingCandidates: RTCIceCandidateInit[] = [];

function log(direction: 'sent' | 'received', kind: string, text: string): void {
  const item = document.createElement('li');
  item.className = direction;
  item.textContent = `${kind}\n${text}`;
  ui.debugLog.append(item);
  ui.debugCount.textContent = String(ui.debugLog.children.length);
}

function render(): void {
  ui.start.disabled = localStream !== null;
  ui.stop.disabled = localStream === null;
  ui.connect.disabled = pc !== null || peers.size === 0;
  ui.hangup.disabled = pc === null;
  const others = peers.size === 1 ? '1 other person' : `${peers.size} other people`;
  const call = pc ? ` · call: ${pc.connectionState}` : '';
  ui.status.textContent = `${client.state} · ${others} here${call}`;
}

function send(message: CallMessage): void {
  if (remoteId === null) return;
  if ('description' in message) log('sent', message.description.type ?? 'sdp', message.description.sdp ?? '');
  if ('candidate' in message) log('sent', 'candidate', message.candidate?.candidate || '(end of candidates)');
  client.signal(remoteId, message).catch((err: Error) => console.warn('signal failed:', err.message));
}

function createConnection(peerId: string): RTCPeerConnection {
  remoteId = peerId;
  const conn = new RTCPeerConnection({ iceServers });
  conn.onicecandidate = ({ candidate }) => send({ candidate: candidate ? candidate.toJSON() : null });
  conn.ontrack = ({ track, streams }) => {
    ui.remote.srcObject = streams[0] ?? new MediaStream([track]);
  };
  conn.onconnectionstatechange = () => {
    if (conn.connectionState === 'failed') hangUp(false);
    render();
  };
  if (localStream) for (const track of localStream.getTracks()) conn.addTrack(track, localStream);
  else {
    // Nothing to send yet: still ask to receive, so the call carries the other side's media.
    conn.addTransceiver('video', { direction: 'recvonly' });
    conn.addTransceiver('audio', { direction: 'recvonly' });
  }
  ui.remoteLabel.textContent = peers.get(peerId)?.name ?? `Peer ${peerId.slice(0, 6)}`;
  pc = conn;
  render();
  return conn;
}

async function connect(): Promise<void> {
  const [first] = peers.keys();
  if (first === undefined || pc) return;
  const conn = createConnection(first);
  await conn.setLocalDescription(await conn.createOffer());
  send({ description: conn.localDescription!.toJSON() });
}

function hangUp(notify: boolean): void {
  if (notify) send({ bye: true });
  pc?.close();
  pc = null;
  remoteId = null;
  pendingCandidates = [];
  ui.remote.srcObject = null;
  ui.remoteLabel.textContent = 'Remote';
  render();
}

async function onSignal(from: string, message: CallMessage): Promise<void> {
  if ('bye' in message) {
    if (from === remoteId) hangUp(false);
    return;
  }
  if ('description' in message) {
    const { description } = message;
    log('received', description.type ?? 'sdp', description.sdp ?? '');
    if (description.type === 'offer') {
      // A new call replaces whatever was there: this page holds one call at a time.
      if (pc) hangUp(false);
      const conn = createConnection(from);
      await conn.setRemoteDescription(description);
      await conn.setLocalDescription(await conn.createAnswer());
      send({ description: conn.localDescription!.toJSON() });
    } else if (pc && from === remoteId) {
      await pc.setRemoteDescription(description);
    }
    for (const candidate of pendingCandidates.splice(0)) await pc?.addIceCandidate(candidate);
    return;
  }
  if ('candidate' in message && from === remoteId && pc) {
    log('received', 'candidate', message.candidate?.candidate || '(end of candidates)');
    if (message.candidate === null) return;
    if (pc.remoteDescription) await pc.addIceCandidate(message.candidate);
    else pendingCandidates.push(message.candidate);
  }
}

ui.start.onclick = async () => {
  try {
    localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    ui.local.srcObject = localStream;
  } catch (err) {
    ui.status.textContent = `camera unavailable: ${(err as Error).message}`;
    return;
  }
  render();
};
ui.stop.onclick = () => {
  for (const track of localStream?.getTracks() ?? []) track.stop();
  localStream = null;
  ui.local.srcObject = null;
  render();
};
ui.connect.onclick = () => void connect().catch((err: Error) => console.error('connect failed', err));
ui.hangup.onclick = () => hangUp(true);

client.on('peer-joined', (peer) => {
  peers.set(peer.id, peer);
  render();
});
client.on('peer-left', ({ id }) => {
  peers.delete(id);
  if (id === remoteId) hangUp(false);
  render();
});
client.on('joined', (result) => {
  peers.clear();
  for (const peer of result.peers) peers.set(peer.id, peer);
  iceServers = result.iceServers;
  render();
});
client.on('signal', ({ from, data }) => {
  onSignal(from, data as CallMessage).catch((err: Error) => console.error('signal handling failed', err));
});
client.on('connection-state', render);
client.join(room).catch((err: Error) => (ui.status.textContent = `could not join: ${err.message}`));

/** A handle for tests and the curious: `tsunagu.pc` in the console. */
declare global {
  interface Window {
    tsunagu: { client: SignalingClient; readonly pc: RTCPeerConnection | null; readonly peers: Map<string, PeerInfo> };
  }
}
window.tsunagu = {
  client,
  get pc() {
    return pc;
  },
  peers,
};
