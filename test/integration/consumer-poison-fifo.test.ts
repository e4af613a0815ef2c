import type { Message } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsumerResources,
  deliver,
  provisionConsumerResources,
  realConsumer,
  receive,
  sendBodies,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { pointsDeductHandler, pointsDeductSchema } from '../../examples/points/src/domain/points-deduct.js';
import { OVERFLOW_ATTRIBUTE } from '../../packages/runtime/src/adapters/sqs-message-actions.js';
import { defineHandler, type SqsConsumerHandler } from '../../packages/runtime/src/core/consumer/index.js';
import { POISON_ATTRIBUTES } from '../../packages/runtime/src/core/envelope.js';
import { CONTROL } from '../../packages/runtime/src/core/tables.js';
import { testEnvelope, withClaimsTable } from '../support/consumer-fakes.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();

const run = (handler: SqsConsumerHandler, resources: ConsumerResources, messages: readonly Message[]) =>
  deliver(handler, cloud.clients.sqs, resources, messages);

async function receiveAll(queueUrl: string, count: number): Promise<Message[]> {
  const messages: Message[] = [];
  for (let attempt = 0; messages.length < count && attempt < 20; attempt += 1)
    messages.push(...(await receive(cloud.clients.sqs, queueUrl, 10)));
  return messages;
}

describe('poison messages against the local cloud', () => {
  let resources: ConsumerResources;
  beforeAll(async () => {
    resources = await provisionConsumerResources(cloud.clients, { prefix: `${cloud.prefix}-std` });
  });

  it('sends every poison kind to the DLQ with its reason and the original attributes, and acknowledges it', async () => {
    // A claim per message id (claims table): that is what tells an id reused with another payload.
    // With claimOn the claim key is the order, so such a message is judged by its order instead.
    const { handler } = realConsumer(cloud.clients, resources, {
      handlers: [
        withClaimsTable(
          pointsDeductHandler({ accountsTable: resources.accountsTable, ledgerTable: resources.ledgerTable }),
        ),
      ],
    });
    const reused = testEnvelope();
    const bodies = [
      '{"truncated": ',
      { ...testEnvelope(), seq: 0 },
      testEnvelope({ type: 'points.unknown' }),
      testEnvelope({ payload: { accountId: 'a', amount: -5, orderId: 'o' } }),
      reused,
    ];
    await sendBodies(cloud.clients.sqs, resources, [reused]);
    await run(handler, resources, await receiveAll(resources.queueUrl, 1));
    await sendBodies(cloud.clients.sqs, resources, [
      ...bodies.slice(0, 4),
      { ...reused, payload: { accountId: 'other', amount: 1, orderId: 'x' } },
    ]);
    const messages = await receiveAll(resources.queueUrl, 5);
    const result = await run(handler, resources, messages);
    expect(result.batchItemFailures).toEqual([]);

    const dead = await receiveAll(resources.deadLetterQueueUrl, 5);
    const reasons = dead
      .map((message) => message.MessageAttributes?.[POISON_ATTRIBUTES.reason]?.StringValue)
      .sort();
    expect(reasons).toEqual(
      [
        'body-not-json',
        'envelope-invalid',
        'id-reused-with-other-payload',
        'payload-invalid',
        'unknown-type',
      ].sort(),
    );
    for (const message of dead) {
      const attributes = message.MessageAttributes ?? {};
      expect(attributes[POISON_ATTRIBUTES.error]?.StringValue?.length).toBeGreaterThan(0);
      expect(attributes[POISON_ATTRIBUTES.sourceQueue]?.StringValue).toBe(resources.queueArn);
      expect(attributes[POISON_ATTRIBUTES.receiveCount]?.StringValue).toBe('1');
      const original = messages.find((candidate) => candidate.Body === message.Body);
      expect(attributes[POISON_ATTRIBUTES.originalMessageId]?.StringValue).toBe(original?.MessageId);
      if (message.Body?.startsWith('{"id"')) expect(attributes).toHaveProperty('oncely.id');
      expect(attributes).not.toHaveProperty(OVERFLOW_ATTRIBUTE);
    }
    expect(await receive(cloud.clients.sqs, resources.queueUrl, 10)).toEqual([]);
  });

  it('reports a poison message as an item failure when the DLQ send fails, without failing its neighbours', async () => {
    const { handler } = realConsumer(cloud.clients, resources, {
      deadLetterQueueUrl: `${resources.deadLetterQueueUrl}-does-not-exist`,
    });
    await setBalance(cloud.clients.documents, resources, 'neighbour', 100);
    const good = testEnvelope({ payload: { accountId: 'neighbour', amount: 1, orderId: 'n-1' } });
    await sendBodies(cloud.clients.sqs, resources, ['not json at all', good]);
    const messages = await receiveAll(resources.queueUrl, 2);
    const poison = messages.find((message) => message.Body === 'not json at all');
    const result = await run(handler, resources, messages);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: poison?.MessageId }]);
    // Nothing dropped: the poison message is still in the queue.
    const [again] = await receiveAll(resources.queueUrl, 1);
    expect(again?.Body).toBe('not json at all');
    await run(realConsumer(cloud.clients, resources).handler, resources, [again!]);
  });

  it('skips non-core steps while the control table says critical, and counts them', async () => {
    const receipts: string[] = [];
    const telemetry = new RecordingTelemetry();
    const { handler } = realConsumer(cloud.clients, resources, {
      telemetry,
      handlers: [
        pointsDeductHandler(
          { accountsTable: resources.accountsTable, ledgerTable: resources.ledgerTable },
          { sendReceipt: async (deduction) => void receipts.push(deduction.orderId) },
        ),
      ],
    });
    await cloud.clients.documents.send(
      new PutCommand({
        TableName: resources.controlTable,
        Item: { pk: CONTROL.degradationKey, level: 'critical' },
      }),
    );
    await setBalance(cloud.clients.documents, resources, 'degraded', 100);
    await sendBodies(cloud.clients.sqs, resources, [
      testEnvelope({ payload: { accountId: 'degraded', amount: 1, orderId: 'd-1' } }),
      testEnvelope({ payload: { accountId: 'degraded', amount: 1, orderId: 'd-2' } }),
    ]);
    const result = await run(handler, resources, await receiveAll(resources.queueUrl, 2));
    expect(result.batchItemFailures).toEqual([]);
    expect(receipts).toEqual([]);
    expect(telemetry.get('Skipped')).toBe(2);
    expect(telemetry.get('Processed')).toBe(2);
  });
});

describe('FIFO queues against the local cloud', () => {
  let resources: ConsumerResources;
  beforeAll(async () => {
    resources = await provisionConsumerResources(cloud.clients, {
      prefix: `${cloud.prefix}-fifo`,
      fifo: true,
    });
  });

  it('fails the rest of a message group after a failure while other groups go on, then keeps the order', async () => {
    const applied: string[] = [];
    let failOnce = 'a-2';
    const handler = realConsumer(cloud.clients, resources, {
      handlers: [
        defineHandler({
          type: 'points.deduct',
          schema: pointsDeductSchema,
          handle(payload) {
            if (payload.orderId === failOnce) {
              failOnce = '';
              throw new Error('transient');
            }
            applied.push(payload.orderId);
            return undefined;
          },
        }),
      ],
    }).handler;
    const message = (group: string, order: string) =>
      testEnvelope({ key: group, payload: { accountId: group, amount: 1, orderId: order } });
    await sendBodies(cloud.clients.sqs, resources, [
      message('a', 'a-1'),
      message('b', 'b-1'),
      message('a', 'a-2'),
      message('b', 'b-2'),
      message('a', 'a-3'),
    ]);
    const batch = await receiveAll(resources.queueUrl, 5);
    expect(batch).toHaveLength(5);
    const result = await run(handler, resources, batch);
    const orderOf = (id: string) => JSON.parse(batch.find((m) => m.MessageId === id)!.Body!).payload.orderId;
    expect(result.batchItemFailures.map((failure) => orderOf(failure.itemIdentifier)).sort()).toEqual([
      'a-2',
      'a-3',
    ]);
    expect(applied).toEqual(expect.arrayContaining(['a-1', 'b-1', 'b-2']));
    expect(applied).toHaveLength(3);

    const retry = await receiveAll(resources.queueUrl, 2);
    expect(retry.map((m) => JSON.parse(m.Body!).payload.orderId)).toEqual(['a-2', 'a-3']);
    expect((await run(handler, resources, retry)).batchItemFailures).toEqual([]);
    expect(applied.slice(3)).toEqual(['a-2', 'a-3']);
  });

  it('keeps the message group on the FIFO DLQ when it sends a poison message there', async () => {
    const { handler } = realConsumer(cloud.clients, resources);
    await sendBodies(cloud.clients.sqs, resources, [{ ...testEnvelope({ key: 'g-poison' }), seq: -1 }]);
    const batch = await receiveAll(resources.queueUrl, 1);
    expect((await run(handler, resources, batch)).batchItemFailures).toEqual([]);
    const [dead] = await receive(cloud.clients.sqs, resources.deadLetterQueueUrl, 1);
    expect(dead?.Attributes?.MessageGroupId).toBe('g-poison');
    expect(dead?.MessageAttributes?.[POISON_ATTRIBUTES.reason]?.StringValue).toBe('envelope-invalid');
  });
});
