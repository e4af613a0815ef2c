/**
 * The outbox on DynamoDB (OUTBOX table): `pk` = envelope id, `envelope` (JSON string), `status`,
 * `createdAt`, `sentAt`, `attempts`, `nextAttemptAt`, `expiresAt` (TTL), `outcome`; the sweeps
 * read the `byStatus` index (partition status, sort createdAt).
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  paginateQuery,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  BusinessConditionFailedError,
  type OutboxItem,
  type OutboxStore,
  type OutboxUpdate,
} from '../core/producer/ports.js';
import { OUTBOX, type OutboxStatus, PARTITION_KEY } from '../core/tables.js';
import { type TransactionWrite, toTransactItem } from '../core/transaction-write.js';
import { batchGetByIds } from './dynamodb-batch-get.js';

/**
 * The producer's OutboxStore on the DynamoDB outbox table, whose `byStatus` index the sweeps read.
 *
 * @example
 * const store = new DynamoDbOutboxStore(clients.documents, outboxTable);
 * await relayPendingOutbox({ store, sender, fifo: false });
 */
export class DynamoDbOutboxStore implements OutboxStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async commit(writes: readonly TransactionWrite[], items: readonly OutboxItem[]): Promise<void> {
    const outboxPuts = items.map((item) => ({
      Put: {
        TableName: this.tableName,
        Item: this.toRecord(item),
        // An envelope id is written once; a clash would mean a Snowflake bug, so fail loudly.
        ConditionExpression: `attribute_not_exists(${PARTITION_KEY})`,
      },
    }));
    try {
      await this.documents.send(
        new TransactWriteCommand({ TransactItems: [...writes.map(toTransactItem), ...outboxPuts] }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        const index = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
        if (index >= 0 && index < writes.length)
          throw new BusinessConditionFailedError(index, writes[index]?.rejectionReason);
      }
      throw error;
    }
  }

  async put(items: readonly OutboxItem[]): Promise<void> {
    for (let start = 0; start < items.length; start += 25) {
      let requests = items
        .slice(start, start + 25)
        .map((item) => ({ PutRequest: { Item: this.toRecord(item) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= 8) throw new Error(`Outbox batch write left ${requests.length} items unprocessed`);
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
        const result = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  async update(id: string, from: OutboxStatus, update: OutboxUpdate): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':from': from };
    const sets: string[] = [];
    for (const [field, value] of Object.entries(update)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    if (sets.length === 0) return true;
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listByStatus(status: OutboxStatus, createdBefore: number, limit: number): Promise<OutboxItem[]> {
    const items: OutboxItem[] = [];
    const pages = paginateQuery(
      { client: this.documents, pageSize: Math.min(limit, 1000) },
      {
        TableName: this.tableName,
        IndexName: OUTBOX.byStatusIndex,
        KeyConditionExpression: '#status = :status AND createdAt <= :before',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':before': createdBefore },
      },
    );
    for await (const page of pages) {
      for (const record of page.Items ?? []) {
        items.push(this.fromRecord(record));
        if (items.length >= limit) return items;
      }
    }
    return items;
  }

  async get(ids: readonly string[]): Promise<OutboxItem[]> {
    const records = await batchGetByIds(this.documents, this.tableName, ids, 'Outbox', {
      ConsistentRead: true,
    });
    return records.map((record) => this.fromRecord(record));
  }

  private toRecord(item: OutboxItem): Record<string, unknown> {
    const { id, ...rest } = item;
    return { [PARTITION_KEY]: id, ...rest };
  }

  private fromRecord(record: Record<string, unknown>): OutboxItem {
    return {
      id: String(record[PARTITION_KEY]),
      envelope: String(record.envelope),
      status: record.status as OutboxStatus,
      createdAt: Number(record.createdAt),
      ...(record.sentAt !== undefined ? { sentAt: Number(record.sentAt) } : {}),
      attempts: Number(record.attempts ?? 0),
      nextAttemptAt: Number(record.nextAttemptAt ?? 0),
      expiresAt: Number(record.expiresAt ?? 0),
      ...(typeof record.outcome === 'string' ? { outcome: record.outcome } : {}),
    };
  }
}
