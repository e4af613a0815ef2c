import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { PipelineSettingsInput } from '../../packages/cdk/src/settings.js';
import { buildStack } from './stack-fixture.js';

/** Every unacknowledged cdk-nag finding of both packs, as `rule at path`. */
function findings(settings: PipelineSettingsInput): string[] {
  const { stack } = buildStack(settings);
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(stack)
      .violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) => `${violation.ruleName} at ${resource.locations.join(',')}`,
        ),
      ),
  );
}

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  it.each([
    ['the defaults', {}],
    [
      'standard queues with KMS, provisioned pollers and an alarm e-mail',
      {
        queueType: 'standard',
        encryption: 'kms',
        pollerMode: 'provisioned',
        alarmEmail: 'ops@example.com',
      },
    ],
  ] as const)('report no unacknowledged finding for %s', (_name, settings) => {
    expect(findings(settings)).toEqual([]);
  });
});
