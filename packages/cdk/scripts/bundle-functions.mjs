#!/usr/bin/env node
/**
 * Bundles the built-in functions (auditor, scaler, outbox relay, compensation) from
 * `@oncely/runtime/lambda` into one ES module, lambda/ops/index.mjs, shipped in the package. The
 * constructs point every built-in function at it (`index.<handler>`), so synthesizing a user's app
 * bundles only the user's own consumer, and the functions run the runtime version this package
 * was built and tested with. The AWS SDK is bundled too, for the same reason.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.cwd(), 'package.json'));
const { buildSync } = require('esbuild');
const outdir = 'lambda/ops';
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
buildSync({
  stdin: { contents: "export * from '@oncely/runtime/lambda';", resolveDir: process.cwd(), loader: 'js' },
  outfile: join(outdir, 'index.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  mainFields: ['module', 'main'],
  conditions: ['import'],
  // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const kb = Math.round(statSync(join(outdir, 'index.mjs')).size / 1024);
console.log(`@oncely/cdk: built-in functions bundled into ${outdir}/index.mjs (${kb} KiB)`);
