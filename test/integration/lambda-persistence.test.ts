import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetFunctionConcurrencyCommand,
  ListEventSourceMappingsCommand,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';

const CJS_BUNDLE = fileURLToPath(new URL('../fixtures/lambda-functions/cjs', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'oncely-lambda-state-'));
const clouds: TestCloud[] = [];

afterAll(async () => {
  for (const cloud of clouds) await cloud.stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Lambda state across a --data-dir restart', () => {
  it('restores functions, reserved concurrency and mappings, which resume polling', async () => {
    const first = await startTestCloud({ dataDir });
    clouds.push(first);
    const { QueueUrl } = await first.clients.sqs.send(new CreateQueueCommand({ QueueName: 'restored' }));
    const { Attributes } = await first.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const lambda = first.local!.services.lambda as LambdaService;
    lambda.registerFunction({ name: 'survivor', codeDirectory: CJS_BUNDLE, handler: 'index.sqsBatch' });
    await first.clients.lambda.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'survivor', ReservedConcurrentExecutions: 3 }),
    );
    const { uuid } = lambda.createEventSourceMapping({
      functionName: 'survivor',
      eventSourceArn: Attributes!.QueueArn!,
      functionResponseTypes: ['ReportBatchItemFailures'],
    });
    await first.stop();

    const second = await startTestCloud({ dataDir });
    clouds.push(second);
    const restored = second.local!.services.lambda as LambdaService;
    const concurrency = await second.clients.lambda.send(
      new GetFunctionConcurrencyCommand({ FunctionName: 'survivor' }),
    );
    expect(concurrency.ReservedConcurrentExecutions).toBe(3);
    const { EventSourceMappings = [] } = await second.clients.lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: 'survivor' }),
    );
    expect(EventSourceMappings.map((mapping) => [mapping.UUID, mapping.FunctionResponseTypes])).toEqual([
      [uuid, ['ReportBatchItemFailures']],
    ]);

    await second.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: `${second.endpoint}/000000000000/restored`,
        Entries: [0, 1, 2].map((n) => ({ Id: String(n), MessageBody: JSON.stringify({ n }) })),
      }),
    );
    await expect.poll(() => restored.mappingStats(uuid).messagesDeleted, { timeout: 20_000 }).toBe(3);
    expect(restored.mappingStats(uuid).concurrencyLimit).toBe(3);
  });
});
