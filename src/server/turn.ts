/**
 * TURN credentials the coturn REST way (`use-auth-secret`): the username is `<expiry>:<identity>`
 * and the password is base64(HMAC-SHA1(secret, username)), so coturn checks them without asking us.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../protocol/index.js';
import type { Config } from './config.js';

/**
 * @example turnCredentials({ turnSecret: 's', turnUrls: 'turn:127.0.0.1:3478', turnTtlSeconds: 3600 }, 'aiko', Date.now())
 * // → { urls: ['turn:127.0.0.1:3478'], username: '1767225600:aiko', credential: '…' }
 */
export function turnCredentials(
  config: Pick<Config, 'turnSecret' | 'turnUrls' | 'turnTtlSeconds'>,
  identity: string,
  now: number,
): IceServer {
  const expiry = Math.floor(now / 1000) + config.turnTtlSeconds;
  // A colon in the identity would make coturn read a different expiry.
  const username = `${expiry}:${identity.replace(/:/g, '_')}`;
  const credential = createHmac('sha1', config.turnSecret).update(username).digest('base64');
  const urls = config.turnUrls
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  return { urls, username, credential };
}

/** What a peer is handed: the configured servers, plus its own TURN credentials when TURN is set up. */
export function iceServersFor(config: Config, identity: string, now = Date.now()): IceServer[] {
  return config.turnSecret ? [...config.iceServers, turnCredentials(config, identity, now)] : config.iceServers;
}
