#!/usr/bin/env node
/** The `tsunagu` command: flags and environment → config → createServer, and a clean exit on signals. */
import { parseArgs } from 'node:util';
import { ConfigError, flagOf, optionSpecs, resolveConfig, type OptionName } from './server/config.js';
import { renderHelp } from './server/config-docs.js';
import { mintToken } from './server/auth.js';
import { guardProcess } from './server/guard.js';
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
        ...Object.fromEntries(
          names.map((name) => [flagOf(name), { type: 'string' as const, multiple: 'repeatable' in optionSpecs[name] }]),
        ),
      },
    });
  } catch (err) {
    process.stderr.write(`tsunagu: ${(err as Error).message}\nRun 'tsunagu --help' for the options.\n`);
    return 2;
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
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
    // A repeatable flag's values reach its parser joined by commas, as its environment variable has them.
    const flagValue = (v: unknown) => (Array.isArray(v) ? v.join(',') : (v as string | undefined));
    const flags = Object.fromEntries(names.map((name) => [name, flagValue(values[flagOf(name)])]));
    config = resolveConfig(flags, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`tsunagu: ${err.message}\nRun 'tsunagu --help' for the options.\n`);
    return 2;
  }

  const server = await createServer(config);
  // One client's bad data must not end every client's connection (see guard.ts).
  guardProcess(server.log, server.metrics);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      server.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    server.log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    void server.shutdown().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return -1; // keep running
}

/** `tsunagu token`: mints an HS256 token for development, signed with --token-secret / TOKEN_SECRET. */
async function token(argv: string[]): Promise<number> {
  const usage = `Usage: tsunagu token --sub <identity> --room <room|prefix*> [--name <name>] [--ttl <seconds>] [--token-secret <secret>]
       tsunagu token --admin --sub <identity> [--ttl <seconds>] [--token-secret <secret>]
Prints a JWT for servers that share the secret (default ttl 3600): a client's token for --auth token,
or with --admin one for the server API (/api/v1), whatever --auth says.`;
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        sub: { type: 'string' },
        room: { type: 'string' },
        name: { type: 'string' },
        admin: { type: 'boolean' },
        ttl: { type: 'string', default: '3600' },
        'token-secret': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`tsunagu token: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const secret = values['token-secret'] ?? process.env.TOKEN_SECRET ?? '';
  const ttl = Number(values.ttl);
  const problem = !values.sub
    ? '--sub is required'
    : !values.room && !values.admin
      ? '--room is required'
      : secret.length < 32
        ? 'a --token-secret (or TOKEN_SECRET) of at least 32 characters is required'
        : !Number.isInteger(ttl) || ttl < 1
          ? '--ttl must be a whole number of seconds'
          : null;
  if (problem) {
    process.stderr.write(`tsunagu token: ${problem}\n${usage}\n`);
    return 2;
  }
  try {
    const jwt = await mintToken({
      secret,
      sub: values.sub!,
      room: values.room,
      admin: values.admin,
      name: values.name,
      ttl,
    });
    process.stdout.write(jwt + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`tsunagu token: ${(err as Error).message}\n`);
    return 2;
  }
}

const argv = process.argv.slice(2);
(argv[0] === 'token' ? token(argv.slice(1)) : main(argv)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`tsunagu: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
