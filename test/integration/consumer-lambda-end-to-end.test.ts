import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  balanceOf,
  type ConsumerResources,
  provisionConsumerResources,
  receive,
  sendBodies,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { POINTS_ENVIRONMENT } from '../../examples/points/src/config.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { ENVIRONMENT_VARIABLES } from '../../packages/runtime/src/config.js';
import { POISON_ATTRIBUTES } from '../../packages/runtime/src/core/envelope.js';
import { testEnvelope } from '../support/consumer-fakes.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { queueDepth } from '../support/sqs-queues.js';
import { waitFor } from '../support/wait.js';

const ENTRY = fileURLToPath(
  new URL('../../examples/points/src/handlers/points-consumer.ts', import.meta.url),
);

let cloud: TestCloud;
let resources: ConsumerResources;
let bundleDirectory: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  resources = await provisionConsumerResources(cloud.clients, { prefix: cloud.prefix, maxReceiveCount: 5 });
  bundleDirectory = await mkdtemp(join(tmpdir(), 'oncely-points-consumer-'));
  await build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: join(bundleDirectory, 'index.js'),
    logLevel: 'silent',
  });
});
afterAll(async () => {
  await cloud?.stop();
  if (bundleDirectory) await rm(bundleDirectory, { recursive: true, force: true });
});

describe('the points consumer bundle behind a local event source mapping', () => {
  it('applies each deduction once, acknowledges duplicates and sends poison to the DLQ', async () => {
    const lambda = cloud.local!.services.lambda as LambdaService;
    lambda.registerFunction({
      name: 'points-consumer',
      codeDirectory: bundleDirectory,
      handler: 'index.handler',
      timeout: 30,
      environment: {
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
        [ENVIRONMENT_VARIABLES.endpoint]: cloud.endpoint,
        [ENVIRONMENT_VARIABLES.queueUrl]: resources.queueUrl,
        [ENVIRONMENT_VARIABLES.claimsTable]: resources.claimsTable,
        [POINTS_ENVIRONMENT.accountsTable]: resources.accountsTable,
        [POINTS_ENVIRONMENT.ledgerTable]: resources.ledgerTable,
        [ENVIRONMENT_VARIABLES.controlTable]: resources.controlTable,
        [ENVIRONMENT_VARIABLES.deadLetterQueueUrl]: resources.deadLetterQueueUrl,
      },
    });
    for (const account of ['e2e-a', 'e2e-b'])
      await setBalance(cloud.clients.documents, resources, account, 1_000);
    const deductions = Array.from({ length: 20 }, (_, index) =>
      testEnvelope({
        payload: { accountId: index % 2 ? 'e2e-a' : 'e2e-b', amount: 10, orderId: `e2e-${index}` },
      }),
    );
    await sendBodies(cloud.clients.sqs, resources, [
      ...deductions,
      ...deductions.slice(0, 5),
      'not json',
      testEnvelope({ type: 'points.unknown' }),
    ]);
    await cloud.clients.lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'points-consumer',
        EventSourceArn: resources.queueArn,
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    await waitFor(
      'the event source mapping to empty the queue',
      120_000,
      async () => (await queueDepth(cloud, resources.queueUrl)) === 0,
    );
    expect(await balanceOf(cloud.clients.documents, resources, 'e2e-a')).toBe(900);
    expect(await balanceOf(cloud.clients.documents, resources, 'e2e-b')).toBe(900);
    const dead = await receive(cloud.clients.sqs, resources.deadLetterQueueUrl, 10);
    expect(
      dead.map((message) => message.MessageAttributes?.[POISON_ATTRIBUTES.reason]?.StringValue).sort(),
    ).toEqual(['body-not-json', 'unknown-type']);
  });
});
