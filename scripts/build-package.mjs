#!/usr/bin/env node
/**
 * Builds the workspace package in the current directory:
 *   dist/esm  - tsc output (ES modules + .d.ts), from src/
 *   dist/cjs  - one CommonJS bundle per `exports` entry (esbuild, dependencies left external) with
 *               the same .d.ts tree, for `require()` callers (cdk init apps, Jest)
 * Packages list their entries in package.json `oncely.entries` ({ subpath: "src/file.ts" }) and
 * opt into the CommonJS build with `oncely.cjs: true`. Non-TypeScript files in src/ (e.g. worker
 * scripts) are copied next to the compiled modules.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const { entries = {}, cjs = false } = pkg.oncely ?? {};
const require = createRequire(join(process.cwd(), 'package.json'));
const started = Date.now();

rmSync('dist', { recursive: true, force: true });
const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

for (const file of walk('src')) {
  if (/\.(ts|tsx)$/.test(file)) continue;
  const to = join('dist/esm', relative('src', file));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(file, to);
}

if (cjs) {
  const { buildSync } = require('esbuild');
  for (const source of Object.values(entries)) {
    const out = join('dist/cjs', relative('src', source).replace(/\.ts$/, '.js'));
    buildSync({
      entryPoints: [source],
      outfile: out,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'warning',
      // import.meta.url has no CommonJS equivalent: give the bundle its own file URL.
      banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      define: { 'import.meta.url': '__importMetaUrl' },
    });
  }
  for (const file of walk('dist/esm')) {
    if (!file.endsWith('.d.ts')) continue;
    const to = join('dist/cjs', relative('dist/esm', file));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(file, to);
  }
  writeFileSync('dist/cjs/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);
}
console.log(`${pkg.name}: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
