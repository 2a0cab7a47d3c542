/**
 * The other people in the call as the page shows them: their streams as tiles, what each says of
 * their own mic, camera and screen (over the data channel), and who is speaking.
 */
import type { Participant } from '../../packages/client/src/index.js';
import type { Speaking } from './levels.js';
import type { Tiles } from './tiles.js';

/** What app instances tell each other over the data channels. */
export type AppMessage =
  { kind: 'chat'; text: string } | { kind: 'state'; camera: boolean; mic: boolean; screen: string | null };

interface RemoteState {
  streams: Map<string, MediaStream>;
  camera: boolean;
  mic: boolean;
  screen: string | null;
}

export function nameOf(participant: Participant): string {
  return participant.name ?? `Guest ${participant.id.slice(0, 4)}`;
}

export class People {
  #remote = new Map<string, RemoteState>();

  constructor(
    private readonly tiles: Tiles,
    private readonly levels: Speaking,
    private readonly onChat: (from: Participant, text: string) => void,
  ) {}

  /**
   * A newcomer gets their tile at once (initials until their video arrives): the room shows who is
   * in it, whether or not a camera is on the way — someone who joined only to watch included.
   */
  joined(participant: Participant): void {
    // Until its first state message says otherwise, a newcomer's camera and mic count as on.
    this.#remote.set(participant.id, { streams: new Map(), camera: true, mic: true, screen: null });
    this.#render(participant);
  }

  left(participant: Participant): void {
    for (const key of this.#keys(participant.id)) this.levels.unwatch(key);
    this.#remote.delete(participant.id);
    this.tiles.removeOwner(participant.id);
  }

  track(participant: Participant, stream: MediaStream): void {
    this.#remote.get(participant.id)?.streams.set(stream.id, stream);
    this.#render(participant);
  }

  trackRemoved(participant: Participant, stream: MediaStream): void {
    if (stream.getTracks().length > 0) return;
    this.#remote.get(participant.id)?.streams.delete(stream.id);
    this.levels.unwatch(`${participant.id}:${stream.id}`);
    this.tiles.remove(`${participant.id}:${stream.id}`);
    this.#render(participant);
  }

  data(participant: Participant, data: unknown): void {
    const message = data as AppMessage;
    if (message.kind === 'chat' && typeof message.text === 'string') this.onChat(participant, message.text);
    if (message.kind !== 'state') return;
    const state = this.#remote.get(participant.id);
    if (!state) return;
    state.camera = message.camera;
    state.mic = message.mic;
    if (state.screen && state.screen !== message.screen) {
      state.streams.delete(state.screen);
      this.tiles.remove(`${participant.id}:${state.screen}`);
    }
    state.screen = message.screen;
    this.#render(participant);
  }

  clear(): void {
    for (const id of this.#remote.keys()) for (const key of this.#keys(id)) this.levels.unwatch(key);
    this.#remote.clear();
  }

  /** Tile keys of one participant: theirs (keyed by their id) and one per further stream. */
  #keys(id: string): string[] {
    return [id, ...[...(this.#remote.get(id)?.streams.keys() ?? [])].map((streamId) => `${id}:${streamId}`)];
  }

  /**
   * The participant's own tile shows their first stream that is not a screen (their camera), or
   * their initials; a screen, or any further stream, gets a tile of its own.
   */
  #render(participant: Participant): void {
    const state = this.#remote.get(participant.id);
    if (!state) return;
    const { id } = participant;
    const streams = [...state.streams.values()];
    const camera = streams.find((stream) => stream.id !== state.screen) ?? null;
    this.tiles.upsert(id, { label: nameOf(participant), stream: camera, owner: id });
    this.tiles.setCameraOff(id, !camera || !state.camera);
    this.tiles.setMuted(id, !state.mic);
    // The receiver's own count of the audio's energy: no Web Audio graph per remote stream.
    this.levels.watch(id, () => {
      const track = [...state.streams.values()].find((stream) => stream.id !== state.screen)?.getAudioTracks()[0];
      return track
        ? (participant.pc
            .getReceivers()
            .find((r) => r.track === track)
            ?.getStats() ?? null)
        : null;
    });
    for (const stream of streams) {
      if (stream === camera) continue;
      const key = `${id}:${stream.id}`;
      const screen = stream.id === state.screen;
      this.tiles.upsert(key, {
        label: screen ? `${nameOf(participant)} (screen)` : nameOf(participant),
        stream,
        screen,
        owner: id,
      });
    }
    if (camera) this.tiles.remove(`${id}:${camera.id}`); // it was a screen's tile a moment ago
  }
}
