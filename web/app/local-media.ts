/**
 * Our own camera and microphone, from the lobby's preview into the call: one stream, so what was
 * chosen before joining (devices, mic or camera off) is what the call starts with.
 */
import { describeMediaError, getCamera } from './media.js';

export class LocalMedia {
  stream: MediaStream | null = null;
  /** Why there is no stream, in words for a person; null while there is one (or none was asked). */
  problem: string | null = null;
  #starting: Promise<MediaStream | null> | null = null;

  /** Opens camera and microphone (once; later calls wait for the same attempt). */
  start(): Promise<MediaStream | null> {
    this.#starting ??= getCamera().then(
      (stream) => {
        this.stream = stream;
        this.problem = null;
        return stream;
      },
      (err: unknown) => {
        this.problem = describeMediaError(err);
        this.#starting = null; // the next attempt (Join) asks again: the person may have allowed it since
        return null;
      },
    );
    return this.#starting;
  }

  track(kind: 'audio' | 'video'): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.stream?.getAudioTracks()[0] : this.stream?.getVideoTracks()[0];
  }

  /** Turns a track off or on (it stays open, so turning it back on is instant). Returns whether it is on. */
  toggle(kind: 'audio' | 'video'): boolean {
    const track = this.track(kind);
    if (!track) return false;
    track.enabled = !track.enabled;
    return track.enabled;
  }

  /**
   * Opens another device of one kind, keeping the on/off state; `replace` swaps it where the old
   * track is in use (the call), otherwise it is swapped inside the stream here.
   */
  async switchDevice(
    kind: 'audio' | 'video',
    deviceId: string,
    replace?: (old: MediaStreamTrack, next: MediaStreamTrack) => Promise<void>,
  ): Promise<void> {
    const old = this.track(kind);
    if (!old || !this.stream) return;
    const fresh = await navigator.mediaDevices.getUserMedia({ [kind]: { deviceId: { exact: deviceId } } });
    const [next] = fresh.getTracks();
    next.enabled = old.enabled;
    // The Room sends the new track; our stream (the preview) is ours to change, not the SDK's.
    if (replace) await replace(old, next);
    this.stream.removeTrack(old);
    this.stream.addTrack(next);
    old.stop();
  }

  stop(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.#starting = null;
  }
}
