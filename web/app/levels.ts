/**
 * Who is speaking: the audio level of each stream, measured in the page with an AnalyserNode (no
 * round trip, no stats polling), smoothed into a speaking / not speaking that does not flicker.
 */

/** RMS of the waveform above which a voice counts as speaking (about −36 dBFS). */
const SPEAKING_RMS = 0.016;
/** How long one loud sample keeps the marker on: speech has short gaps between words. */
const HOLD_MS = 700;
const SAMPLE_MS = 100;

interface Watched {
  track: MediaStreamTrack;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  buffer: Float32Array<ArrayBuffer>;
  loudAt: number;
  speaking: boolean;
}

export class AudioLevels {
  #context: AudioContext | null = null;
  #watched = new Map<string, Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `onChange` hears a key's speaking state when it flips; `onLevel` every level (0–1), for meters. */
  constructor(
    private readonly onChange: (key: string, speaking: boolean) => void,
    private readonly onLevel?: (key: string, level: number) => void,
  ) {}

  /** Starts (or, for a new audio track, restarts) measuring `stream` under `key`. */
  watch(key: string, stream: MediaStream | null): void {
    const track = stream?.getAudioTracks()[0];
    const known = this.#watched.get(key);
    if (known?.track === track) return;
    this.unwatch(key);
    if (!stream || !track) return;
    this.#context ??= new AudioContext();
    // A context made before any click starts suspended; resume() succeeds once the page may play.
    void this.#context.resume().catch(() => {});
    const source = this.#context.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.#context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    this.#watched.set(key, { track, source, analyser, buffer, loudAt: -Infinity, speaking: false });
    this.#timer ??= setInterval(() => this.#sample(), SAMPLE_MS);
  }

  unwatch(key: string): void {
    const watched = this.#watched.get(key);
    if (!watched) return;
    watched.source.disconnect();
    this.#watched.delete(key);
    if (watched.speaking) this.onChange(key, false);
    if (this.#watched.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Call from a click or key press: the moment a suspended context is allowed to run. */
  resume(): void {
    void this.#context?.resume().catch(() => {});
  }

  #sample(): void {
    const now = performance.now();
    for (const [key, w] of this.#watched) {
      w.analyser.getFloatTimeDomainData(w.buffer);
      let sum = 0;
      for (const v of w.buffer) sum += v * v;
      const rms = Math.sqrt(sum / w.buffer.length);
      // A muted track still flows (as silence); `enabled` says it outright for our own tracks.
      const loud = w.track.enabled && rms > SPEAKING_RMS;
      if (loud) w.loudAt = now;
      const speaking = now - w.loudAt < HOLD_MS;
      this.onLevel?.(key, w.track.enabled ? Math.min(1, rms * 8) : 0);
      if (speaking !== w.speaking) {
        w.speaking = speaking;
        this.onChange(key, speaking);
      }
    }
  }
}
