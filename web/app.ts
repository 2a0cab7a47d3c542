/**
 * The video-call app: a lobby with a live preview, then a mesh call for up to 8 people on the SDK's
 * `Room` — a grid that fills the screen, pinning, who is speaking, mute and camera badges, screen
 * share, device choice, chat, toasts, a reconnecting banner, shortcuts and the SDP/ICE debug view.
 */
import { Room, SignalingClient, SignalingError } from '../packages/client/src/index.js';
import { Chat } from './app/chat.js';
import { describeStats, logSignal } from './app/debug.js';
import { MicMeter, Speaking } from './app/levels.js';
import { LocalMedia } from './app/local-media.js';
import { listDevices } from './app/media.js';
import { roomFromUrl } from './app/room-url.js';
import { nameOf, People, type AppMessage } from './app/people.js';
import { bindShortcuts, listShortcuts, type Action } from './app/shortcuts.js';
import { Tiles } from './app/tiles.js';
import { toast } from './app/toasts.js';
import { copyLink, setToggle, showMessage, ui } from './app/ui.js';

const { room: roomName } = roomFromUrl();
// `?relay` forces every call through TURN: for checking a TURN set-up, as a person or a test.
const relayOnly = new URL(location.href).searchParams.has('relay');
const room = new Room(new SignalingClient(location.origin), {
  rtcConfig: relayOnly ? { iceTransportPolicy: 'relay' } : {},
});
const media = new LocalMedia();
const tiles = new Tiles(ui.grid);
const chat = new Chat(ui.chat, ui.chatLog, ui.chatToggle, ui.chatUnread, ui.chatInput);
const levels = new Speaking((key, speaking) => {
  tiles.setSpeaking(key, speaking);
  if (speaking) lastSpeaker = key;
});
const meter = new MicMeter((level) => (ui.previewLevel.style.transform = `scaleX(${level})`));
const people = new People(tiles, levels, (from, text) => chat.add(nameOf(from), text));
let screenStream: MediaStream | null = null;
let joined = false;
/** Off while joining and leaving: people already in the call did not just "join". */
let announce = false;
let lastSpeaker: string | null = null;
let statsTimer: ReturnType<typeof setInterval> | undefined;

// A browser driven by automation (tests, the screenshot script) gets no motion: see app.css.
if (navigator.webdriver) document.documentElement.classList.add('still');
ui.roomName.textContent = roomName;
ui.callRoom.textContent = roomName;
ui.oneToOne.href = `/one-to-one.html?room=${roomName}-1to1`;
ui.nameInput.value = localStorage.getItem('tsunagu:name') ?? '';
listShortcuts(ui.shortcutList);

function render(): void {
  document.body.classList.toggle('in-call', joined);
  ui.lobby.hidden = joined;
  ui.call.hidden = !joined;
  const count = room.participants.size + 1;
  const state = room.client.state;
  ui.status.textContent = state === 'connected' ? '' : state;
  ui.callStatus.textContent = `${count} in the call`;
  ui.banner.hidden = !(joined && state === 'reconnecting');
  const audio = media.track('audio');
  const video = media.track('video');
  const muted = !!audio && !audio.enabled;
  const cameraOff = !video || !video.enabled;
  for (const button of [ui.mic, ui.previewMic]) setToggle(button, muted, muted ? 'Unmute (M)' : 'Mute (M)', !audio);
  for (const button of [ui.camera, ui.previewCamera])
    setToggle(button, !!video && cameraOff, cameraOff ? 'Start video (V)' : 'Stop video (V)', !video);
  setToggle(ui.screen, screenStream !== null, screenStream ? 'Stop sharing (S)' : 'Share your screen (S)');
  ui.fullscreen.hidden = !document.fullscreenEnabled; // iPhone Safari has no full screen for pages
  setToggle(
    ui.fullscreen,
    !!document.fullscreenElement,
    document.fullscreenElement ? 'Exit full screen (F)' : 'Full screen (F)',
  );
  ui.previewState.hidden = !!video && !cameraOff;
  ui.previewState.textContent = media.problem ?? (media.stream ? 'Your camera is off' : ui.previewState.textContent);
  tiles.setMuted('self', muted);
  tiles.setCameraOff('self', cameraOff);
}

function myState(): AppMessage {
  return {
    kind: 'state',
    camera: media.track('video')?.enabled ?? false,
    mic: media.track('audio')?.enabled ?? false,
    screen: screenStream?.id ?? null,
  };
}

/**
 * Our own mic's energy as WebRTC counts it on its way out (the sender's media-source stats): any
 * one call will do; alone in the room there is no one to show it to.
 */
function ownEnergy(): Promise<RTCStatsReport> | null {
  const track = media.track('audio');
  for (const participant of room.participants.values()) {
    const sender = participant.pc.getSenders().find((s) => s.track === track);
    if (track && sender) return sender.getStats();
  }
  return null;
}

async function pollStats(): Promise<void> {
  for (const [id, stats] of await room.getStats()) tiles.setQuality(id, stats.quality, describeStats(stats));
}

/** The lobby's preview: the camera as others will see it, and a level meter for the microphone. */
async function startPreview(): Promise<void> {
  const stream = await media.start();
  ui.preview.srcObject = stream;
  if (stream) meter.watch(stream);
  else if (media.problem) showMessage(media.problem);
  await fillDevices();
  render();
}

function fillDevices(): Promise<unknown> {
  return Promise.all([
    listDevices(ui.cameraSelects, 'videoinput', media.track('video')?.getSettings().deviceId),
    listDevices(ui.micSelects, 'audioinput', media.track('audio')?.getSettings().deviceId),
  ]);
}

async function join(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  meter.resume();
  const name = ui.nameInput.value.trim();
  localStorage.setItem('tsunagu:name', name);
  ui.joinButton.disabled = true;
  showMessage(null);
  // Refused at first (or not answered yet): ask once more; without it, join to watch and chat.
  const stream = media.stream ?? (await media.start());
  if (!stream && media.problem) showMessage(media.problem);
  try {
    await room.join(roomName, { name: name || undefined });
  } catch (err) {
    ui.joinButton.disabled = false;
    if (err instanceof SignalingError && err.code === 'room-full') {
      showMessage('This room is full: a call holds at most 8 people. Try again later, or start a new room.');
    } else {
      showMessage(`Could not join: ${(err as Error).message}`);
    }
    return;
  }
  joined = true;
  announce = true;
  ui.joinButton.disabled = false;
  if (stream) for (const track of stream.getTracks()) room.publish(track, stream);
  meter.stop();
  ui.preview.srcObject = null;
  tiles.upsert('self', { label: `${name || 'You'} (you)`, stream, local: true, owner: 'self' });
  levels.watch('self', ownEnergy, () => media.track('audio')?.enabled ?? false);
  statsTimer = setInterval(() => void pollStats().catch(() => {}), 2000);
  render();
}

async function leave(): Promise<void> {
  announce = false;
  clearInterval(statsTimer);
  joined = false;
  for (const track of screenStream?.getTracks() ?? []) track.stop();
  screenStream = null;
  levels.clear();
  media.stop();
  tiles.clear();
  people.clear();
  chat.clear();
  await room.leave().catch(() => {});
  for (const track of [...room.localTracks.keys()]) room.unpublish(track);
  if (document.fullscreenElement) await document.exitFullscreen().catch(() => {});
  ui.previewState.textContent = 'You left the call. Join again whenever you like.';
  render();
}

function toggle(kind: 'audio' | 'video'): void {
  media.toggle(kind);
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
    tiles.upsert('self:screen', {
      label: 'Your screen',
      stream: screenStream,
      local: true,
      screen: true,
      owner: 'self',
    });
  }
  room.send(myState());
  render();
}

async function switchDevice(kind: 'video' | 'audio', deviceId: string): Promise<void> {
  await media.switchDevice(kind, deviceId, joined ? (old, next) => room.replaceTrack(old, next) : undefined);
  for (const select of kind === 'video' ? ui.cameraSelects : ui.micSelects) select.value = deviceId;
  if (!joined) meter.watch(media.stream);
  render();
}

async function toggleFullscreen(): Promise<void> {
  if (document.fullscreenElement) await document.exitFullscreen();
  else await document.documentElement.requestFullscreen();
}

/**
 * What a button (its data-action) or a shortcut does; false when it means nothing here (in the
 * lobby, most do not).
 */
function run(action: Action, button?: HTMLElement): boolean {
  if (action === 'mic') toggle('audio');
  else if (action === 'camera') toggle('video');
  else if (action === 'help') ui.help.showModal();
  else if (action === 'dismiss') showMessage(null);
  else if (action === 'copy-link') void copyLink(button ?? ui.copyLinks[0]);
  else if (!joined) return false;
  else if (action === 'screen') void toggleScreen();
  else if (action === 'chat') chat.setOpen(!chat.open);
  else if (action === 'chat-close') chat.setOpen(false);
  else if (action === 'fullscreen') void toggleFullscreen().catch(() => {});
  else if (action === 'devices') ui.settings.showModal();
  else if (action === 'leave') void leave();
  else if (action === 'pin') tiles.pin(tiles.pinned ? null : (tiles.focused() ?? lastSpeaker));
  return true;
}

room.on('participant-joined', (participant) => {
  people.joined(participant);
  participant.send(myState());
  if (announce) toast(ui.toasts, `${nameOf(participant)} joined`);
  render();
});
room.on('participant-left', (participant) => {
  people.left(participant);
  if (announce) toast(ui.toasts, `${nameOf(participant)} left`);
  render();
});
room.on('participant-reconnecting', (participant) => tiles.setReconnecting(participant.id, true));
room.on('participant-resumed', (participant) => tiles.setReconnecting(participant.id, false));
room.on('track', (participant, _track, stream) => people.track(participant, stream));
room.on('track-removed', (participant, _track, stream) => people.trackRemoved(participant, stream));
room.on('data', (participant, data) => people.data(participant, data));
room.on('signal-log', ({ direction, peer, data }) => logSignal(ui.debugLog, ui.debugCount, direction, peer, data));
room.client.on('connection-state', render);

ui.joinForm.onsubmit = (event) => void join(event);
document.addEventListener('click', (event) => {
  const button = (event.target as Element).closest<HTMLElement>('[data-action]');
  if (button) run(button.dataset.action as Action, button);
});
for (const select of ui.cameraSelects) select.onchange = () => void switchDevice('video', select.value);
for (const select of ui.micSelects) select.onchange = () => void switchDevice('audio', select.value);
ui.chatForm.onsubmit = (event) => {
  event.preventDefault();
  const text = ui.chatInput.value.trim();
  if (!text) return;
  room.send({ kind: 'chat', text } satisfies AppMessage);
  chat.add('You', text, true);
  ui.chatInput.value = '';
};
document.addEventListener('fullscreenchange', render);
// Browsers let audio run only after a click or key press; the level meters need it running.
for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, () => meter.resume());
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || document.querySelector('dialog[open]')) return;
  if (chat.open) chat.setOpen(false);
  else if (tiles.pinned) tiles.pin(null);
});
bindShortcuts(run);
render();
void startPreview();

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
    return media.stream;
  },
  get screenStream() {
    return screenStream;
  },
  get joined() {
    return joined;
  },
};
