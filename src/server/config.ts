/**
 * Every option of the server, declared once: its flag, environment variable, default and doc line.
 * `--help`, the README's configuration table and `createServer`'s defaults are all rendered from here.
 */
import { z } from 'zod';
import { DEFAULT_MAX_PAYLOAD_BYTES, schemas, type IceServer } from '../protocol/index.js';

export interface OptionSpec<T> {
  /** Environment variable read when the flag is absent. */
  env: string;
  /** Placeholder shown in `--help`, e.g. `<port>`. */
  value: string;
  default: T;
  doc: string;
  parse: (raw: string) => T;
  /** How the default reads in docs, when `String(default)` would not say it well. */
  shownDefault?: string;
}

function integer(min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new Error(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function oneOf<const T extends string>(...values: T[]) {
  return (raw: string): T => {
    if (!(values as string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

function json<T>(schema: z.ZodType<T>) {
  return (raw: string): T => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error('must be valid JSON');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new Error(`is not valid: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
    return parsed.data;
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const optionSpecs = {
  port: {
    env: 'PORT',
    value: '<port>',
    default: 9001,
    doc: 'TCP port for HTTP, socket.io and the web app; 0 picks a free port.',
    parse: integer(0, 65535),
  } satisfies OptionSpec<number>,
  host: {
    env: 'HOST',
    value: '<address>',
    default: '',
    shownDefault: 'all interfaces',
    doc: 'Address to listen on, e.g. 127.0.0.1 to stay on this machine.',
    parse: (raw: string) => raw.trim(),
  } satisfies OptionSpec<string>,
  iceServers: {
    env: 'ICE_SERVERS',
    value: '<json>',
    default: [] as IceServer[],
    shownDefault: '[] (none)',
    doc: 'RTCIceServer list handed to clients in the join ack, e.g. \'[{"urls":"stun:stun.example.org"}]\'.',
    parse: json(schemas.iceServers),
  } satisfies OptionSpec<IceServer[]>,
  maxPayload: {
    env: 'MAX_PAYLOAD',
    value: '<bytes>',
    default: DEFAULT_MAX_PAYLOAD_BYTES,
    doc: 'Largest message a client may send; a larger one closes its connection (socket.io maxHttpBufferSize).',
    parse: integer(1024, 16 * 1024 * 1024),
  } satisfies OptionSpec<number>,
  maxPeersPerRoom: {
    env: 'MAX_PEERS_PER_ROOM',
    value: '<n>',
    default: 8,
    doc: 'Most peers in one room; one more gets room-full. A mesh call sends every stream to every peer, so keep it small.',
    parse: integer(1, 10_000),
  } satisfies OptionSpec<number>,
  allowedOrigins: {
    env: 'ALLOWED_ORIGINS',
    value: '<list>',
    default: '*',
    shownDefault: '* (any)',
    doc: 'Comma-separated origins allowed to connect from a browser page, or * for any.',
    parse: (raw: string) => raw.trim() || '*',
  } satisfies OptionSpec<string>,
  logLevel: {
    env: 'LOG_LEVEL',
    value: '<level>',
    default: 'info' as (typeof LOG_LEVELS)[number],
    doc: `Log level: ${LOG_LEVELS.join(', ')}. Logs are JSON lines on stdout (pino).`,
    parse: oneOf(...LOG_LEVELS),
  } satisfies OptionSpec<(typeof LOG_LEVELS)[number]>,
};

export type OptionName = keyof typeof optionSpecs;

export type Config = { [K in OptionName]: (typeof optionSpecs)[K]['default'] };

export const defaults: Config = Object.fromEntries(
  Object.entries(optionSpecs).map(([key, spec]) => [key, spec.default]),
) as Config;

/** `iceServers` → `ice-servers`: flags are the option names in kebab case. */
export function flagOf(name: OptionName): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export class ConfigError extends Error {}

/**
 * Resolves the configuration: a flag wins over its environment variable, which wins over the default.
 * @example resolveConfig({ port: '0' }, process.env) // → { port: 0, host: '', ... }
 */
export function resolveConfig(
  flags: Partial<Record<OptionName, string>>,
  env: Record<string, string | undefined> = {},
): Config {
  const config: Record<string, unknown> = { ...defaults };
  for (const name of Object.keys(optionSpecs) as OptionName[]) {
    const spec = optionSpecs[name];
    const fromFlag = flags[name];
    const fromEnv = env[spec.env] === '' ? undefined : env[spec.env];
    const raw = fromFlag ?? fromEnv;
    if (raw === undefined) continue;
    try {
      config[name] = spec.parse(raw);
    } catch (err) {
      const source = fromFlag !== undefined ? `--${flagOf(name)}` : spec.env;
      throw new ConfigError(`${source} ${(err as Error).message} (got '${raw}')`);
    }
  }
  return config as Config;
}

export function shownDefault(name: OptionName): string {
  const spec: OptionSpec<unknown> = optionSpecs[name];
  return spec.shownDefault ?? String(spec.default);
}
