import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PipelineSynthesis, synthesizePipeline } from '../../examples/points/src/synthesize.js';

// The one test that really runs esbuild: every other CDK test uses placeholder code.
let synthesis: PipelineSynthesis;
beforeAll(() => {
  synthesis = synthesizePipeline({ nag: true });
}, 120_000);
afterAll(() => {
  rmSync(synthesis.outdir, { recursive: true, force: true });
});

describe('synthesizePipeline with esbuild bundles', () => {
  const functions = () =>
    Object.entries(
      synthesis.template.Resources as Record<string, { Type: string; Properties: { Handler: string } }>,
    )
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([id, resource]) => ({ id, handler: resource.Properties.Handler }));

  it("bundles the example's functions locally and ships the built-in ones as one prebuilt asset", () => {
    expect(functions()).toHaveLength(6);
    expect(Object.keys(synthesis.functionAssets).sort()).toEqual(
      functions()
        .map(({ id }) => id)
        .sort(),
    );
    for (const { id } of functions())
      expect(existsSync(join(synthesis.functionAssets[id]!, 'index.mjs')), id).toBe(true);
    const builtIn = functions().filter(({ handler }) => handler !== 'index.handler');
    expect(builtIn.map(({ handler }) => handler).sort()).toEqual([
      'index.auditorHandler',
      'index.compensationHandler',
      'index.outboxRelayHandler',
      'index.scalerHandler',
    ]);
    expect(new Set(builtIn.map(({ id }) => synthesis.functionAssets[id])).size).toBe(1);
  });

  it('produces bundles that load on this Node.js without configuration and export each handler', () => {
    for (const { id, handler } of functions()) {
      const url = pathToFileURL(join(synthesis.functionAssets[id]!, 'index.mjs')).href;
      const name = handler.slice('index.'.length);
      // A separate process, as the local cloud's Lambda runtime does; it also keeps vitest from
      // transforming the bundle. No environment: wiring must wait for the first invocation.
      const output = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(url)}); console.log(typeof m[${JSON.stringify(name)}]);`,
        ],
        { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' } },
      );
      expect(output.trim(), `${id} ${handler}`).toBe('function');
    }
  });

  it('passes the cdk-nag packs as validation plugins (a finding would have failed app.synth)', () => {
    expect(existsSync(join(synthesis.outdir, 'manifest.json'))).toBe(true);
  });
});
