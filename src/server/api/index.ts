/**
 * The server API under `/api/v1`, for the backends beside a call server: bearer admin JWT, then the
 * route's zod schemas, then the core. Every refusal is the protocol's error shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { api, type ErrorCode } from '../../protocol/index.js';
import { AuthError, type VerifyAdmin } from '../auth.js';
import type { Core } from '../core/index.js';
import { describeIssues } from '../core/gate.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { openApiDocument } from './openapi.js';
import { routes, type Reply, type Route } from './routes.js';

export interface ApiDeps {
  core: Core;
  /** Null: the server has no key for tokens, so nobody is admitted. */
  verify: VerifyAdmin | null;
  log: Logger;
  metrics: Metrics;
  /** Largest request body (`--max-payload`). */
  maxBodyBytes: number;
}

/** HTTP status of each error code the API answers with. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'payload-too-large': 413,
  internal: 500,
};

class Refused extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The API's request handler: true when the request was for `/api/v1` (and is answered).
 * @example if (api(req, res, url)) return;
 */
export function createApi(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  const { core, verify, log, metrics } = deps;
  let openapi: string | null = null;

  const send = (res: ServerResponse, status: number, body: object) =>
    res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  const refuse = (res: ServerResponse, code: ErrorCode, message: string) => {
    metrics.error(code);
    send(res, STATUS[code] ?? 500, { ok: false, error: { code, message } });
  };

  async function admit(req: IncomingMessage): Promise<void> {
    if (verify === null) {
      throw new Refused('unauthorized', 'the server API needs a key for tokens: --token-secret or --token-public-key');
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    try {
      await verify(bearer);
    } catch (err) {
      if (err instanceof AuthError) throw new Refused(err.code, err.message);
      throw err;
    }
  }

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > deps.maxBodyBytes) throw new Refused('payload-too-large', `body over ${deps.maxBodyBytes} bytes`);
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      throw new Refused('bad-request', 'the body is not JSON');
    }
  }

  async function run(route: Route, segments: string[], req: IncomingMessage, url: URL): Promise<Reply> {
    await admit(req);
    const params: Record<string, string> = {};
    route.path.split('/').forEach((part, i) => {
      const name = /^\{(.+)\}$/.exec(part)?.[1];
      if (name === undefined) return;
      const parsed = route.params[name].safeParse(segments[i]);
      if (!parsed.success)
        throw new Refused('bad-request', `${name}: ${describeIssues(parsed.error).replace(/^payload: /, '')}`);
      params[name] = parsed.data as string;
    });
    for (const [name, schema] of Object.entries(route.query ?? {})) {
      const value = url.searchParams.get(name);
      const parsed = value === null ? null : schema.safeParse(value);
      if (parsed && !parsed.success) throw new Refused('bad-request', `?${name}: ${parsed.error.issues[0].message}`);
    }
    let body: unknown;
    if (route.body) {
      const parsed = route.body.safeParse(await readBody(req));
      if (!parsed.success) throw new Refused('bad-request', `body: ${describeIssues(parsed.error)}`);
      body = parsed.data;
    }
    return route.run(core, { params, query: url.searchParams, body });
  }

  return (req, res, url) => {
    if (url.pathname !== api.API_PREFIX && !url.pathname.startsWith(`${api.API_PREFIX}/`)) return false;
    const path = url.pathname.slice(api.API_PREFIX.length);
    if (path === '/openapi.json' && req.method === 'GET') {
      // Public, like any API's reference: it says what exists, never what is in it.
      openapi ??= JSON.stringify(openApiDocument(routes));
      res.writeHead(200, { 'content-type': 'application/json' }).end(openapi);
      return true;
    }
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-allow-methods': 'GET, POST, DELETE',
          'access-control-max-age': '600',
        })
        .end();
      return true;
    }
    let segments: string[];
    try {
      segments = path.split('/').map(decodeURIComponent);
    } catch {
      refuse(res, 'bad-request', 'the path is not valid percent-encoding');
      return true;
    }
    const matches = routes.filter((r) => {
      const parts = r.path.split('/');
      return parts.length === segments.length && parts.every((p, i) => p.startsWith('{') || p === segments[i]);
    });
    const route = matches.find((r) => r.method === req.method);
    if (route === undefined) {
      refuse(res, 'not-found', matches.length > 0 ? `${req.method} is not allowed here` : `no route ${url.pathname}`);
      return true;
    }
    run(route, segments, req, url).then(
      (reply) => ('code' in reply ? refuse(res, reply.code, reply.message) : send(res, reply.status, reply.body)),
      (err: unknown) => {
        if (err instanceof Refused) return refuse(res, err.code, err.message);
        log.error({ err, path: url.pathname }, 'server API failed');
        refuse(res, 'internal', 'the server API failed');
      },
    );
    return true;
  };
}
