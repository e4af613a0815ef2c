/**
 * Restart scenario: the local cloud running the deployed stack is stopped while the consumer is
 * working through a burst, then started again from its data directory on the same port. Queues,
 * tables, the function and its event source mapping come back, the consumer finishes the burst,
 * and nothing is lost or applied twice: every order has exactly one ledger entry, every balance
 * equals its initial value minus its ledger, and the auditor finds no gap in either producer stream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POINTS_DEDUCT } from '../../examples/points/src/domain/points-deduct.js';
import { repoPath as projectPath } from '../../examples/points/src/paths.js';
import { WORKLOAD_SETTINGS } from '../../examples/points/src/workload/points-workload.js';
import { synthesizedStack } from '../../examples/points/src/workload/stack-cache.js';
import { deployTemplate } from '../../packages/local-cloud/src/deploy/template-deployer.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/server.js';
import { createAuditDependencies } from '../../packages/runtime/src/adapters/aws-audit-dependencies.js';
import {
  type AwsClients,
  createAwsClients,
  LOCAL_CREDENTIALS,
} from '../../packages/runtime/src/adapters/aws-clients.js';
import { createProducer } from '../../packages/runtime/src/adapters/aws-producer.js';
import { runAudit } from '../../packages/runtime/src/core/audit/auditor.js';
import { waitFor } from '../support/wait.js';

const ORDERS_PER_PHASE = 300;
const ACCOUNTS = 20;
const INITIAL_BALANCE = 1_000_000;
const dataDir = mkdtempSync(join(tmpdir(), 'oncely-restart-'));
const running: { cloud?: LocalCloud; clients?: AwsClients } = {};
let outputs: Record<string, string>;
let deletedBeforeStop = 0;

function connect(cloud: LocalCloud): AwsClients {
  running.clients?.destroy();
  running.cloud = cloud;
  running.clients = createAwsClients({
    region: 'us-east-1',
    endpoint: cloud.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  return running.clients;
}

async function publish(clients: AwsClients, from: number): Promise<void> {
  const producer = createProducer({
    clients,
    queueUrl: outputs.QueueUrl!,
    leasesTable: outputs.LeasesTableName!,
    outboxTable: outputs.OutboxTableName!,
  });
  try {
    await Promise.all(
      Array.from({ length: ORDERS_PER_PHASE }, (_, index) => {
        const n = from + index;
        const accountId = `account-${n % ACCOUNTS}`;
        return producer.publish({
          type: POINTS_DEDUCT,
          payload: { accountId, amount: 1 + (n % 7), orderId: `order-${n}` },
          key: accountId,
        });
      }),
    );
  } finally {
    await producer.close();
  }
}

async function scan(clients: AwsClients, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.documents.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

async function backlog(clients: AwsClients): Promise<number> {
  const { Attributes = {} } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: outputs.QueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

beforeAll(async () => {
  const stack = synthesizedStack({
    dir: projectPath('.oncely/test-restart-cdk.out'),
    settings: WORKLOAD_SETTINGS,
  });
  const first = await startLocalCloud({ port: 0, dataDir });
  let clients = connect(first);
  const summary = await deployTemplate(first, stack.template, {
    assetDir: stack.assetDir,
    stackName: stack.stackName,
  });
  outputs = summary.outputs as Record<string, string>;
  // Messages of the invocations cut off by the stop come back after the visibility timeout: short here.
  await clients.sqs.send(
    new SetQueueAttributesCommand({ QueueUrl: outputs.QueueUrl, Attributes: { VisibilityTimeout: '5' } }),
  );
  await clients.documents.send(
    new BatchWriteCommand({
      RequestItems: {
        [outputs.AccountsTableName!]: Array.from({ length: ACCOUNTS }, (_, n) => ({
          PutRequest: { Item: { pk: `account-${n}`, balance: INITIAL_BALANCE } },
        })),
      },
    }),
  );
  await publish(clients, 0);
  const lambda = first.services.lambda as LambdaService;
  const mappingId = outputs.EventSourceMappingId!;
  // Stop while the consumer is part-way through the burst.
  await waitFor(
    `the consumer to delete a third of the first ${ORDERS_PER_PHASE} orders`,
    120_000,
    () => lambda.mappingStats(mappingId).messagesDeleted >= ORDERS_PER_PHASE / 3,
    20,
  );
  deletedBeforeStop = lambda.mappingStats(mappingId).messagesDeleted;
  await first.stop();

  const second = await startLocalCloud({ port: first.port, dataDir });
  clients = connect(second);
  await publish(clients, ORDERS_PER_PHASE);
  const deadline = Date.now() + 150_000;
  let quiet = 0;
  while (Date.now() < deadline && quiet < 3) {
    const stats = (second.services.lambda as LambdaService).mappingStats(mappingId);
    quiet = (await backlog(clients)) === 0 && stats.inFlight === 0 ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 240_000);

afterAll(async () => {
  running.clients?.destroy();
  await running.cloud?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('local cloud stopped mid-run and restarted from its data directory', () => {
  it('was stopped with part of the burst consumed and the rest still queued', () => {
    expect(deletedBeforeStop).toBeGreaterThan(0);
    expect(deletedBeforeStop).toBeLessThan(ORDERS_PER_PHASE);
  });

  it('applies every order exactly once across the restart', async () => {
    const clients = running.clients!;
    const ledger = await scan(clients, outputs.LedgerTableName!);
    const perOrder = new Map<string, number>();
    for (const entry of ledger) perOrder.set(String(entry.pk), (perOrder.get(String(entry.pk)) ?? 0) + 1);
    expect(perOrder.size).toBe(2 * ORDERS_PER_PHASE);
    expect([...perOrder.values()].filter((count) => count !== 1)).toEqual([]);

    const spent = new Map<string, number>();
    for (const entry of ledger)
      spent.set(String(entry.accountId), (spent.get(String(entry.accountId)) ?? 0) + Number(entry.amount));
    const accounts = await scan(clients, outputs.AccountsTableName!);
    for (const account of accounts)
      expect(Number(account.balance), String(account.pk)).toBe(
        INITIAL_BALANCE - (spent.get(String(account.pk)) ?? 0),
      );
  });

  it('leaves no gap in either producer stream for the auditor', async () => {
    const report = await runAudit(
      createAuditDependencies(running.clients!, {
        claimsTable: outputs.ClaimsTableName!,
        outboxTable: outputs.OutboxTableName!,
        leasesTable: outputs.LeasesTableName!,
        controlTable: outputs.ControlTableName!,
        queueUrl: outputs.QueueUrl!,
        deadLetterQueueUrl: outputs.DeadLetterQueueUrl!,
      }),
      { graceSeconds: 0, fromSeq: 0 },
    );
    expect(report.streams.length).toBeGreaterThanOrEqual(2);
    expect(report.counts).toMatchObject({ missing: 0, queued: 0, 'in-flight': 0, 'dead-lettered': 0 });
  });
});
