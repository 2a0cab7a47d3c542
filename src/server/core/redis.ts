/**
 * The Redis connection of a cluster node: one Redis, or a Redis Cluster (node-redis either way),
 * behind the few commands the core uses. Keys carry hash tags (`{r:<room>}`, `{n:<node>}`), and each
 * script touches one key, so everything works unchanged on a Redis Cluster.
 */
import { createClient, createCluster } from 'redis';
import type { Logger } from '../logger.js';

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/** What the core asks of Redis. */
export interface Store {
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  /** Appends to a stream, trimmed to about `maxLength` entries. */
  xAdd(key: string, fields: Record<string, string>, maxLength: number): Promise<unknown>;
  /** Blocks up to `blockMs` for entries after `id` (on the reader connection). */
  xRead(key: string, id: string, blockMs: number): Promise<StreamEntry[]>;
  get(key: string): Promise<string | null>;
  hGet(key: string, field: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /** Sets `key` only if it is absent (SET NX PX): true when this caller set it. */
  claim(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Every key matching `pattern`, on every master (SCAN: never blocks Redis the way KEYS would). */
  scan(pattern: string): Promise<string[]>;
  /** True while commands reach Redis. */
  readonly ready: boolean;
  /** Why not, for /readyz. */
  readonly problem: string | null;
  /** Called when the connection comes back after a loss. */
  onReturn(listener: () => void): void;
  close(): Promise<void>;
}

type Client = ReturnType<typeof createClient>;
type Cluster = ReturnType<typeof createCluster>;
type XReadReply = Array<{ name: string; messages: Array<{ id: string; message: Record<string, string> }> }> | null;

/**
 * Connects to `urls`: one URL for a single Redis; with `cluster`, the seed nodes of a Redis Cluster.
 * Commands wait while Redis is away (node-redis's offline queue) and go through when it returns.
 */
export async function connectStore(urls: string[], cluster: boolean, log: Logger): Promise<Store> {
  let closing = false;
  const reconnectStrategy = (retries: number) => (closing ? false : Math.min(100 * 2 ** retries, 2_000));
  let problem: string | null = null;
  const returned: Array<() => void> = [];
  const watch = (emitter: Client | Cluster, role: string) => {
    emitter.on('error', (err: Error) => {
      if (role === 'main' && problem !== err.message) log.warn({ err: err.message }, 'redis error');
      if (role === 'main') problem = err.message;
    });
  };
  let main: Client | Cluster;
  let reader: Client | Cluster;
  if (cluster) {
    const make = () =>
      createCluster({
        rootNodes: urls.map((url) => ({ url })),
        defaults: { socket: { reconnectStrategy } },
      });
    main = make();
    reader = make();
  } else {
    main = createClient({ url: urls[0], socket: { reconnectStrategy } });
    reader = main.duplicate();
  }
  watch(main, 'main');
  watch(reader, 'reader');
  // A single client says when it is ready again; a cluster client reconnects its node clients by
  // itself, so the heartbeat's own success is what tells the core that Redis is back (see below).
  let wasLost = false;
  const lost = () => {
    wasLost = true;
  };
  const back = () => {
    if (!wasLost) return;
    wasLost = false;
    problem = null;
    log.info('redis connection restored');
    for (const listener of returned) listener();
  };
  if (!cluster) {
    (main as Client).on('end', lost);
    (main as Client).on('reconnecting', lost);
    (main as Client).on('ready', back);
  }
  await main.connect();
  await reader.connect();
  const isReady = () => (cluster ? problem === null : (main as Client).isReady);
  const run = async <T>(command: () => Promise<T>): Promise<T> => {
    try {
      const result = await command();
      if (cluster) back();
      return result;
    } catch (err) {
      if (cluster && !closing) {
        problem = (err as Error).message;
        lost();
      }
      throw err;
    }
  };
  const m = main as Client; // the command methods have the same shape on both clients
  const r = reader as Client;
  return {
    eval: (script, keys, args) => run(() => m.eval(script, { keys, arguments: args })),
    xAdd: (key, fields, maxLength) =>
      run(() =>
        m.xAdd(key, '*', fields, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: maxLength } }),
      ),
    async xRead(key, id, blockMs) {
      const reply = (await r.xRead({ key, id }, { BLOCK: blockMs, COUNT: 512 })) as unknown as XReadReply;
      if (!reply) return [];
      return reply.flatMap((stream) => stream.messages.map(({ id, message }) => ({ id, fields: message })));
    },
    get: (key) => run(() => m.get(key)),
    hGet: (key, field) => run(async () => (await m.hGet(key, field)) ?? null),
    set: (key, value, ttlMs) => run(() => m.set(key, value, { PX: ttlMs })),
    del: (key) => run(() => m.del(key)),
    claim: (key, value, ttlMs) => run(async () => (await m.set(key, value, { PX: ttlMs, NX: true })) === 'OK'),
    scan: (pattern) =>
      run(async () => {
        const clients = cluster
          ? await Promise.all((main as Cluster).masters.map((node) => (main as Cluster).nodeClient(node)))
          : [m];
        const keys = new Set<string>();
        for (const client of clients) {
          for await (const batch of (client as Client).scanIterator({ MATCH: pattern, COUNT: 500 })) {
            for (const key of batch) keys.add(key);
          }
        }
        return [...keys];
      }),
    get ready() {
      return isReady();
    },
    get problem() {
      return isReady() ? null : `redis: ${problem ?? 'not connected'}`;
    },
    onReturn: (listener) => void returned.push(listener),
    async close() {
      closing = true;
      for (const client of [reader, main]) {
        try {
          if (cluster) await (client as Cluster).close();
          else if ((client as Client).isReady) await (client as Client).close();
          else (client as Client).destroy();
        } catch {
          // already gone: nothing left to close
        }
      }
    },
  };
}
