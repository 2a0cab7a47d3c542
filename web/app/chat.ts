/** The chat panel: a side panel (a sheet on narrow screens) that counts what arrived while it was closed. */

export class Chat {
  #unread = 0;

  constructor(
    private readonly panel: HTMLElement,
    private readonly log: HTMLElement,
    private readonly toggle: HTMLButtonElement,
    private readonly badge: HTMLElement,
    private readonly input: HTMLInputElement,
  ) {}

  get open(): boolean {
    return !this.panel.hidden;
  }

  setOpen(open: boolean): void {
    // Closing, focus goes back to the button that opens it: left on the hidden input, keys would
    // still go to the input until the browser's focus fix-up, and shortcuts would be lost.
    if (!open && this.panel.contains(document.activeElement)) this.toggle.focus();
    this.panel.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      this.#setUnread(0);
      this.input.focus();
    }
  }

  add(who: string, text: string, mine = false): void {
    const item = document.createElement('li');
    item.classList.toggle('mine', mine);
    const name = document.createElement('b');
    name.textContent = who;
    item.append(name, text);
    this.log.append(item);
    item.scrollIntoView({ block: 'nearest' });
    if (!this.open && !mine) this.#setUnread(this.#unread + 1);
  }

  clear(): void {
    this.log.replaceChildren();
    this.#setUnread(0);
    this.setOpen(false);
  }

  #setUnread(count: number): void {
    this.#unread = count;
    this.badge.hidden = count === 0;
    this.badge.textContent = count === 0 ? '' : String(count);
    this.toggle.setAttribute('aria-label', count === 0 ? 'Chat' : `Chat, ${count} unread`);
  }
}
