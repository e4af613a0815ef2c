import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  deliver,
  provisionConsumerResources,
  realConsumer,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { POINTS_ENVIRONMENT } from '../../examples/points/src/config.js';
import { createPlaceOrder } from '../../examples/points/src/handlers/place-order.js';
import type { ServiceRequest, ServiceResponse } from '../../packages/local-cloud/src/protocol.js';
import type { RequestInterceptor } from '../../packages/local-cloud/src/server.js';
import { ENVIRONMENT_VARIABLES, loadConfig, type SettingName } from '../../packages/runtime/src/config.js';
import { createCompensation } from '../../packages/runtime/src/handlers/compensation.js';
import { createOutboxRelay } from '../../packages/runtime/src/handlers/outbox-relay.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';
import { createProducerTables, createQueue, drainQueue } from './producer-resources.js';

/** Outages switched on and off by the tests: SQS sends, and writes to one table. */
class Outages implements RequestInterceptor {
  sqsSends = false;
  /** UpdateItem on this table fails (the relay "crashes" after publishing, before marking SENT). */
  updatesOfTable: string | undefined;

  before(request: ServiceRequest, service: string): ServiceResponse | undefined {
    const input = request.input as { TableName?: string };
    if (service === 'sqs' && this.sqsSends && request.operation.startsWith('SendMessage'))
      return failure('com.amazonaws.sqs#InternalError');
    if (
      service === 'dynamodb' &&
      request.operation === 'UpdateItem' &&
      input.TableName === this.updatesOfTable
    )
      return failure('com.amazonaws.dynamodb.v20120810#InternalServerError');
    return undefined;
  }
}

function failure(type: string): ServiceResponse {
  return {
    status: 500,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({ __type: type, message: 'injected outage' }),
  };
}

const outages = new Outages();
const cloud = useTestCloud({ interceptor: outages });

/** The environment of the pipeline's settings plus the example's orders table. */
function configOf({
  ordersTable,
  ...settings
}: Partial<Record<SettingName, string>> & { ordersTable?: string }) {
  const env: Record<string, string> = ordersTable ? { [POINTS_ENVIRONMENT.ordersTable]: ordersTable } : {};
  for (const [name, value] of Object.entries(settings))
    env[ENVIRONMENT_VARIABLES[name as SettingName]] = value!;
  return loadConfig(env);
}

const drain = (queueUrl: string) => drainQueue(cloud.clients.sqs, queueUrl);

async function outboxItem(table: string, id: string) {
  const { Item } = await cloud.clients.documents.send(
    new GetCommand({ TableName: table, Key: { pk: id }, ConsistentRead: true }),
  );
  return Item;
}

describe('outbox mode against the local cloud', () => {
  it('commits the order and the event together and publishes nothing when the order already exists', async () => {
    const tables = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-atomic`);
    const queueUrl = await createQueue(cloud.clients.sqs, `${cloud.prefix}-atomic`, true);
    const placeOrder = createPlaceOrder(configOf({ queueUrl, ...tables }), cloud.clients);

    const first = await placeOrder({ orderId: 'order-1', accountId: 'acc-1', amount: 30 });
    expect(first.status).toBe('PLACED');
    const again = await placeOrder({ orderId: 'order-1', accountId: 'acc-1', amount: 99 });
    expect(again).toEqual({ status: 'ALREADY_PLACED', orderId: 'order-1' });

    const messages = await drain(queueUrl);
    expect(messages.length).toBe(1);
    const envelope = JSON.parse(messages[0]!.Body!);
    expect(envelope).toMatchObject({ type: 'points.deduct', key: 'acc-1' });
    expect(envelope.payload).toEqual({ accountId: 'acc-1', amount: 30, orderId: 'order-1' });
    expect(messages[0]!.Attributes?.MessageGroupId).toBe('acc-1');
    if (first.status !== 'PLACED') throw new Error('unreachable');
    expect(await outboxItem(tables.outboxTable, first.eventId)).toMatchObject({ status: 'SENT' });
    const order = await cloud.clients.documents.send(
      new GetCommand({ TableName: tables.ordersTable, Key: { pk: 'order-1' }, ConsistentRead: true }),
    );
    expect(order.Item).toMatchObject({ amount: 30, status: 'PLACED' });
  });

  it('re-publishes after a relay crash between publish and mark-sent, and the consumer applies it once', async () => {
    const resources = await provisionConsumerResources(cloud.clients, { prefix: `${cloud.prefix}-crash` });
    const tables = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-crash`);
    const config = configOf({ queueUrl: resources.queueUrl, claimsTable: resources.claimsTable, ...tables });
    const placeOrder = createPlaceOrder(config, cloud.clients);
    const relay = createOutboxRelay(config, cloud.clients);
    await setBalance(cloud.clients.documents, resources, 'acc-7', 100);

    // SQS is down while the order commits: the event waits in the outbox.
    outages.sqsSends = true;
    const placed = await placeOrder({ orderId: 'order-7', accountId: 'acc-7', amount: 30 });
    outages.sqsSends = false;
    if (placed.status !== 'PLACED') throw new Error('order not placed');
    expect(await outboxItem(tables.outboxTable, placed.eventId)).toMatchObject({ status: 'PENDING' });

    // The relay publishes, then "crashes" before it can mark the item SENT.
    outages.updatesOfTable = tables.outboxTable;
    await expect(relay({ minAgeSeconds: 0 })).rejects.toThrow();
    outages.updatesOfTable = undefined;
    expect(await outboxItem(tables.outboxTable, placed.eventId)).toMatchObject({ status: 'PENDING' });

    // The next sweep publishes the same envelope again and marks it.
    expect(await relay({ minAgeSeconds: 0 })).toMatchObject({ published: 1 });
    expect(await outboxItem(tables.outboxTable, placed.eventId)).toMatchObject({ status: 'SENT' });

    const messages = await receiveAll(resources.queueUrl, 2);
    expect(messages.map((message) => JSON.parse(message.Body!).id)).toEqual([placed.eventId, placed.eventId]);
    const { handler } = realConsumer(cloud.clients, resources);
    for (const message of messages) await deliver(handler, cloud.clients.sqs, resources, [message]);
    expect(await balanceOf(cloud.clients.documents, resources, 'acc-7')).toBe(70);

    // The consumer's claim is the acknowledgement: compensation closes the item without re-sending.
    const compensate = createCompensation(config, cloud.clients);
    expect(await compensate({ deadlineSeconds: 0 })).toMatchObject({ acknowledged: 1, republished: 0 });
    expect(await outboxItem(tables.outboxTable, placed.eventId)).toMatchObject({
      status: 'COMPLETED',
      outcome: 'COMPLETED',
    });
  });

  it('lets the FIFO deduplication window absorb a relay re-publish, but not a compensation re-send', async () => {
    const resources = await provisionConsumerResources(cloud.clients, {
      prefix: `${cloud.prefix}-fifo`,
      fifo: true,
    });
    const tables = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-fifo`);
    const config = configOf({ queueUrl: resources.queueUrl, claimsTable: resources.claimsTable, ...tables });
    const placeOrder = createPlaceOrder(config, cloud.clients);
    const relay = createOutboxRelay(config, cloud.clients);

    outages.sqsSends = true;
    const placed = await placeOrder({ orderId: 'order-f', accountId: 'acc-f', amount: 5 });
    outages.sqsSends = false;
    if (placed.status !== 'PLACED') throw new Error('order not placed');
    outages.updatesOfTable = tables.outboxTable;
    await expect(relay({ minAgeSeconds: 0 })).rejects.toThrow();
    outages.updatesOfTable = undefined;
    await relay({ minAgeSeconds: 0 });
    // Same MessageDeduplicationId (the envelope id): SQS kept one copy.
    expect((await drain(resources.queueUrl)).length).toBe(1);

    // Nobody consumed it: compensation re-sends with a fresh deduplication id, so it does arrive.
    const compensate = createCompensation(config, cloud.clients);
    expect(await compensate({ deadlineSeconds: 0 })).toMatchObject({ republished: 1 });
    const resent = await drain(resources.queueUrl);
    expect(resent.length).toBe(1);
    expect(JSON.parse(resent[0]!.Body!).id).toBe(placed.eventId);
    expect(resent[0]!.Attributes?.MessageDeduplicationId).toBe(`${placed.eventId}-c1`);
    expect(await outboxItem(tables.outboxTable, placed.eventId)).toMatchObject({
      status: 'SENT',
      attempts: 1,
    });
  });
});

async function receiveAll(queueUrl: string, expected: number): Promise<Message[]> {
  const messages: Message[] = [];
  for (let attempt = 0; attempt < 20 && messages.length < expected; attempt++) {
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        VisibilityTimeout: 60,
      }),
    );
    messages.push(...Messages);
  }
  return messages;
}
