/** The app page's elements, looked up once (ids as in index.html). */

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const all = <T extends HTMLElement = HTMLElement>(selector: string) => [...document.querySelectorAll<T>(selector)];

export const ui = {
  roomName: $('room-name'),
  callRoom: $('call-room'),
  status: $('status'),
  callStatus: $('call-status'),
  copyLinks: all<HTMLButtonElement>('.copy-link'),
  banner: $('banner'),
  message: $('message'),
  messageText: $('message-text'),
  lobby: $('lobby'),
  preview: $<HTMLVideoElement>('preview'),
  previewState: $('preview-state'),
  previewLevel: $('preview-level'),
  previewMic: $<HTMLButtonElement>('preview-mic'),
  previewCamera: $<HTMLButtonElement>('preview-camera'),
  joinForm: $<HTMLFormElement>('join-form'),
  nameInput: $<HTMLInputElement>('name-input'),
  joinButton: $<HTMLButtonElement>('join'),
  oneToOne: $<HTMLAnchorElement>('one-to-one-link'),
  call: $('call'),
  grid: $('grid'),
  mic: $<HTMLButtonElement>('mic'),
  camera: $<HTMLButtonElement>('camera'),
  screen: $<HTMLButtonElement>('screen'),
  chatToggle: $<HTMLButtonElement>('chat-toggle'),
  chatUnread: $('chat-unread'),
  fullscreen: $<HTMLButtonElement>('fullscreen'),
  leave: $<HTMLButtonElement>('leave'),
  settings: $<HTMLDialogElement>('settings'),
  help: $<HTMLDialogElement>('help'),
  shortcutList: $('shortcut-list'),
  cameraSelects: all<HTMLSelectElement>('.camera-select'),
  micSelects: all<HTMLSelectElement>('.mic-select'),
  chat: $('chat'),
  chatLog: $('chat-log'),
  chatForm: $<HTMLFormElement>('chat-form'),
  chatInput: $<HTMLInputElement>('chat-input'),
  debugLog: $('debug-log'),
  debugCount: $('debug-count'),
  toasts: $('toasts'),
};

/** A toggle button's state: pressed or not, and the tooltip that says what pressing it does now. */
export function setToggle(button: HTMLButtonElement, pressed: boolean, tip: string, disabled = false): void {
  button.setAttribute('aria-pressed', String(pressed));
  button.dataset.tip = tip;
  button.disabled = disabled;
}

/** The page's one message line (an error, a blocked camera); null hides it. */
export function showMessage(text: string | null): void {
  ui.message.hidden = text === null;
  ui.messageText.textContent = text ?? '';
}

export async function copyLink(button: HTMLElement): Promise<void> {
  await navigator.clipboard.writeText(location.href).catch(() => {});
  const text = button.querySelector('.text')!;
  text.textContent = 'Copied';
  setTimeout(() => (text.textContent = 'Copy link'), 1500);
}
