#!/usr/bin/env node
/** The `tsunagu` command: flags and environment → config → createServer, and a clean exit on signals. */
import { parseArgs } from 'node:util';
import { ConfigError, flagOf, optionSpecs, resolveConfig, type OptionName } from './server/config.js';
import { renderHelp } from './server/config-docs.js';
import { createServer } from './server/index.js';
import { packageVersion } from './server/package-info.js';

const names = Object.keys(optionSpecs) as OptionName[];

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        ...Object.fromEntries(names.map((name) => [flagOf(name), { type: 'string' as const }])),
      },
    });
  } catch (err) {
    process.stderr.write(`tsunagu: ${(err as Error).message}\nRun 'tsunagu --help' for the options.\n`);
    return 2;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(renderHelp() + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(packageVersion + '\n');
    return 0;
  }

  let config;
  try {
    const flags = Object.fromEntries(names.map((name) => [name, values[flagOf(name)] as string | undefined]));
    config = resolveConfig(flags, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`tsunagu: ${err.message}\nRun 'tsunagu --help' for the options.\n`);
    return 2;
  }

  const server = await createServer(config);
  const stop = (signal: string) => {
    server.log.info({ signal }, 'shutting down');
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`tsunagu: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
