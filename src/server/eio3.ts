/**
 * What Engine.IO v3 clients (socket.io-client 1.x/2.x) need beyond socket.io's `allowEIO3`: CORS
 * answers their browsers accept on a page from another origin.
 */
import type { ServerOptions } from 'socket.io';

type Cors = NonNullable<ServerOptions['cors']>;
type CorsDelegate = Extract<Cors, (...args: never[]) => void>;

/**
 * socket.io's `cors` option for `--allowed-origins`. engine.io-client 3 sends its long-polling
 * requests with credentials (`withCredentials` defaults to true there), and a browser drops a
 * credentialed response whose Access-Control-Allow-Origin is `*`: an `EIO=3` request is answered
 * with its own origin, when allowed, and credentials allowed. tsunagu reads no cookie, so this
 * lends those requests no authority; v4 clients keep the plain answer.
 * @example
 * new Server(http, { cors: socketIoCors('*') });
 */
export function socketIoCors(allowedOrigins: string): Cors {
  const origins = allowedOrigins === '*' ? '*' : allowedOrigins.split(',').map((o) => o.trim());
  const v4 = { origin: origins };
  const v3 = { origin: origins === '*' ? true : origins, credentials: true };
  // engine.io hands the delegate the whole IncomingMessage; cors's type names only method and headers.
  const delegate: CorsDelegate = (req, callback) =>
    callback(null, /[?&]EIO=3(&|$)/.test((req as { url?: string }).url ?? '') ? v3 : v4);
  return delegate;
}
