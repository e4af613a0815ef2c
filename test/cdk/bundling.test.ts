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
  it('bundles every function locally into an asset directory holding index.mjs', () => {
    const resources = synthesis.template.Resources as Record<
      string,
      { Type: string; Properties: { Handler?: string } }
    >;
    const functions = Object.entries(resources).filter(
      ([, resource]) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(6);
    expect(Object.keys(synthesis.functionAssets).sort()).toEqual(functions.map(([id]) => id).sort());
    for (const [id, resource] of functions) {
      expect(resource.Properties.Handler).toBe('index.handler');
      expect(existsSync(join(synthesis.functionAssets[id]!, 'index.mjs')), id).toBe(true);
    }
  });

  it('produces a scaler bundle that loads on this Node.js and exports handler', () => {
    const scalerId = Object.keys(synthesis.functionAssets).find((id) => id.startsWith('ScalingScaler'))!;
    const url = pathToFileURL(join(synthesis.functionAssets[scalerId]!, 'index.mjs')).href;
    // A separate process, as the local cloud's Lambda runtime does; it also keeps vitest from transforming the bundle.
    const output = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`,
      ],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          ONCELY_CONTROL_TABLE: 'control',
          ONCELY_EVENT_SOURCE_MAPPING_ID: 'uuid',
          ONCELY_SCALING_POLICY: JSON.stringify({
            floor: 2,
            ceiling: 10,
            queueType: 'fifo',
            mode: 'maximum-concurrency',
            steps: [{ name: 'elevated', alarmName: 'a', maximumConcurrency: 5, degradation: 'normal' }],
          }),
        },
      },
    );
    expect(output.trim()).toBe('function');
  });

  it('passes the cdk-nag packs as validation plugins (a finding would have failed app.synth)', () => {
    expect(existsSync(join(synthesis.outdir, 'manifest.json'))).toBe(true);
  });
});
