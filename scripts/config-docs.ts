// Rewrites the configuration table in README.md from src/server/config.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/server/config-docs.js';

writeFileSync('README.md', withConfigTable(readFileSync('README.md', 'utf8')));
