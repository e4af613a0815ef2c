/** Reads the consumer's acknowledgement (claim status per envelope id) from the claims table. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimStatusReader } from '../core/producer/ports.js';
import { type ClaimStatus, PARTITION_KEY } from '../core/tables.js';
import { batchGetByIds } from './dynamodb-batch-get.js';

export class DynamoDbClaimStatusReader implements ClaimStatusReader {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async statuses(ids: readonly string[]): Promise<Map<string, ClaimStatus>> {
    const items = await batchGetByIds(this.documents, this.tableName, ids, 'Claims', {
      ProjectionExpression: '#pk, #status',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#status': 'status' },
    });
    return new Map(items.map((item) => [String(item[PARTITION_KEY]), item.status as ClaimStatus]));
  }
}
