/** Plain HTTP beside socket.io: the web app's static files and a liveness check. */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import type { Logger } from './logger.js';
import { webRoot } from './package-info.js';

export function createHttpHandler(log: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  if (!existsSync(webRoot)) log.warn({ webRoot }, 'web app not built: run `npm run build`');
  const serveStatic = sirv(webRoot, { etag: true, dev: false });

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    serveStatic(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
  };
}
