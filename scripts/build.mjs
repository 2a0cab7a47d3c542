// Builds what `npm start` runs: the server bundle (dist/cli.js) and the web app (dist/web/).
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/web', { recursive: true });

await Promise.all([
  build({
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  }),
  build({
    entryPoints: readdirSync('web')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `web/${f}`),
    outdir: 'dist/web',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome110',
    minify: true,
    // Served to anyone: maps give stack traces their places, never the sources themselves
    // (TSUNAGU_SOURCES=1 for a development build that has them).
    sourcemap: true,
    sourcesContent: process.env.TSUNAGU_SOURCES === '1',
    logLevel: 'warning',
  }),
  // The socket.io client for the classic tutorial's <script src="/socket.io/socket.io.js">: a plain
  // script (no module) that sets the global `io`, readable and minified, as socket.io shipped it.
  ...[false, true].map((minify) =>
    build({
      entryPoints: ['src/client/classic-io.ts'],
      outfile: `dist/socket.io/socket.io${minify ? '.min' : ''}.js`,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2018',
      minify,
      logLevel: 'warning',
    }),
  ),
]);

// Pages and assets are copied as they are; the .ts entry points above are what they load.
for (const file of readdirSync('web')) {
  if (/\.(html|css|svg|png|ico)$/.test(file)) cpSync(`web/${file}`, `dist/web/${file}`);
}
