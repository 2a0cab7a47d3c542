/**
 * The video-call app: a mesh call for up to 8 people on the SDK's `Room` — grid, mute, camera,
 * screen share, device choice, chat, per-tile connection quality, and the SDP/ICE debug view.
 */
import { Room, SignalingClient, SignalingError, type Participant } from '../packages/client/src/index.js';
import { describeMediaError, getCamera, listDevices } from './app/media.js';
import { roomFromUrl } from './app/room-url.js';
import { Tiles } from './app/tiles.js';

/** What app instances tell each other over the data channels. */
type AppMessage =
  { kind: 'chat'; text: string } | { kind: 'state'; camera: boolean; mic: boolean; screen: string | null };

interface RemoteState {
  streams: Map<string, MediaStream>;
  camera: boolean;
  screen: string | null;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  roomName: $('room-name'),
  copyLink: $<HTMLButtonElement>('copy-link'),
  status: $('status'),
  message: $('message'),
  lobby: $('lobby'),
  joinForm: $<HTMLFormElement>('join-form'),
  nameInput: $<HTMLInputElement>('name-input'),
  joinButton: $<HTMLButtonElement>('join'),
  oneToOne: $<HTMLAnchorElement>('one-to-one-link'),
  call: $('call'),
  mic: $<HTMLButtonElement>('mic'),
  camera: $<HTMLButtonElement>('camera'),
  screen: $<HTMLButtonElement>('screen'),
  cameraSelect: $<HTMLSelectElement>('camera-select'),
  micSelect: $<HTMLSelectElement>('mic-select'),
  leave: $<HTMLButtonElement>('leave'),
  chatLog: $('chat-log'),
  chatForm: $<HTMLFormElement>('chat-form'),
  chatInput: $<HTMLInputElement>('chat-input'),
  debugLog: $('debug-log'),
  debugCount: $('debug-count'),
};

const { room: roomName } = roomFromUrl();
// `?relay` forces every call through TURN: for checking a TURN set-up, as a person or a test.
const relayOnly = new URL(location.href).searchParams.has('relay');
const room = new Room(new SignalingClient(location.origin), {
  rtcConfig: relayOnly ? { iceTransportPolicy: 'relay' } : {},
});
const tiles = new Tiles($('grid'));
const remote = new Map<string, RemoteState>();
let localStream: MediaStream | null = null;
let screenStream: MediaStream | null = null;
let joined = false;
let statsTimer: ReturnType<typeof setInterval> | undefined;

ui.roomName.textContent = roomName;
ui.oneToOne.href = `/one-to-one.html?room=${roomName}-1to1`;
ui.nameInput.value = localStorage.getItem('tsunagu:name') ?? '';

function showMessage(text: string | null): void {
  ui.message.hidden = text === null;
  ui.message.textContent = text ?? '';
}

function render(): void {
  ui.lobby.hidden = joined;
  ui.call.hidden = !joined;
  const people = room.participants.size + (joined ? 1 : 0);
  ui.status.textContent = joined
    ? `${people} in the call · ${room.client.state}`
    : room.client.state === 'connected'
      ? ''
      : room.client.state;
  const audio = localStream?.getAudioTracks()[0];
  const video = localStream?.getVideoTracks()[0];
  ui.mic.disabled = !audio;
  ui.camera.disabled = !video;
  ui.mic.textContent = audio && !audio.enabled ? 'Unmute' : 'Mute';
  ui.mic.setAttribute('aria-pressed', String(!!audio && !audio.enabled));
  ui.camera.textContent = video && !video.enabled ? 'Camera on' : 'Camera off';
  ui.camera.setAttribute('aria-pressed', String(!!video && !video.enabled));
  ui.screen.textContent = screenStream ? 'Stop sharing' : 'Share screen';
  ui.screen.setAttribute('aria-pressed', String(screenStream !== null));
}

function nameOf(participant: Participant): string {
  return participant.name ?? `Guest ${participant.id.slice(0, 4)}`;
}

function renderParticipant(participant: Participant): void {
  const state = remote.get(participant.id);
  if (!state) return;
  for (const [streamId, stream] of state.streams) {
    const key = `${participant.id}:${streamId}`;
    const isScreen = streamId === state.screen;
    tiles.upsert(key, {
      label: isScreen ? `${nameOf(participant)} (screen)` : nameOf(participant),
      stream,
      owner: participant.id,
    });
    tiles.setCameraOff(key, !isScreen && !state.camera);
  }
}

function myState(): AppMessage {
  return {
    kind: 'state',
    camera: localStream?.getVideoTracks()[0]?.enabled ?? false,
    mic: localStream?.getAudioTracks()[0]?.enabled ?? false,
    screen: screenStream?.id ?? null,
  };
}

function addChatLine(who: string, text: string): void {
  const item = document.createElement('li');
  const name = document.createElement('b');
  name.textContent = who;
  item.append(name, text);
  ui.chatLog.append(item);
  item.scrollIntoView({ block: 'nearest' });
}

function logSignal(direction: 'sent' | 'received', peer: string, data: unknown): void {
  const item = document.createElement('li');
  item.className = direction;
  const d = data as { description?: RTCSessionDescriptionInit; candidates?: RTCIceCandidateInit[] };
  const body = d.description
    ? `${d.description.type}\n${d.description.sdp ?? ''}`
    : `candidates\n${(d.candidates ?? []).map((c) => c.candidate).join('\n')}`;
  item.textContent = `${direction === 'sent' ? 'to' : 'from'} ${peer.slice(0, 6)}: ${body}`;
  ui.debugLog.append(item);
  ui.debugCount.textContent = String(ui.debugLog.children.length);
}

async function pollStats(): Promise<void> {
  for (const [id, s] of await room.getStats()) {
    const rtt = s.rttMs === null ? '–' : `${Math.round(s.rttMs)} ms`;
    const loss = s.packetLoss === null ? '–' : `${(s.packetLoss * 100).toFixed(1)} %`;
    const kbps = s.inboundKbps === null ? '–' : `${Math.round(s.inboundKbps)} kbit/s`;
    tiles.setQuality(id, s.quality, `${s.quality}: RTT ${rtt}, loss ${loss}, receiving ${kbps}`);
  }
}

async function join(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const name = ui.nameInput.value.trim();
  localStorage.setItem('tsunagu:name', name);
  ui.joinButton.disabled = true;
  showMessage(null);
  try {
    if (!localStream) {
      try {
        localStream = await getCamera();
      } catch (err) {
        showMessage(describeMediaError(err));
      }
    }
    await room.join(roomName, { name: name || undefined });
  } catch (err) {
    ui.joinButton.disabled = false;
    for (const track of localStream?.getTracks() ?? []) track.stop();
    localStream = null;
    if (err instanceof SignalingError && err.code === 'room-full') {
      showMessage('This room is full: a call holds at most 8 people. Try again later, or start a new room.');
    } else {
      showMessage(`Could not join: ${(err as Error).message}`);
    }
    return;
  }
  joined = true;
  ui.joinButton.disabled = false;
  if (localStream) {
    for (const track of localStream.getTracks()) room.publish(track, localStream);
    await Promise.all([
      listDevices(ui.cameraSelect, 'videoinput', localStream.getVideoTracks()[0]?.getSettings().deviceId),
      listDevices(ui.micSelect, 'audioinput', localStream.getAudioTracks()[0]?.getSettings().deviceId),
    ]);
  }
  tiles.upsert('self', { label: `${name || 'You'} (you)`, stream: localStream, local: true, owner: 'self' });
  statsTimer = setInterval(() => void pollStats().catch(() => {}), 2000);
  render();
}

async function leave(): Promise<void> {
  clearInterval(statsTimer);
  joined = false;
  for (const track of [...(localStream?.getTracks() ?? []), ...(screenStream?.getTracks() ?? [])]) track.stop();
  localStream = null;
  screenStream = null;
  tiles.clear();
  remote.clear();
  await room.leave().catch(() => {});
  for (const track of [...room.localTracks.keys()]) room.unpublish(track);
  render();
}

function toggle(kind: 'audio' | 'video'): void {
  const track = kind === 'audio' ? localStream?.getAudioTracks()[0] : localStream?.getVideoTracks()[0];
  if (!track) return;
  track.enabled = !track.enabled;
  if (kind === 'video') tiles.setCameraOff('self', !track.enabled);
  room.send(myState());
  render();
}

async function toggleScreen(): Promise<void> {
  if (screenStream) {
    for (const track of screenStream.getTracks()) {
      track.stop();
      room.unpublish(track);
    }
    tiles.remove('self:screen');
    screenStream = null;
  } else {
    try {
      screenStream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (err) {
      if ((err as { name?: string }).name !== 'NotAllowedError')
        showMessage(`Could not share the screen: ${(err as Error).message}`);
      return;
    }
    const [track] = screenStream.getVideoTracks();
    track.onended = () => void (screenStream && toggleScreen());
    room.publish(track, screenStream);
    tiles.upsert('self:screen', { label: 'Your screen', stream: screenStream, local: true, owner: 'self' });
  }
  room.send(myState());
  render();
}

async function switchDevice(kind: 'video' | 'audio', deviceId: string): Promise<void> {
  const old = kind === 'video' ? localStream?.getVideoTracks()[0] : localStream?.getAudioTracks()[0];
  if (!old || !localStream) return;
  const fresh = await navigator.mediaDevices.getUserMedia({ [kind]: { deviceId: { exact: deviceId } } });
  const [next] = kind === 'video' ? fresh.getVideoTracks() : fresh.getAudioTracks();
  next.enabled = old.enabled;
  await room.replaceTrack(old, next);
  // The SDK leaves our stream alone: the preview shows what is sent once we swap it here too.
  localStream.removeTrack(old);
  localStream.addTrack(next);
  old.stop();
  tiles.upsert('self', {
    label: `${ui.nameInput.value.trim() || 'You'} (you)`,
    stream: localStream,
    local: true,
    owner: 'self',
  });
}

room.on('participant-joined', (participant) => {
  remote.set(participant.id, { streams: new Map(), camera: true, screen: null });
  participant.send(myState());
  render();
});
room.on('participant-left', (participant) => {
  remote.delete(participant.id);
  tiles.removeOwner(participant.id);
  render();
});
room.on('participant-reconnecting', (participant) => tiles.setReconnecting(participant.id, true));
room.on('participant-resumed', (participant) => tiles.setReconnecting(participant.id, false));
room.on('track', (participant, _track, stream) => {
  remote.get(participant.id)?.streams.set(stream.id, stream);
  renderParticipant(participant);
});
room.on('track-removed', (participant, _track, stream) => {
  if (stream.getTracks().length > 0) return;
  remote.get(participant.id)?.streams.delete(stream.id);
  tiles.remove(`${participant.id}:${stream.id}`);
});
room.on('data', (participant, data) => {
  const message = data as AppMessage;
  if (message.kind === 'chat' && typeof message.text === 'string') addChatLine(nameOf(participant), message.text);
  if (message.kind === 'state') {
    const state = remote.get(participant.id);
    if (!state) return;
    state.camera = message.camera;
    if (state.screen && state.screen !== message.screen) {
      state.streams.delete(state.screen);
      tiles.remove(`${participant.id}:${state.screen}`);
    }
    state.screen = message.screen;
    renderParticipant(participant);
  }
});
room.on('connection-state', render);
room.on('signal-log', ({ direction, peer, data }) => logSignal(direction, peer, data));
room.client.on('connection-state', render);

ui.joinForm.onsubmit = (event) => void join(event);
ui.leave.onclick = () => void leave();
ui.mic.onclick = () => toggle('audio');
ui.camera.onclick = () => toggle('video');
ui.screen.onclick = () => void toggleScreen();
ui.cameraSelect.onchange = () => void switchDevice('video', ui.cameraSelect.value);
ui.micSelect.onchange = () => void switchDevice('audio', ui.micSelect.value);
ui.copyLink.onclick = async () => {
  await navigator.clipboard.writeText(location.href).catch(() => {});
  ui.copyLink.textContent = 'Copied';
  setTimeout(() => (ui.copyLink.textContent = 'Copy link'), 1500);
};
ui.chatForm.onsubmit = (event) => {
  event.preventDefault();
  const text = ui.chatInput.value.trim();
  if (!text) return;
  room.send({ kind: 'chat', text } satisfies AppMessage);
  addChatLine('You', text);
  ui.chatInput.value = '';
};
render();

declare global {
  interface Window {
    /** For tests and the curious: the live SDK objects behind the page. */
    tsunaguApp: {
      room: Room;
      readonly localStream: MediaStream | null;
      readonly screenStream: MediaStream | null;
      readonly joined: boolean;
    };
  }
}
window.tsunaguApp = {
  room,
  get localStream() {
    return localStream;
  },
  get screenStream() {
    return screenStream;
  },
  get joined() {
    return joined;
  },
};
