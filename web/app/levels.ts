/**
 * Who is speaking, and the lobby's microphone meter — measured cheaply, because every page of a
 * call pays for it all the time: one timer at 4 Hz for the whole page, reading the audio energy
 * WebRTC already counts (`totalAudioEnergy` in getStats) rather than running Web Audio on every
 * stream. Only the lobby, with no call to ask, uses an AnalyserNode, and closes it on Join.
 */

/** How often levels are read: 4 Hz marks a speaker well within a second and costs next to nothing. */
const SAMPLE_MS = 250;
/** RMS level (0–1) above which a voice counts as speaking (about −36 dBFS). */
const SPEAKING_RMS = 0.016;
/** How long one loud sample keeps the marker on: speech has short gaps between words. */
const HOLD_MS = 700;

/** Where one stream's audio energy is counted: its receiver's stats, or a sender's for our own mic. */
export type EnergySource = () => Promise<RTCStatsReport | null> | null;

interface Watched {
  source: EnergySource;
  /** Counted only while true: a muted track of ours still sends (silence). */
  audible: () => boolean;
  energy: number;
  seconds: number;
  loudAt: number;
  speaking: boolean;
}

/**
 * Speaking or not, per key (a tile's), from the energy between two reads — a mean over the whole
 * quarter second, so a short word (or the fake microphone's 20 ms beep) between reads still counts.
 */
export class Speaking {
  #watched = new Map<string, Watched>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(private readonly onChange: (key: string, speaking: boolean) => void) {}

  watch(key: string, source: EnergySource, audible: () => boolean = () => true): void {
    if (this.#watched.has(key)) return;
    this.#watched.set(key, { source, audible, energy: NaN, seconds: NaN, loudAt: -Infinity, speaking: false });
    this.#timer ??= setInterval(() => void this.#sample(), SAMPLE_MS);
  }

  unwatch(key: string): void {
    const watched = this.#watched.get(key);
    if (!watched) return;
    this.#watched.delete(key);
    if (watched.speaking) this.onChange(key, false);
    if (this.#watched.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  clear(): void {
    for (const key of [...this.#watched.keys()]) this.unwatch(key);
  }

  async #sample(): Promise<void> {
    if (this.#busy) return; // a slow getStats() never piles reads up
    this.#busy = true;
    try {
      const now = performance.now();
      await Promise.all([...this.#watched].map(([key, w]) => this.#read(key, w, now)));
    } finally {
      this.#busy = false;
    }
  }

  async #read(key: string, w: Watched, now: number): Promise<void> {
    const report = await w.source()?.catch(() => null);
    let energy = NaN;
    let seconds = NaN;
    report?.forEach((s: { type: string; kind?: string; totalAudioEnergy?: number; totalSamplesDuration?: number }) => {
      if (
        (s.type === 'inbound-rtp' || s.type === 'media-source') &&
        s.kind === 'audio' &&
        s.totalAudioEnergy !== undefined
      ) {
        energy = s.totalAudioEnergy;
        seconds = s.totalSamplesDuration ?? NaN;
      }
    });
    const dt = seconds - w.seconds;
    // totalAudioEnergy sums level² × duration: over an interval, energy / time is the mean square.
    const rms = dt > 0 ? Math.sqrt(Math.max(0, energy - w.energy) / dt) : 0;
    w.energy = energy;
    w.seconds = seconds;
    if (w.audible() && rms > SPEAKING_RMS) w.loudAt = now;
    const speaking = now - w.loudAt < HOLD_MS;
    if (speaking !== w.speaking && this.#watched.get(key) === w) {
      w.speaking = speaking;
      this.onChange(key, speaking);
    }
  }
}

/** The lobby's microphone meter: one AnalyserNode, read at 4 Hz; `stop()` frees the audio thread. */
export class MicMeter {
  #context: AudioContext | null = null;
  #source: MediaStreamAudioSourceNode | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly onLevel: (level: number) => void) {}

  watch(stream: MediaStream | null): void {
    this.stop();
    const track = stream?.getAudioTracks()[0];
    if (!track) return;
    this.#context = new AudioContext();
    // A context made before any click starts suspended; resume() succeeds once the page may play.
    this.resume();
    this.#source = this.#context.createMediaStreamSource(new MediaStream([track]));
    const analyser = this.#context.createAnalyser();
    // ~170 ms of samples at 48 kHz: most of the time between two reads.
    analyser.fftSize = 8192;
    this.#source.connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    this.#timer = setInterval(() => {
      analyser.getFloatTimeDomainData(buffer);
      let sum = 0;
      for (const v of buffer) sum += v * v;
      this.onLevel(track.enabled ? Math.min(1, Math.sqrt(sum / buffer.length) * 8) : 0);
    }, SAMPLE_MS);
  }

  /** Call from a click or key press: the moment a suspended context is allowed to run. */
  resume(): void {
    void this.#context?.resume().catch(() => {});
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#source?.disconnect();
    void this.#context?.close().catch(() => {});
    this.#context = null;
    this.#source = null;
    this.onLevel(0);
  }
}
