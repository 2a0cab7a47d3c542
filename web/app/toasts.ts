/** Short notices at the corner of the screen ("Aiko joined"), read out by screen readers too. */

const SHOW_MS = 4000;
const MOST = 3;

export function toast(container: HTMLElement, text: string): void {
  const item = document.createElement('p');
  item.className = 'toast';
  item.textContent = text;
  container.append(item);
  // A burst (several joining at once) shows the newest few, not a wall.
  while (container.children.length > MOST) container.firstElementChild!.remove();
  setTimeout(() => item.remove(), SHOW_MS);
}
