/**
 * The headers every HTTP answer of ours carries, so that a page of ours runs only our own scripts,
 * is framed by nobody, and tells nothing of its URL (the room's name) to anyone.
 */
import type { ServerResponse } from 'node:http';

/**
 * The pages' Content-Security-Policy. Scripts and styles come from our own files only (the pages
 * have no inline script, handler or style attribute: the app sets styles through CSSOM, which CSP
 * allows); `connect-src 'self'` admits our own origin over http(s) and ws(s), which is all the app
 * talks to (socket.io, `/v1`, `/ice-servers`); media from cameras is no URL and needs no rule.
 * `img-src data:` is for the pages' empty icon (`<link rel="icon" href="data:,">`).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Long enough to mean "never ask again": a file whose name carries its content's hash never changes. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Sets the headers every answer carries; a route may override them in its own `writeHead` (the SDK
 * script is for pages on any origin, so it sets `Cross-Origin-Resource-Policy: cross-origin`).
 * Answers are `no-store` unless their route says otherwise: most are live state (readiness, metrics,
 * the API) or credentials (`/ice-servers`).
 */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  // Room names are in the pages' URLs: no link or request sends them anywhere.
  res.setHeader('referrer-policy', 'no-referrer');
  // Other origins' pages may not load our answers as images, scripts or media (Spectre-style reads);
  // fetches they make with CORS are governed by CORS, unchanged.
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('cache-control', 'no-store');
}

/**
 * Cache-Control for a file of the web app: the build names scripts and styles by their content's
 * hash (`app-TJKOZAFT.js`, see scripts/build.mjs), so they are kept for a year; pages and anything
 * else are revalidated on every use (sirv answers 304 to a matching ETag), so a new build shows
 * at once.
 * @example staticCacheControl('/app-YTFFT4IG.js') // → 'public, max-age=31536000, immutable'
 */
export function staticCacheControl(pathname: string): string {
  return /-[A-Z2-7]{8}\.(js|css)(\.map)?$/.test(pathname) ? IMMUTABLE : 'no-cache';
}
