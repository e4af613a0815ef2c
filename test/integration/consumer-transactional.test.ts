import type { Message } from '@aws-sdk/client-sqs';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
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
import { CLAIMS } from '../../packages/runtime/src/core/tables.js';
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

  it('deducts once, acknowledges, and records producer and seq on the claim', async () => {
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
    expect(claims.Items).toMatchObject([
      { pk: envelope.id, seq: 1, status: 'COMPLETED', outcome: 'processed' },
    ]);
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
    const { handler, claims } = realConsumer(cloud.clients, resources);
    await setBalance(cloud.clients.documents, resources, 'acc-poor', 5);
    const envelope = deduct('acc-poor', 50, { producer: 'tx-poor', seq: 3 });
    await sendBodies(cloud.clients.sqs, resources, [envelope, envelope]);
    expect((await run(handler, await next(1))).batchItemFailures).toEqual([]);
    expect(await claims.read(envelope.id as string)).toMatchObject({
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
    const { handler, claims } = realConsumer(cloud.clients, resources);
    const envelope = deduct('acc-missing', 1);
    await sendBodies(cloud.clients.sqs, resources, [envelope]);
    expect((await run(handler, await next(1))).batchItemFailures).toEqual([]);
    expect((await claims.read(envelope.id as string))?.status).toBe('REJECTED');
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
