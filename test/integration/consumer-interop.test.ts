/**
 * Messages from producers that do not use Oncely, through the local cloud's real SQS, SNS and
 * EventBridge, consumed by lambdaConsumer: a plain JSON body, an SNS notification (SNS wraps it)
 * and an EventBridge event (EventBridge wraps it). Each effect must happen once, however often the
 * message arrives.
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { toSqsRecord } from '../../packages/runtime/src/adapters/sqs-event-records.js';
import { ENVIRONMENT_VARIABLES } from '../../packages/runtime/src/config.js';
import { defineHandler } from '../../packages/runtime/src/core/consumer/index.js';
import type { ReceivedMessage } from '../../packages/runtime/src/core/consumer/received-message.js';
import { type LambdaConsumerOptions, lambdaConsumer } from '../../packages/runtime/src/lambda.js';
import { createTable } from '../support/dynamodb-tables.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import { type CreatedQueue, createQueue, createQueueWithArn } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let queue: CreatedQueue;
let env: Record<string, string>;
let stockTable: string;
let sns: SNSClient;
let events: EventBridgeClient;
let topicArn: string;

/** The user's handler: a reservation takes stock, with nothing that would notice a second application. */
const reserve = defineHandler({
  type: 'inventory.reserve',
  schema: z.object({ sku: z.string(), quantity: z.number().int().positive(), orderId: z.string() }),
  handle: (reservation) => ({
    writes: [
      {
        Update: {
          TableName: stockTable,
          Key: { pk: reservation.sku },
          UpdateExpression: 'SET available = available - :q',
          ConditionExpression: 'available >= :q',
          ExpressionAttributeValues: { ':q': reservation.quantity },
        },
        rejectionReason: 'out-of-stock',
      },
    ],
  }),
});

beforeAll(async () => {
  queue = await createQueueWithArn(cloud, 'interop');
  const deadLetterQueueUrl = await createQueue(cloud, 'interop-dlq');
  const claimsTable = await createTable(cloud, 'interop-claims');
  stockTable = await createTable(cloud, 'interop-stock');
  env = {
    [ENVIRONMENT_VARIABLES.claimsTable]: claimsTable,
    [ENVIRONMENT_VARIABLES.deadLetterQueueUrl]: deadLetterQueueUrl,
    [ENVIRONMENT_VARIABLES.queueUrl]: queue.url,
  };
  const config = { region: 'us-east-1', endpoint: cloud.endpoint, credentials: LOCAL_CREDENTIALS };
  sns = new SNSClient(config);
  events = new EventBridgeClient(config);

  // SNS: a topic whose SQS subscription wraps each message in the notification document.
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${cloud.prefix}-orders` }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queue.arn }));
  // EventBridge: a rule that sends the shop's events to the queue.
  const rule = `${cloud.prefix}-orders`;
  await events.send(
    new PutRuleCommand({ Name: rule, EventPattern: JSON.stringify({ source: ['shop.orders'] }) }),
  );
  await events.send(new PutTargetsCommand({ Rule: rule, Targets: [{ Id: 'queue', Arn: queue.arn }] }));
  topicArn = TopicArn!;
});
afterAll(() => {
  sns?.destroy();
  events?.destroy();
});

const reservation = (channel: string) => ({
  sku: `sku-${channel}`,
  quantity: 2,
  orderId: `order-${channel}`,
});

async function stock(sku: string, available: number): Promise<void> {
  await cloud.clients.documents.send(new PutCommand({ TableName: stockTable, Item: { pk: sku, available } }));
}

async function available(sku: string): Promise<number> {
  const { Item } = await cloud.clients.documents.send(
    new GetCommand({ TableName: stockTable, Key: { pk: sku }, ConsistentRead: true }),
  );
  return Item?.available as number;
}

/** Publishes each reservation once per channel: SQS directly, SNS, EventBridge. */
async function publishOnce(run: string): Promise<void> {
  await cloud.clients.sqs.send(
    new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(reservation(`${run}-json`)) }),
  );
  await sns.send(
    new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(reservation(`${run}-sns`)) }),
  );
  const put = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'shop.orders',
          DetailType: 'Order Placed',
          Detail: JSON.stringify(reservation(`${run}-eventbridge`)),
        },
      ],
    }),
  );
  expect(put.FailedEntryCount).toBe(0);
  // SNS and EventBridge deliver in the background, as on AWS; wait until they did.
  await (cloud.local!.services.cloudwatch as CloudWatchService).settle();
}

/** Receives until `count` messages arrived (each receive long-polls at most a second; 20 at most). */
async function receiveAll(count: number, visibilityTimeout?: number): Promise<Message[]> {
  const messages: Message[] = [];
  for (let attempt = 0; messages.length < count; attempt++) {
    expect(attempt, `received ${messages.length} of ${count} messages`).toBeLessThan(20);
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        ...(visibilityTimeout === undefined ? {} : { VisibilityTimeout: visibilityTimeout }),
      }),
    );
    messages.push(...Messages);
  }
  return messages;
}

async function remove(messages: readonly Message[]): Promise<void> {
  await cloud.clients.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queue.url,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        ReceiptHandle: message.ReceiptHandle!,
      })),
    }),
  );
}

const records = (messages: readonly Message[]): SQSRecord[] =>
  messages.map((message) => toSqsRecord(message, queue.arn));

function consumer(options: Pick<LambdaConsumerOptions, 'key'> = {}) {
  const telemetry = new RecordingTelemetry();
  const handler = lambdaConsumer({ handlers: [reserve], env, clients: cloud.clients, telemetry, ...options });
  return { handler, telemetry };
}

describe('messages from producers that do not use Oncely', () => {
  it('applies a plain JSON body, an SNS notification and an EventBridge event once each, though each was published twice', async () => {
    for (const channel of ['json', 'sns', 'eventbridge']) await stock(`sku-twice-${channel}`, 100);
    // A republishing producer sends new messages (new SQS, SNS and EventBridge ids), so the claim is
    // keyed by what stays the same: the order.
    const { handler, telemetry } = consumer({
      key: (message: ReceivedMessage) => `order:${(message.payload as { orderId: string }).orderId}`,
    });
    await publishOnce('twice');
    await publishOnce('twice');
    const messages = await receiveAll(6);
    // The bodies as SNS and EventBridge wrote them: a notification document, an event.
    const shapes = messages.map((message) => {
      const body = JSON.parse(message.Body!);
      return body.Type === 'Notification' ? 'sns' : body['detail-type'] ? 'eventbridge' : 'json';
    });
    expect(shapes.sort()).toEqual(['eventbridge', 'eventbridge', 'json', 'json', 'sns', 'sns']);
    const result = await handler({ Records: records(messages) });
    expect(result.batchItemFailures).toEqual([]);
    await remove(messages);

    for (const channel of ['json', 'sns', 'eventbridge'])
      expect(await available(`sku-twice-${channel}`)).toBe(98);
    expect(telemetry.get('Processed')).toBe(3);
    expect(telemetry.get('Duplicates')).toBe(3);
  });

  it('applies a redelivered message once under the default key, the SQS message id', async () => {
    for (const channel of ['json', 'sns', 'eventbridge']) await stock(`sku-again-${channel}`, 100);
    const { handler, telemetry } = consumer();
    await publishOnce('again');
    // Visible again at once, as after a lost batch response: the same messages, the same ids.
    const first = await receiveAll(3, 0);
    expect((await handler({ Records: records(first) })).batchItemFailures).toEqual([]);
    const again = await receiveAll(3);
    expect(again.map((message) => message.MessageId).sort()).toEqual(
      first.map((message) => message.MessageId).sort(),
    );
    expect((await handler({ Records: records(again) })).batchItemFailures).toEqual([]);
    await remove(again);

    for (const channel of ['json', 'sns', 'eventbridge'])
      expect(await available(`sku-again-${channel}`)).toBe(98);
    expect(telemetry.get('Processed')).toBe(3);
    expect(telemetry.get('Duplicates')).toBe(3);
  });
});
