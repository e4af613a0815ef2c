/** Reads the consumer's acknowledgement (claim status per envelope id) from the claims table. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimStatusReader } from '../core/producer/ports.js';
import { type ClaimStatus, PARTITION_KEY } from '../core/tables.js';
import { batchGetByIds } from './dynamodb-batch-get.js';

/**
 * Compensation's ClaimStatusReader: the claim status of each envelope id, with BatchGetItem.
 *
 * @example
 * const claims = new DynamoDbClaimStatusReader(clients.documents, claimsTable);
 * const statuses = await claims.statuses(['1234', '1235']); // Map id -> COMPLETED | REJECTED | IN_PROGRESS
 */
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
