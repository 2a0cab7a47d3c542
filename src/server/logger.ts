/** Structured logs: JSON lines via pino, one logger per server, fields rather than prose. */
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, base: { service: 'tsunagu' } });
}
