import type { Message } from '@aws-sdk/client-sqs';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  deliver,
  deliverEachConcurrently,
  eventOf,
  provisionConsumerResources,
  realConsumer,
  receive,
  sendBodies,
  sendCopiesAndReceive,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { pointsDeductSchema } from '../../examples/points/src/domain/points-deduct.js';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { SqsConsumerHandler } from '../../packages/runtime/src/core/consumer/index.js';
import { CLAIM_ATTRIBUTE, CLAIMS } from '../../packages/runtime/src/core/tables.js';
import { testEnvelope } from '../support/consumer-fakes.js';
import { useConsumerResources } from '../support/consumer-hooks.js';
import { startTestCloud } from '../support/local-cloud.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const deduct = (accountId: string, amount: number, extra: Record<string, unknown> = {}) =>
  testEnvelope({
    key: accountId,
    payload: { accountId, amount, orderId: `order-${Math.random()}` },
    ...extra,
  });

describe('transactional mode against the local cloud', () => {
  const cloud = useTestCloud();
  const resources = useConsumerResources(cloud);

  const run = (handler: SqsConsumerHandler, messages: readonly Message[]) =>
    deliver(handler, cloud.clients.sqs, resources, messages);
  const next = (max = 10) => receive(cloud.clients.sqs, resources.queueUrl, max);

  async function ledgerEntries(accountId: string): Promise<number> {
    const result = await cloud.clients.documents.send(
      new ScanCommand({
        TableName: resources.ledgerTable,
        FilterExpression: 'accountId = :account',
        ExpressionAttributeValues: { ':account': accountId },
        ConsistentRead: true,
      }),
    );
    return result.Count ?? 0;
  }

  async function ledgerItem(envelope: Record<string, unknown>) {
    const orderId = (envelope.payload as { orderId: string }).orderId;
    const result = await cloud.clients.documents.send(
      new GetCommand({ TableName: resources.ledgerTable, Key: { pk: orderId }, ConsistentRead: true }),
    );
    return result.Item;
  }

  it('deducts once, acknowledges, carries the claim on the ledger entry and logs producer and seq', async () => {
    const { handler } = realConsumer(cloud.clients, resources);
    await setBalance(cloud.clients.documents, resources, 'acc-1', 100);
    const envelope = deduct('acc-1', 30, { producer: 'tx-1', seq: 1 });
    await sendBodies(cloud.clients.sqs, resources, [envelope]);
    const result = await run(handler, await next());
    expect(result.batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, 'acc-1')).toBe(70);
    const claims = await cloud.clients.documents.send(
      new QueryCommand({
        TableName: resources.claimsTable,
        IndexName: CLAIMS.byProducerIndex,
        KeyConditionExpression: 'producer = :producer',
        ExpressionAttributeValues: { ':producer': 'tx-1' },
      }),
    );
    // The claims table holds no claim of its own, only the consumption-log item the auditor reads.
    expect(claims.Items).toMatchObject([
      { pk: CLAIMS.logKey('tx-1', 1), seq: 1, seqs: new Set([1]), status: 'COMPLETED' },
    ]);
    expect(await ledgerItem(envelope)).toMatchObject({
      amount: 30,
      [CLAIM_ATTRIBUTE]: {
        id: envelope.id,
        status: 'COMPLETED',
        outcome: 'processed',
        producer: 'tx-1',
        seq: 1,
      },
    });
  });

  it('applies the effect once for 20 concurrent deliveries of one message', async () => {
    const { handler } = realConsumer(cloud.clients, resources);
    await setBalance(cloud.clients.documents, resources, 'acc-20', 1_000);
    const envelope = deduct('acc-20', 7);
    let pending = await sendCopiesAndReceive(cloud.clients.sqs, resources, envelope, 20);
    for (let round = 0; pending.length > 0 && round < 10; round += 1) {
      pending = await deliverEachConcurrently(handler, cloud.clients.sqs, resources, pending);
    }
    expect(pending).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, 'acc-20')).toBe(993);
    expect(await ledgerEntries('acc-20')).toBe(1);
  });

  it('records insufficient balance as REJECTED, leaves the balance alone and never retries it', async () => {
    const { handler } = realConsumer(cloud.clients, resources);
    await setBalance(cloud.clients.documents, resources, 'acc-poor', 5);
    const envelope = deduct('acc-poor', 50, { producer: 'tx-poor', seq: 3 });
    await sendBodies(cloud.clients.sqs, resources, [envelope, envelope]);
    expect((await run(handler, await next(1))).batchItemFailures).toEqual([]);
    // The rejection holds the order's ledger key (claim only, no amount): it can never be applied later.
    const rejected = await ledgerItem(envelope);
    expect(rejected).not.toHaveProperty('amount');
    expect(rejected?.[CLAIM_ATTRIBUTE]).toMatchObject({
      id: envelope.id,
      status: 'REJECTED',
      outcome: 'insufficient-balance',
      producer: 'tx-poor',
      seq: 3,
    });
    expect((await run(handler, await next(1))).batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, 'acc-poor')).toBe(5);
    expect(await ledgerEntries('acc-poor')).toBe(0);
  });

  it('rejects a deduction from an account that does not exist', async () => {
    const { handler } = realConsumer(cloud.clients, resources);
    const envelope = deduct('acc-missing', 1);
    await sendBodies(cloud.clients.sqs, resources, [envelope]);
    expect((await run(handler, await next(1))).batchItemFailures).toEqual([]);
    expect((await ledgerItem(envelope))?.[CLAIM_ATTRIBUTE]).toMatchObject({ status: 'REJECTED' });
  });

  it('treats the redelivery after a crash between commit and acknowledgement as a duplicate', async () => {
    const { handler } = realConsumer(cloud.clients, resources);
    await setBalance(cloud.clients.documents, resources, 'acc-crash', 100);
    await sendBodies(cloud.clients.sqs, resources, [deduct('acc-crash', 10)]);
    const [message] = await next(1);
    // The "crash": the commit happens, the invocation never returns, so nothing is deleted.
    expect((await handler(eventOf([message!], resources))).batchItemFailures).toEqual([]);
    await cloud.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: resources.queueUrl,
        ReceiptHandle: message!.ReceiptHandle!,
        VisibilityTimeout: 0,
      }),
    );
    const [again] = await next(1);
    expect(again?.MessageId).toBe(message?.MessageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect((await run(handler, [again!])).batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, 'acc-crash')).toBe(90);
    expect(await ledgerEntries('acc-crash')).toBe(1);
  });
});

describe('retry backoff against the local cloud', () => {
  it('hides a retried message for the backoff delay through ChangeMessageVisibility', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25));
    const cloud = await startTestCloud({ clock });
    try {
      const resources = await provisionConsumerResources(cloud.clients, { prefix: cloud.prefix });
      const { handler } = realConsumer(cloud.clients, resources, {
        backoff: { baseSeconds: 600, capSeconds: 600 },
        random: () => 0.99,
        handlers: [
          {
            type: 'points.deduct',
            schema: pointsDeductSchema,
            handle() {
              throw new Error('downstream unavailable');
            },
          },
        ],
      });
      await sendBodies(cloud.clients.sqs, resources, [deduct('acc-later', 1)]);
      const messages = await receive(cloud.clients.sqs, resources.queueUrl, 1);
      const result = await deliver(handler, cloud.clients.sqs, resources, messages);
      expect(result.batchItemFailures).toHaveLength(1);
      // floor(0.99 * 601) = 594 s, far beyond the queue's 30 s visibility timeout.
      clock.advance(590_000);
      expect(await receive(cloud.clients.sqs, resources.queueUrl, 1)).toEqual([]);
      clock.advance(5_000);
      const [again] = await receive(cloud.clients.sqs, resources.queueUrl, 1);
      expect(again?.MessageId).toBe(messages[0]?.MessageId);
    } finally {
      await cloud.stop();
    }
  });
});
