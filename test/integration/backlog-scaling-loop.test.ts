/**
 * The backlog scaling loop end to end on the local cloud, from the synthesized PipelineStack:
 * queue depth -> backlog alarms -> "CloudWatch Alarm State Change" on EventBridge -> scaler bundle
 * -> UpdateEventSourceMapping and the control table's degradation item. The consumer's mapping is
 * disabled so the backlog stays put while the loop reacts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { PurgeQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizePipeline } from '../../examples/points/src/synthesize.js';
import { OUTPUT_KEYS } from '@oncely/runtime/contract';
import {
  type CloudFormationTemplate,
  deployTemplate,
} from '../../packages/local-cloud/src/deploy/template-deployer.js';
import { CONTROL, PARTITION_KEY } from '../../packages/runtime/src/core/tables.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';

let cloud: TestCloud;
let outdir: string;
let outputs: Record<string, string>;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'oncely-scaling-loop-'));
  const synthesis = synthesizePipeline({
    outdir,
    settings: {
      queueType: 'standard',
      concurrencyFloor: 2,
      concurrencyCeiling: 20,
      backlogSteps: {
        elevated: { visibleMessages: 5, maximumConcurrency: 6, degradation: 'normal' },
        high: { visibleMessages: 40, maximumConcurrency: 12, degradation: 'elevated' },
        critical: { visibleMessages: 1_000, maximumConcurrency: 20, degradation: 'critical' },
      },
    },
  });
  // One CloudWatch minute passes in a second, so 1-minute alarm periods evaluate quickly.
  cloud = await startTestCloud({ monitoring: { timeScale: 60 } });
  const summary = await deployTemplate(
    cloud.local!,
    synthesis.template as unknown as CloudFormationTemplate,
    {
      assetDir: synthesis.outdir,
      stackName: synthesis.stackName,
    },
  );
  outputs = summary.outputs as Record<string, string>;
  await cloud.clients.lambda.send(
    new UpdateEventSourceMappingCommand({ UUID: outputs[OUTPUT_KEYS.eventSourceMappingId], Enabled: false }),
  );
}, 240_000);
afterAll(async () => {
  await cloud?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

async function send(count: number): Promise<void> {
  for (let start = 0; start < count; start += 10) {
    const size = Math.min(10, count - start);
    await cloud.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: outputs[OUTPUT_KEYS.queueUrl],
        Entries: Array.from({ length: size }, (_, index) => ({ Id: String(index), MessageBody: '{}' })),
      }),
    );
  }
}

async function observed(): Promise<{ concurrency: number | undefined; level: unknown }> {
  const mapping = await cloud.clients.lambda.send(
    new GetEventSourceMappingCommand({ UUID: outputs[OUTPUT_KEYS.eventSourceMappingId] }),
  );
  const { Item } = await cloud.clients.documents.send(
    new GetCommand({
      TableName: outputs[OUTPUT_KEYS.controlTable],
      Key: { [PARTITION_KEY]: CONTROL.degradationKey },
    }),
  );
  return { concurrency: mapping.ScalingConfig?.MaximumConcurrency, level: Item?.level };
}

/** Polls until the loop has settled on `expected` (or the test times out). */
async function settlesOn(expected: { concurrency: number; level: string }): Promise<void> {
  for (;;) {
    const current = await observed();
    if (current.concurrency === expected.concurrency && current.level === expected.level) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('backlog scaling loop on the local cloud', () => {
  it('starts at the floor', async () => {
    expect((await observed()).concurrency).toBe(2);
  });

  it('raises concurrency to the elevated step when the backlog crosses it', async () => {
    // Polls already in flight when the mapping was disabled may still take up to two batches of 10.
    await send(25);
    await settlesOn({ concurrency: 6, level: 'normal' });
  }, 60_000);

  it('raises concurrency and degrades at the high step', async () => {
    await send(40);
    await settlesOn({ concurrency: 12, level: 'elevated' });
  }, 60_000);

  it('returns to the floor and normal once the backlog is gone', async () => {
    await cloud.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: outputs[OUTPUT_KEYS.queueUrl] }));
    await settlesOn({ concurrency: 2, level: 'normal' });
  }, 60_000);
});
