/**
 * The producer's resources on a local cloud (or any endpoint): leases, outbox (with its byStatus
 * index) and orders tables, and a queue. Used by the producer's integration tests and benchmark.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { OUTBOX, PARTITION_KEY } from '../../packages/runtime/src/core/tables.js';
import { requestTable } from '../support/dynamodb-tables.js';

export interface ProducerTables {
  readonly leasesTable: string;
  readonly outboxTable: string;
  readonly ordersTable: string;
}

export async function createProducerTables(
  dynamodb: DynamoDBClient,
  prefix: string,
): Promise<ProducerTables> {
  const tables = {
    leasesTable: `${prefix}-leases`,
    outboxTable: `${prefix}-outbox`,
    ordersTable: `${prefix}-orders`,
  };
  for (const name of [tables.leasesTable, tables.ordersTable]) await createKeyValueTable(dynamodb, name);
  await createOutboxTable(dynamodb, tables.outboxTable);
  return tables;
}

const KEY = { name: PARTITION_KEY, type: 'S' } as const;

/** A table keyed by the partition key alone, as the leases and orders tables are. */
export function createKeyValueTable(dynamodb: DynamoDBClient, name: string): Promise<void> {
  return requestTable(dynamodb, name, { partitionKey: KEY });
}

/** The outbox table with the byStatus index the relay and compensation sweeps query. */
export function createOutboxTable(dynamodb: DynamoDBClient, name: string): Promise<void> {
  return requestTable(dynamodb, name, {
    partitionKey: KEY,
    globalIndexes: [
      {
        name: OUTBOX.byStatusIndex,
        partitionKey: { name: 'status', type: 'S' },
        sortKey: { name: 'createdAt', type: 'N' },
      },
    ],
  });
}

export async function createQueue(sqs: SQSClient, name: string, fifo: boolean): Promise<string> {
  const result = await sqs.send(
    new CreateQueueCommand({
      QueueName: fifo ? `${name}.fifo` : name,
      Attributes: fifo ? { FifoQueue: 'true' } : {},
    }),
  );
  return result.QueueUrl!;
}

/**
 * Receives and deletes every message until the queue answers empty, with every attribute.
 * Deleting as it goes unlocks the next messages of each FIFO message group.
 *
 * @param visibilityTimeoutSeconds hides received messages this long @default the queue's own
 */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  visibilityTimeoutSeconds?: number,
): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        ...(visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: visibilityTimeoutSeconds } : {}),
      }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle!,
        })),
      }),
    );
  }
}
