/** Reads the consumer's acknowledgement (claim status per envelope id) from the claims table. */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimStatusReader } from '../core/producer/ports.js';
import { type ClaimStatus, PARTITION_KEY } from '../core/tables.js';

export class DynamoDbClaimStatusReader implements ClaimStatusReader {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async statuses(ids: readonly string[]): Promise<Map<string, ClaimStatus>> {
    const statuses = new Map<string, ClaimStatus>();
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += 100) {
      let keys: Record<string, unknown>[] = unique
        .slice(start, start + 100)
        .map((id) => ({ [PARTITION_KEY]: id }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= 8) throw new Error(`Claims batch read left ${keys.length} keys unprocessed`);
        const result = await this.documents.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ProjectionExpression: '#pk, #status',
                ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#status': 'status' },
              },
            },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? [])
          statuses.set(String(item[PARTITION_KEY]), item.status as ClaimStatus);
        keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return statuses;
  }
}
