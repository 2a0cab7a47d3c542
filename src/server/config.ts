/**
 * Every option of the server, declared once: its flag, environment variable, default and doc line.
 * `--help`, the README's configuration table and `createServer`'s defaults are all rendered from here.
 */
import { z } from 'zod';
import { parseTrustProxy } from './core/admission.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, PEERJS_DEFAULTS, schemas, type IceServer } from '../protocol/index.js';

export interface OptionSpec<T> {
  /**
   * The flag, when it is not the option's name in kebab case: options say their unit in code
   * (`resumeWindowMs`), flags in people's units (`--resume-window` seconds).
   */
  flag?: string;
  /** Environment variable read when the flag is absent. */
  env: string;
  /** Placeholder shown in `--help`, e.g. `<port>`. */
  value: string;
  default: T;
  doc: string;
  parse: (raw: string) => T;
  /** How the default reads in docs, when `String(default)` would not say it well. */
  shownDefault?: string;
  /** The flag may be given more than once: its values reach `parse` joined by commas. */
  repeatable?: true;
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

function bool(raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error('must be true or false');
}

/** A duration in seconds, for people; kept in ms inside. */
function seconds(min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new Error(`must be a number of seconds from ${min} to ${max}`);
    }
    return Math.round(n * 1000);
  };
}

const text = (raw: string) => raw.trim();

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const optionSpecs = {
  port: {
    env: 'PORT',
    value: '<port>',
    default: 9001,
    doc: 'TCP port for HTTP, the WebSocket /v1, socket.io, PeerJS and the web app; 0 picks a free port.',
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
  metricsPort: {
    env: 'METRICS_PORT',
    value: '<port>',
    default: null as number | null,
    shownDefault: '(none: /metrics on --port)',
    doc: 'TCP port of a second HTTP server that serves only /metrics (room and traffic counts); with it, --port no longer serves /metrics. 0 picks a free port.',
    parse: integer(0, 65535),
  } satisfies OptionSpec<number | null>,
  metricsHost: {
    env: 'METRICS_HOST',
    value: '<address>',
    default: '',
    shownDefault: "--host's",
    doc: 'Address the --metrics-port server listens on, e.g. 127.0.0.1 or a private interface only Prometheus reaches.',
    parse: text,
  } satisfies OptionSpec<string>,
  metricsToken: {
    env: 'METRICS_TOKEN',
    value: '<secret>',
    default: '',
    shownDefault: '(none: /metrics is open)',
    doc: 'Bearer token /metrics asks for in its Authorization header, on whichever port serves it; at least 16 characters. Prefer the environment variable.',
    parse: text,
  } satisfies OptionSpec<string>,
  iceServers: {
    env: 'ICE_SERVERS',
    value: '<json>',
    default: [] as IceServer[],
    shownDefault: '[] (none)',
    doc: 'RTCIceServer list handed to clients in the join ack, e.g. \'[{"urls":"stun:stun.example.org"}]\'.',
    parse: json(schemas.iceServers),
  } satisfies OptionSpec<IceServer[]>,
  maxPayloadBytes: {
    flag: 'max-payload',
    env: 'MAX_PAYLOAD',
    value: '<bytes>',
    default: DEFAULT_MAX_PAYLOAD_BYTES,
    doc: 'Largest message a client may send; a larger one gets payload-too-large, and a frame over 4x closes the connection.',
    parse: integer(1024, 16 * 1024 * 1024),
  } satisfies OptionSpec<number>,
  maxSendBufferBytes: {
    flag: 'max-send-buffer',
    env: 'MAX_SEND_BUFFER',
    value: '<bytes>',
    default: 4 * 1024 * 1024,
    shownDefault: '4194304 (4 MiB)',
    doc: 'Most bytes queued for one connection and not yet written (a client that does not read); past it the connection is closed as a slow consumer (slow-consumer, close code 4008) and may resume. Never less than 2x --max-payload.',
    parse: integer(64 * 1024, 1024 * 1024 * 1024),
  } satisfies OptionSpec<number>,
  maxNodeSendBufferBytes: {
    flag: 'max-node-send-buffer',
    env: 'MAX_NODE_SEND_BUFFER',
    value: '<bytes>',
    default: 256 * 1024 * 1024,
    shownDefault: '268435456 (256 MiB)',
    doc: 'Most bytes queued for all connections of this node together (sampled each second); past it new joins get overloaded and /readyz answers 503, until under 3/4 of it.',
    parse: integer(64 * 1024, 1024 ** 4),
  } satisfies OptionSpec<number>,
  maxHeapBytes: {
    flag: 'max-heap',
    env: 'MAX_HEAP',
    value: '<bytes>',
    default: 0,
    shownDefault: "0 (80 % of V8's heap limit)",
    doc: 'Heap in use past which new joins get overloaded and /readyz answers 503, until under 3/4 of it; 0 takes 80 % of the heap limit node runs with (--max-old-space-size).',
    parse: integer(0, 1024 ** 4),
  } satisfies OptionSpec<number>,
  maxPeersPerRoom: {
    env: 'MAX_PEERS_PER_ROOM',
    value: '<n>',
    default: 8,
    doc: 'Most peers in one room; one more gets room-full. A mesh call sends every stream to every peer, so keep it small.',
    parse: integer(1, 10_000),
  } satisfies OptionSpec<number>,
  maxRooms: {
    env: 'MAX_ROOMS',
    value: '<n>',
    default: 10_000,
    doc: 'Most rooms on this node; a join that would open one more gets too-many-rooms.',
    parse: integer(1, 10_000_000),
  } satisfies OptionSpec<number>,
  maxConnections: {
    env: 'MAX_CONNECTIONS',
    value: '<n>',
    default: 20_000,
    doc: 'Most connected clients on this node; one more is refused with too-many-connections.',
    parse: integer(1, 10_000_000),
  } satisfies OptionSpec<number>,
  maxConnectionsPerIp: {
    env: 'MAX_CONNECTIONS_PER_IP',
    value: '<n>',
    default: 50,
    doc: 'Most connected clients from one IP address on this node.',
    parse: integer(1, 10_000_000),
  } satisfies OptionSpec<number>,
  rateLimit: {
    env: 'RATE_LIMIT',
    value: '<events/s>',
    default: 50,
    doc: 'Sustained events per second one socket may send (token bucket); beyond it, rate-limited.',
    parse: integer(1, 1_000_000),
  } satisfies OptionSpec<number>,
  rateBurst: {
    env: 'RATE_BURST',
    value: '<events>',
    default: 200,
    doc: 'Events a socket may send at once above the rate (the bucket size): a call setup is a burst.',
    parse: integer(1, 1_000_000),
  } satisfies OptionSpec<number>,
  auth: {
    env: 'AUTH',
    value: '<mode>',
    default: 'open' as 'open' | 'token',
    doc: 'open: anyone may join any room. token: a JWT is required to connect (auth.token or ?token=).',
    parse: oneOf('open', 'token'),
  } satisfies OptionSpec<'open' | 'token'>,
  tokenSecret: {
    env: 'TOKEN_SECRET',
    value: '<secret>',
    default: '',
    shownDefault: '(none)',
    doc: 'Shared secret for HS256 tokens. Prefer the environment variable: flags show in `ps`.',
    parse: text,
  } satisfies OptionSpec<string>,
  tokenPublicKey: {
    env: 'TOKEN_PUBLIC_KEY',
    value: '<file>',
    default: '',
    shownDefault: '(none)',
    doc: 'PEM public key (SPKI) file for EdDSA or ES256 tokens, instead of a shared secret.',
    parse: text,
  } satisfies OptionSpec<string>,
  tokenMaxTtlSeconds: {
    flag: 'token-max-ttl',
    env: 'TOKEN_MAX_TTL',
    value: '<seconds>',
    default: 86_400,
    doc: 'Longest a token may still be valid when it is presented: one without `exp`, or expiring later than this from now, is refused.',
    parse: integer(60, 365 * 86_400),
  } satisfies OptionSpec<number>,
  turnSecret: {
    env: 'TURN_SECRET',
    value: '<secret>',
    default: '',
    shownDefault: '(none)',
    doc: "coturn's static-auth-secret: with it, every join gets short-lived TURN credentials.",
    parse: text,
  } satisfies OptionSpec<string>,
  turnUrls: {
    env: 'TURN_URLS',
    value: '<urls>',
    default: '',
    shownDefault: '(none)',
    doc: 'Comma-separated TURN URLs the credentials are for, e.g. turn:turn.example.org:3478?transport=udp.',
    parse: text,
  } satisfies OptionSpec<string>,
  turnTtlSeconds: {
    flag: 'turn-ttl',
    env: 'TURN_TTL',
    value: '<seconds>',
    default: 86_400,
    doc: 'How long TURN credentials stay valid.',
    parse: integer(60, 30 * 86_400),
  } satisfies OptionSpec<number>,
  trustProxy: {
    env: 'TRUST_PROXY',
    value: '<hops|addresses>',
    default: 'false',
    doc: "Behind a load balancer, take the client address from X-Forwarded-For for per-IP limits and logs: a hop count (true = 1: the proxy in front), or the proxies' addresses, comma-separated. The rightmost entry not from a trusted proxy wins, so a client cannot choose its own.",
    parse: (raw: string) => {
      parseTrustProxy(raw);
      return raw.trim();
    },
  } satisfies OptionSpec<string>,
  redis: {
    env: 'REDIS_URL',
    value: '<url>',
    default: '',
    shownDefault: '(none: one node, in memory)',
    doc: 'Redis to share rooms, presence and signals with other nodes, e.g. redis://127.0.0.1:6379; with --redis-cluster, seed nodes of a Redis Cluster, comma-separated.',
    parse: text,
  } satisfies OptionSpec<string>,
  redisCluster: {
    env: 'REDIS_CLUSTER',
    value: '<bool>',
    default: false as boolean,
    doc: 'Treat --redis as the seed nodes of a Redis Cluster.',
    parse: bool,
  } satisfies OptionSpec<boolean>,
  resumeWindowMs: {
    flag: 'resume-window',
    env: 'RESUME_WINDOW',
    value: '<seconds>',
    default: 30_000,
    shownDefault: '30',
    doc: 'A client whose link drops comes back within this window with the same id, room and missed signals; its peers see peer-reconnecting, and peer-left only after it. 0 turns this off.',
    parse: seconds(0, 3600),
  } satisfies OptionSpec<number>,
  shutdownGraceMs: {
    flag: 'shutdown-grace',
    env: 'SHUTDOWN_GRACE',
    value: '<seconds>',
    default: 10_000,
    shownDefault: '10',
    doc: 'On SIGTERM/SIGINT, how long clients get to move elsewhere before the process exits.',
    parse: seconds(0, 3600),
  } satisfies OptionSpec<number>,
  peerjs: {
    env: 'PEERJS',
    value: '<bool>',
    default: true as boolean,
    doc: 'Serve the PeerJS server protocol under /peerjs (WebSocket /peerjs/peerjs, GET /peerjs/<key>/id), so PeerJS apps can use this server.',
    parse: bool,
  } satisfies OptionSpec<boolean>,
  peerjsKey: {
    env: 'PEERJS_KEY',
    value: '<key>',
    default: PEERJS_DEFAULTS.key as string,
    doc: "The PeerJS API key clients must give (the client's `key` option); another key gets INVALID-KEY.",
    parse: (raw: string) => {
      if (!/^[\x21-\x7e]{1,128}$/.test(raw)) throw new Error('must be 1-128 printable ASCII characters');
      return raw;
    },
  } satisfies OptionSpec<string>,
  peerjsDiscovery: {
    env: 'PEERJS_DISCOVERY',
    value: '<bool>',
    default: false as boolean,
    doc: "Answer GET /peerjs/<key>/peers with every connected PeerJS id (PeerJS server's allow_discovery); 401 when off.",
    parse: bool,
  } satisfies OptionSpec<boolean>,
  peerjsExpireMs: {
    flag: 'peerjs-expire',
    env: 'PEERJS_EXPIRE',
    value: '<seconds>',
    default: PEERJS_DEFAULTS.expireTimeoutMs as number,
    shownDefault: '5',
    doc: 'How long a PeerJS message waits for a peer that is not connected before its sender hears EXPIRE.',
    parse: seconds(0.05, 600),
  } satisfies OptionSpec<number>,
  allowEio3: {
    env: 'ALLOW_EIO3',
    value: '<bool>',
    default: true as boolean,
    doc: "Accept Engine.IO v3 clients (socket.io-client 1.x and 2.x, as the classic tutorial's page loads): the classic relay and join/signal with acks, no resume window.",
    parse: bool,
  } satisfies OptionSpec<boolean>,
  allowedOrigins: {
    env: 'ALLOWED_ORIGINS',
    value: '<list>',
    default: '*',
    shownDefault: '* (any)',
    doc: 'Comma-separated origins whose pages may connect and call the HTTP API, or * for any.',
    parse: (raw: string) => raw.trim() || '*',
  } satisfies OptionSpec<string>,
  webhookUrls: {
    flag: 'webhook-url',
    env: 'WEBHOOK_URLS',
    value: '<url>',
    default: [] as string[],
    shownDefault: '(none)',
    repeatable: true,
    doc: 'Where to POST room and member events (signed with --webhook-secret); repeat the flag, or comma-separate, for several receivers.',
    parse: (raw: string) =>
      raw
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean)
        .map((u) => {
          if (!/^https?:\/\/[^/]/.test(u) || !URL.canParse(u)) throw new Error(`'${u}' is not an http(s) URL`);
          return u;
        }),
  } satisfies OptionSpec<string[]>,
  webhookSecret: {
    env: 'WEBHOOK_SECRET',
    value: '<secret>',
    default: '',
    shownDefault: '(none)',
    doc: 'Key of the Tsunagu-Signature HMAC on each webhook, so receivers know it came from this server. Prefer the environment variable.',
    parse: text,
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
  const spec: OptionSpec<unknown> = optionSpecs[name];
  return spec.flag ?? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
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
  return checkConfig(config as Config);
}

/** Options that only make sense together; checked once the values are known. */
export function checkConfig(config: Config): Config {
  // A caller's `{ resumeWindow: 30 }` must not quietly mean anything: every key is an option.
  for (const key of Object.keys(config)) {
    if (key in optionSpecs) continue;
    const like = (Object.keys(optionSpecs) as OptionName[]).find((n) => n.toLowerCase().startsWith(key.toLowerCase()));
    throw new ConfigError(`unknown option '${key}'${like ? ` (did you mean '${like}'?)` : ''}`);
  }
  if (config.auth === 'token' && !config.tokenSecret && !config.tokenPublicKey) {
    throw new ConfigError('--auth token needs --token-secret or --token-public-key');
  }
  if (config.tokenSecret && config.tokenSecret.length < 32) {
    throw new ConfigError('--token-secret must be at least 32 characters (HS256 wants 256 bits)');
  }
  if (config.tokenSecret && config.tokenPublicKey) {
    throw new ConfigError('give --token-secret or --token-public-key, not both');
  }
  if (config.webhookUrls.length > 0 && config.webhookSecret.length < 16) {
    throw new ConfigError('--webhook-url needs a --webhook-secret of at least 16 characters');
  }
  if (config.metricsHost && config.metricsPort === null) {
    throw new ConfigError('--metrics-host needs --metrics-port');
  }
  if (config.metricsToken && config.metricsToken.length < 16) {
    throw new ConfigError('--metrics-token must be at least 16 characters');
  }
  if (Boolean(config.turnSecret) !== Boolean(config.turnUrls)) {
    throw new ConfigError('--turn-secret and --turn-urls go together');
  }
  return config;
}

export function shownDefault(name: OptionName): string {
  const spec: OptionSpec<unknown> = optionSpecs[name];
  return spec.shownDefault ?? String(spec.default);
}
