/**
 * The runtime fault hook: a deployed function's bundle (CommonJS or ESM) wrapped so that it runs the
 * real handler and then crashes or hangs by rate, decided per delivery from the seed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath as projectPath } from '../../examples/points/src/paths.js';
import { RuntimeFaults } from '../../packages/local-cloud/src/faults/runtime-faults.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/lambda-functions', import.meta.url));
let cloud: TestCloud;
let lambda: LambdaService;
let workDir: string;

function sqsEvent(messageId: string, receiveCount = 1) {
  return {
    Records: [{ messageId, body: '{}', attributes: { ApproximateReceiveCount: String(receiveCount) } }],
  };
}

beforeAll(async () => {
  cloud = await startTestCloud();
  lambda = cloud.local!.services.lambda as LambdaService;
  // Inside the project, as the real runs use it, so bundles resolve the SDK from node_modules.
  mkdirSync(projectPath('node_modules/.cache'), { recursive: true });
  workDir = mkdtempSync(join(projectPath('node_modules/.cache'), 'oncely-runtime-faults-test-'));
});

afterAll(async () => {
  await cloud.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('runtime faults in the local Lambda runtime', () => {
  it('crashes a CommonJS function after its handler ran, and counts the fault', async () => {
    lambda.registerFunction({ name: 'crashy', codeDirectory: join(FIXTURES, 'cjs'), handler: 'index.echo' });
    const faults = new RuntimeFaults({ seed: 1, rates: { crash: 1 }, workDir });
    faults.install(lambda, 'crashy');
    const result = await lambda.invokeFunction('crashy', sqsEvent('m-1'));
    expect(result.functionError).toBe('Unhandled');
    expect(result.payload).toContain('Injected runtime fault: crash');
    await expect.poll(() => faults.injected.crash).toBe(1);
    expect(faults.recordsAffected).toBe(1);

    faults.uninstall();
    const healthy = await lambda.invokeFunction('crashy', sqsEvent('m-1'));
    expect(healthy.functionError).toBeUndefined();
  });

  it('lets an ESM function time out when the timeout fault fires', async () => {
    lambda.registerFunction({
      name: 'hangs',
      codeDirectory: join(FIXTURES, 'esm'),
      handler: 'index.handler',
      timeout: 1,
    });
    const faults = new RuntimeFaults({ seed: 1, rates: { timeout: 1 }, workDir });
    faults.install(lambda, 'hangs');
    const result = await lambda.invokeFunction('hangs', sqsEvent('m-2'));
    expect(result.functionError).toBe('Unhandled');
    await expect.poll(() => faults.injected.timeout).toBe(1);
    faults.close();
  });

  it('decides each delivery from the seed: the same message and receive count, the same fate', async () => {
    lambda.registerFunction({ name: 'coin', codeDirectory: join(FIXTURES, 'cjs'), handler: 'index.echo' });
    const faults = new RuntimeFaults({ seed: 42, rates: { crash: 0.5 }, workDir });
    faults.install(lambda, 'coin');
    const fates = async () => {
      const outcomes: boolean[] = [];
      for (let n = 0; n < 12; n++)
        outcomes.push(
          (await lambda.invokeFunction('coin', sqsEvent(`m-${n}`, 1 + (n % 3)))).functionError === undefined,
        );
      return outcomes;
    };
    const first = await fates();
    expect(await fates()).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
    faults.close();
  });
});
