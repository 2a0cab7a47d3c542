/**
 * The video tiles: one per stream (a participant's camera, their screen, and our own), with their
 * badges (muted, camera off, speaking, link quality), a pin button, and their place on the stage.
 */
import type { Quality } from '../../packages/client/src/index.js';
import { layoutTiles } from './layout.js';

export interface TileInfo {
  label: string;
  stream: MediaStream | null;
  /** Our own tile: muted, so we never hear ourselves, and mirrored, as people expect a mirror. */
  local?: boolean;
  /** A shared screen: never mirrored. */
  screen?: boolean;
  /** The participant this tile belongs to (for screen tiles too). */
  owner: string;
}

const GAP = 8;

export class Tiles {
  #tiles = new Map<string, HTMLElement>();
  #pinned: string | null = null;
  #template: HTMLTemplateElement;

  constructor(private readonly grid: HTMLElement) {
    this.#template = document.getElementById('tile-template') as HTMLTemplateElement;
    // The grid changes size with the window, the chat panel and full screen: lay out again each time.
    new ResizeObserver(() => this.layout()).observe(grid);
  }

  get pinned(): string | null {
    return this.#pinned;
  }

  upsert(key: string, info: TileInfo): void {
    let tile = this.#tiles.get(key);
    if (!tile) {
      tile = (this.#template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
      tile.dataset.key = key;
      tile.dataset.owner = info.owner;
      const video = tile.querySelector('video')!;
      video.muted = info.local ?? false;
      tile.classList.toggle('mirrored', (info.local ?? false) && !info.screen);
      tile.classList.toggle('screen', info.screen ?? false);
      tile.querySelector('.pin')!.addEventListener('click', (event) => {
        event.stopPropagation();
        this.pin(this.#pinned === key ? null : key);
      });
      tile.addEventListener('click', () => this.pin(this.#pinned === key ? null : key));
      this.setQuality(info.owner, 'unknown', '', tile);
      this.grid.append(tile);
      this.#tiles.set(key, tile);
      this.layout();
    }
    const label = tile.querySelector('.label')!;
    // Unchanged text left alone: a state message (every toggle, every newcomer) re-renders tiles.
    if (label.textContent !== info.label) {
      label.textContent = info.label;
      tile.querySelector('.avatar')!.textContent = initials(info.label);
      tile.querySelector('.pin')!.setAttribute('aria-label', `Pin ${info.label}`);
    }
    const video = tile.querySelector('video')!;
    if (video.srcObject !== info.stream) video.srcObject = info.stream;
  }

  remove(key: string): void {
    if (!this.#tiles.has(key)) return;
    this.#tiles.get(key)!.remove();
    this.#tiles.delete(key);
    if (this.#pinned === key) this.#pinned = null;
    this.layout();
  }

  /** Every tile of one participant: their camera and any screen they share. */
  removeOwner(owner: string): void {
    for (const [key, tile] of this.#tiles) if (tile.dataset.owner === owner) this.remove(key);
  }

  /** Shows one tile large (or none, with null); the others move to a strip. */
  pin(key: string | null): void {
    this.#pinned = key !== null && this.#tiles.has(key) ? key : null;
    for (const [k, tile] of this.#tiles) {
      tile.classList.toggle('pinned', k === this.#pinned);
      tile.querySelector('.pin')!.setAttribute('aria-pressed', String(k === this.#pinned));
    }
    this.layout();
  }

  /** The tile that holds keyboard focus (or contains it), for the pin shortcut. */
  focused(): string | null {
    for (const [key, tile] of this.#tiles) if (tile.contains(document.activeElement)) return key;
    return null;
  }

  setQuality(owner: string, quality: Quality, detail: string, only?: HTMLElement): void {
    const explain: Record<Quality, string> = {
      good: 'Connection good',
      fair: 'Connection fair: video may stutter',
      poor: 'Connection poor: expect freezes and lost words',
      unknown: 'Connection quality: measuring…',
    };
    for (const tile of only ? [only] : this.#tiles.values()) {
      if (tile.dataset.owner !== owner) continue;
      const dot = tile.querySelector('.quality') as HTMLElement;
      const text = detail ? `${explain[quality]} (${detail})` : explain[quality];
      dot.className = `quality ${quality}`;
      dot.dataset.tip = text;
      dot.setAttribute('aria-label', text);
    }
  }

  /** Its signaling link dropped: the media may still flow, but say so until it resumes or leaves. */
  setReconnecting(owner: string, on: boolean): void {
    for (const tile of this.#tiles.values())
      if (tile.dataset.owner === owner) tile.classList.toggle('reconnecting', on);
  }

  setCameraOff(key: string, off: boolean): void {
    this.#tiles.get(key)?.classList.toggle('camera-off', off);
  }

  setMuted(key: string, muted: boolean): void {
    this.#tiles.get(key)?.classList.toggle('muted', muted);
  }

  setSpeaking(key: string, speaking: boolean): void {
    this.#tiles.get(key)?.classList.toggle('speaking', speaking);
  }

  clear(): void {
    for (const key of [...this.#tiles.keys()]) this.remove(key);
  }

  /** Puts every tile in its rectangle (inline sizes: the count and the stage decide them). */
  layout(): void {
    const { clientWidth: width, clientHeight: height } = this.grid;
    if (width === 0 || height === 0) return;
    const keys = [...this.#tiles.keys()];
    const pinned = this.#pinned === null ? null : keys.indexOf(this.#pinned);
    const rects = layoutTiles(keys.length, { x: 0, y: 0, width, height }, GAP, pinned);
    keys.forEach((key, i) => {
      const { x, y, width, height } = rects[i];
      Object.assign(this.#tiles.get(key)!.style, {
        transform: `translate(${x}px, ${y}px)`,
        width: `${width}px`,
        height: `${height}px`,
      });
    });
    this.grid.classList.toggle('has-pin', pinned !== null && keys.length > 1);
  }
}

/** "Aiko Tanaka" → "AT": what a tile shows when the camera is off. */
function initials(label: string): string {
  const words = label
    .replace(/\(.*?\)/g, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[1][0] : (words[0] ?? '?').slice(0, 2)).toUpperCase();
}
