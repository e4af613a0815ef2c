/**
 * The backlog scaling loop end to end on the local cloud, from the synthesized PipelineStack:
 * queue depth -> backlog alarms -> "CloudWatch Alarm State Change" on EventBridge -> scaler bundle
 * -> UpdateEventSourceMapping and the control table's degradation item. The consumer's mapping is
 * disabled so the backlog stays put while the loop reacts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetEventSourceMappingCommand,
  ListFunctionsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { PurgeQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { OUTPUT_KEYS } from '@oncely/runtime/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizePipeline } from '../../examples/points/src/synthesize.js';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import {
  type CloudFormationTemplate,
  deployTemplate,
} from '../../packages/local-cloud/src/deploy/template-deployer.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { CONTROL, PARTITION_KEY } from '../../packages/runtime/src/core/tables.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { waitFor } from '../support/wait.js';

let cloud: TestCloud;
let outdir: string;
let outputs: Record<string, string>;
let functionNames: string[];
/** CloudWatch minutes pass only when the test advances this clock, however busy the machine is. */
const clock = new ManualClock(Date.now());

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
  // No evaluation timer: each step() advances the clock a minute and evaluates once.
  cloud = await startTestCloud({ clock, monitoring: { tickMs: 0 } });
  const summary = await deployTemplate(
    cloud.local!,
    synthesis.template as unknown as CloudFormationTemplate,
    {
      assetDir: synthesis.outdir,
      stackName: synthesis.stackName,
    },
  );
  outputs = summary.outputs as Record<string, string>;
  const { Functions = [] } = await cloud.clients.lambda.send(new ListFunctionsCommand({}));
  functionNames = Functions.map((fn) => fn.FunctionName!);
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

/**
 * One CloudWatch minute: advances the clock, samples the queue and evaluates the alarms once, then
 * waits for the alarm actions and every function they (or the stack's schedules) started to finish.
 */
async function step(): Promise<void> {
  const local = cloud.local!;
  const cloudwatch = local.services.cloudwatch as CloudWatchService;
  const lambda = local.services.lambda as LambdaService;
  clock.advance(60_000);
  await cloudwatch.evaluateNow();
  await cloudwatch.settle();
  await waitFor('the functions started by one CloudWatch minute to finish', 120_000, () =>
    functionNames.every((name) => lambda.functionStats(name).inFlight === 0),
  );
}

/** Steps CloudWatch minute by minute until the loop has settled on `expected`. */
async function settlesOn(expected: { concurrency: number; level: string }): Promise<void> {
  let last: Awaited<ReturnType<typeof observed>> | undefined;
  try {
    await waitFor(
      `the scaling loop to settle on ${JSON.stringify(expected)}`,
      150_000,
      async () => {
        await step();
        last = await observed();
        return last.concurrency === expected.concurrency && last.level === expected.level;
      },
      0,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(last)}`);
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
  }, 180_000);

  it('raises concurrency and degrades at the high step', async () => {
    await send(40);
    await settlesOn({ concurrency: 12, level: 'elevated' });
  }, 180_000);

  it('returns to the floor and normal once the backlog is gone', async () => {
    await cloud.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: outputs[OUTPUT_KEYS.queueUrl] }));
    await settlesOn({ concurrency: 2, level: 'normal' });
  }, 180_000);
});
