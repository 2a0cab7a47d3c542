/** Keyboard shortcuts: declared once, bound once, and listed in the help dialog from the same table. */

export type Action =
  | 'mic'
  | 'camera'
  | 'screen'
  | 'chat'
  | 'fullscreen'
  | 'pin'
  | 'devices'
  | 'help'
  // Buttons only:
  | 'chat-close'
  | 'leave'
  | 'dismiss'
  | 'copy-link';

export const SHORTCUTS: ReadonlyArray<{ key: string; shown: string; action: Action; does: string }> = [
  { key: 'm', shown: 'M', action: 'mic', does: 'Mute or unmute your microphone' },
  { key: 'v', shown: 'V', action: 'camera', does: 'Stop or start your video' },
  { key: 's', shown: 'S', action: 'screen', does: 'Share your screen, or stop sharing' },
  { key: 'c', shown: 'C', action: 'chat', does: 'Open or close the chat' },
  { key: 'f', shown: 'F', action: 'fullscreen', does: 'Full screen on or off' },
  { key: 'p', shown: 'P', action: 'pin', does: 'Pin the tile in focus (or the last speaker); again to unpin' },
  { key: 'd', shown: 'D', action: 'devices', does: 'Choose camera and microphone' },
  { key: '?', shown: '?', action: 'help', does: 'Show these shortcuts' },
];

/** Fills the help dialog's list from the table above. */
export function listShortcuts(list: HTMLElement): void {
  list.replaceChildren(
    ...SHORTCUTS.flatMap(({ shown, does }) => {
      const term = document.createElement('dt');
      const key = document.createElement('kbd');
      key.textContent = shown;
      term.append(key);
      const description = document.createElement('dd');
      description.textContent = does;
      return [term, description];
    }),
  );
  const escape = document.createElement('dt');
  escape.append(Object.assign(document.createElement('kbd'), { textContent: 'Esc' }));
  const does = document.createElement('dd');
  does.textContent = 'Close a panel or dialog, or unpin';
  list.append(escape, does);
}

/**
 * Calls `run(action)` for a shortcut key, but never while someone is typing (a name, a chat line)
 * and never for a key with Ctrl, Alt or ⌘, which belong to the browser.
 */
export function bindShortcuts(run: (action: Action) => boolean): void {
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target as HTMLElement;
    if (target.closest('input, textarea, select, [contenteditable]')) return;
    if (document.querySelector('dialog[open]')) return;
    const shortcut = SHORTCUTS.find((s) => s.key === event.key.toLowerCase());
    if (shortcut && run(shortcut.action)) event.preventDefault();
  });
}
