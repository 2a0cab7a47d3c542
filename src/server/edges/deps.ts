/** What every edge is built from: the one HTTP server, the core, admission, and the server's config, logs and metrics. */
import type { Server as HttpServer } from 'node:http';
import type { Config } from '../config.js';
import type { Admission, TrustProxy } from '../core/admission.js';
import type { Core } from '../core/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export interface EdgeDeps {
  http: HttpServer;
  core: Core;
  admission: Admission;
  trust: TrustProxy;
  config: Config;
  log: Logger;
  metrics: Metrics;
}
