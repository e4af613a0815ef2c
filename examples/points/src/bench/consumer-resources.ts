/**
 * The points consumer's resources on a local cloud (or any endpoint): claims, accounts, ledger and
 * control tables, a queue with its DLQ, and helpers that deliver received messages to a consumer
 * as the Lambda event source mapping would. Used by the consumer's integration tests and benchmark.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type ConsumerOptions, createConsumer, ENVELOPE_ATTRIBUTES } from '@oncely/runtime';
import {
  DynamoDbClaimStore,
  DynamoDbDegradationReader,
  SqsMessageActions,
  toSqsRecord,
} from '@oncely/runtime/aws';
import { CLAIMS, PARTITION_KEY } from '@oncely/runtime/contract';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { pointsDeductHandler } from '../domain/points-deduct.js';

export interface ConsumerResources {
  readonly claimsTable: string;
  readonly accountsTable: string;
  readonly ledgerTable: string;
  readonly controlTable: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly fifo: boolean;
}

export interface ProvisionOptions {
  readonly prefix: string;
  readonly fifo?: boolean;
  /** @default 5 */
  readonly maxReceiveCount?: number;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

export async function provisionConsumerResources(
  clients: { sqs: SQSClient; dynamodb: DynamoDBClient },
  options: ProvisionOptions,
): Promise<ConsumerResources> {
  const { prefix } = options;
  const suffix = options.fifo ? '.fifo' : '';
  const names = {
    claimsTable: `${prefix}-claims`,
    accountsTable: `${prefix}-accounts`,
    ledgerTable: `${prefix}-ledger`,
    controlTable: `${prefix}-control`,
  };
  await createTable(clients.dynamodb, names.claimsTable, true);
  for (const table of [names.accountsTable, names.ledgerTable, names.controlTable])
    await createTable(clients.dynamodb, table, false);

  const fifoAttributes = options.fifo ? { FifoQueue: 'true' } : {};
  const dlq = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${prefix}-points-dlq${suffix}`, Attributes: fifoAttributes }),
  );
  const dlqArn = await queueArn(clients.sqs, dlq.QueueUrl!);
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-points${suffix}`,
      Attributes: {
        ...fifoAttributes,
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: options.maxReceiveCount ?? 5,
        }),
      },
    }),
  );
  return {
    ...names,
    queueUrl: queue.QueueUrl!,
    queueArn: await queueArn(clients.sqs, queue.QueueUrl!),
    deadLetterQueueUrl: dlq.QueueUrl!,
    fifo: options.fifo ?? false,
  };
}

/** A table keyed by the partition key; the claims table also gets the auditor's byProducer index. */
async function createTable(dynamodb: DynamoDBClient, name: string, byProducer: boolean): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: PARTITION_KEY, AttributeType: 'S' },
        ...(byProducer
          ? [
              { AttributeName: 'producer', AttributeType: 'S' as const },
              { AttributeName: 'seq', AttributeType: 'N' as const },
            ]
          : []),
      ],
      ...(byProducer
        ? {
            GlobalSecondaryIndexes: [
              {
                IndexName: CLAIMS.byProducerIndex,
                KeySchema: [
                  { AttributeName: 'producer', KeyType: 'HASH' as const },
                  { AttributeName: 'seq', KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: 'ALL' as const },
              },
            ],
          }
        : {}),
    }),
  );
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const result = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return result.Attributes!.QueueArn!;
}

/** Sends envelopes (or raw bodies) to the queue, mirroring envelope fields into message attributes. */
export async function sendBodies(
  sqs: SQSClient,
  resources: ConsumerResources,
  bodies: readonly (Record<string, unknown> | string)[],
): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const entries = bodies.slice(start, start + 10).map((body, index) => {
      const envelope = typeof body === 'string' ? undefined : body;
      return {
        Id: String(index),
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
        ...(envelope
          ? {
              MessageAttributes: {
                [ENVELOPE_ATTRIBUTES.id]: { DataType: 'String', StringValue: String(envelope.id) },
                [ENVELOPE_ATTRIBUTES.type]: { DataType: 'String', StringValue: String(envelope.type) },
                [ENVELOPE_ATTRIBUTES.producer]: {
                  DataType: 'String',
                  StringValue: String(envelope.producer),
                },
                [ENVELOPE_ATTRIBUTES.seq]: { DataType: 'Number', StringValue: String(envelope.seq) },
              },
            }
          : {}),
        ...(resources.fifo
          ? {
              MessageGroupId: String(envelope?.key ?? 'raw'),
              // Duplicates of one envelope must reach the consumer in these tests, so dedupe per send.
              MessageDeduplicationId: `${start + index}-${Math.random().toString(36).slice(2)}`,
            }
          : {}),
      };
    });
    const result = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: resources.queueUrl, Entries: entries }),
    );
    if (result.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(result.Failed)}`);
  }
}

/** Receives up to `max` messages (one ReceiveMessage call), with every system attribute. */
export async function receive(
  sqs: SQSClient,
  queueUrl: string,
  max = 10,
  waitSeconds = 0,
): Promise<Message[]> {
  const result = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return result.Messages ?? [];
}

export function eventOf(messages: readonly Message[], resources: ConsumerResources): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, resources.queueArn)) };
}

export async function setBalance(
  documents: DynamoDBDocumentClient,
  resources: ConsumerResources,
  accountId: string,
  balance: number,
): Promise<void> {
  await documents.send(
    new PutCommand({ TableName: resources.accountsTable, Item: { pk: accountId, balance } }),
  );
}

export async function balanceOf(
  documents: DynamoDBDocumentClient,
  resources: ConsumerResources,
  accountId: string,
): Promise<number | undefined> {
  const result = await documents.send(
    new GetCommand({ TableName: resources.accountsTable, Key: { pk: accountId }, ConsistentRead: true }),
  );
  return result.Item?.balance as number | undefined;
}

/** A consumer over the real adapters, with the points handler unless `handlers` says otherwise. */
export function realConsumer(
  clients: { sqs: SQSClient; documents: DynamoDBDocumentClient },
  resources: ConsumerResources,
  options: Partial<ConsumerOptions> & { deadLetterQueueUrl?: string } = {},
) {
  const claims = new DynamoDbClaimStore(clients.documents, resources.claimsTable);
  const messages = new SqsMessageActions(clients.sqs, {
    deadLetterQueueUrl: options.deadLetterQueueUrl ?? resources.deadLetterQueueUrl,
  });
  const handler = createConsumer({
    handlers: [
      pointsDeductHandler({ accountsTable: resources.accountsTable, ledgerTable: resources.ledgerTable }),
    ],
    claims,
    messages,
    degradation: new DynamoDbDegradationReader(clients.documents, resources.controlTable),
    // Retries come back at once, so tests can re-receive without waiting.
    backoff: { baseSeconds: 0, capSeconds: 0 },
    ...options,
  });
  return { handler, claims, messages };
}

/**
 * Invokes the consumer with the messages as one event and then does what the event source mapping
 * does with a partial batch response: deletes the messages not reported as failures.
 */
export async function deliver(
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  sqs: SQSClient,
  resources: ConsumerResources,
  messages: readonly Message[],
): Promise<SQSBatchResponse> {
  if (messages.length === 0) return { batchItemFailures: [] };
  const result = await handler(eventOf(messages, resources));
  const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
  const done = messages.filter((message) => !failed.has(message.MessageId!));
  if (done.length > 0) {
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: resources.queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
    if (deleted.Failed?.length)
      throw new Error(`DeleteMessageBatch failed: ${JSON.stringify(deleted.Failed)}`);
  }
  return result;
}

/** Sends `copies` duplicates of one envelope, as a retrying producer might, and receives them all. */
export async function sendCopiesAndReceive(
  sqs: SQSClient,
  resources: ConsumerResources,
  envelope: Record<string, unknown>,
  copies: number,
): Promise<Message[]> {
  await sendBodies(
    sqs,
    resources,
    Array.from({ length: copies }, () => envelope),
  );
  const received: Message[] = [];
  while (received.length < copies) received.push(...(await receive(sqs, resources.queueUrl, 10)));
  return received;
}

/**
 * Delivers each message in its own invocation, all at once, as that many Lambda instances would,
 * and returns the messages some invocation reported as failed (the losers of the race).
 */
export async function deliverEachConcurrently(
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  sqs: SQSClient,
  resources: ConsumerResources,
  messages: readonly Message[],
): Promise<Message[]> {
  const results = await Promise.all(messages.map((message) => deliver(handler, sqs, resources, [message])));
  const failed = new Set(
    results.flatMap((result) => result.batchItemFailures.map((item) => item.itemIdentifier)),
  );
  return messages.filter((message) => failed.has(message.MessageId!));
}
