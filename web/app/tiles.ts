/** The video grid: one tile per stream (a participant's camera, their screen, and our own). */
import type { Quality } from '../../packages/client/src/index.js';

export interface TileInfo {
  label: string;
  stream: MediaStream | null;
  /** Our own tile: muted, so we never hear ourselves. */
  local?: boolean;
  /** The participant this tile belongs to (for screen tiles too). */
  owner: string;
}

export class Tiles {
  #tiles = new Map<string, HTMLElement>();

  constructor(private readonly grid: HTMLElement) {}

  upsert(key: string, info: TileInfo): void {
    let tile = this.#tiles.get(key);
    if (!tile) {
      tile = document.createElement('figure');
      tile.className = 'tile';
      tile.dataset.key = key;
      tile.dataset.owner = info.owner;
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.muted = info.local ?? false;
      const caption = document.createElement('figcaption');
      caption.innerHTML = '<span class="quality unknown"></span><span class="label"></span>';
      tile.append(video, caption);
      this.grid.append(tile);
      this.#tiles.set(key, tile);
    }
    tile.querySelector('.label')!.textContent = info.label;
    const video = tile.querySelector('video')!;
    if (video.srcObject !== info.stream) video.srcObject = info.stream;
  }

  remove(key: string): void {
    this.#tiles.get(key)?.remove();
    this.#tiles.delete(key);
  }

  /** Every tile of one participant: their camera and any screen they share. */
  removeOwner(owner: string): void {
    for (const [key, tile] of this.#tiles) if (tile.dataset.owner === owner) this.remove(key);
  }

  setQuality(owner: string, quality: Quality, title: string): void {
    for (const tile of this.#tiles.values()) {
      if (tile.dataset.owner !== owner) continue;
      const dot = tile.querySelector('.quality') as HTMLElement;
      dot.className = `quality ${quality}`;
      dot.title = title;
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

  clear(): void {
    for (const key of [...this.#tiles.keys()]) this.remove(key);
  }
}
