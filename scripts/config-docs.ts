// Rewrites the configuration table in README.md from src/server/config.ts, and the server API's
// table in docs/operations.md from its routes.
import { readFileSync, writeFileSync } from 'node:fs';
import { withApiTable } from '../src/server/api/docs.js';
import { withConfigTable } from '../src/server/config-docs.js';

writeFileSync('README.md', withConfigTable(readFileSync('README.md', 'utf8')));
writeFileSync('docs/operations.md', withApiTable(readFileSync('docs/operations.md', 'utf8')));
