/** Reads the consumer's acknowledgement (claim status per envelope id) from the claims table. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimStatusQuery, ClaimStatusReader } from '../core/producer/ports.js';
import { type ClaimStatus, PARTITION_KEY } from '../core/tables.js';
import { batchGetByIds } from './dynamodb-batch-get.js';
import { queryStreamClaims } from './dynamodb-stream-claims.js';

/**
 * Compensation's ClaimStatusReader: the claim of each envelope id (BatchGetItem), and for the ones
 * without a claim item, the consumption log (claims carried by business items), read through the
 * `byProducer` index once per producer over the wanted seqs.
 *
 * @example
 * const claims = new DynamoDbClaimStatusReader(clients.documents, claimsTable);
 * const statuses = await claims.statuses([{ id: '1234', producer: '7-1', seq: 42 }]);
 */
export class DynamoDbClaimStatusReader implements ClaimStatusReader {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async statuses(messages: readonly ClaimStatusQuery[]): Promise<Map<string, ClaimStatus>> {
    const items = await batchGetByIds(
      this.documents,
      this.tableName,
      messages.map((message) => message.id),
      'Claims',
      {
        ProjectionExpression: '#pk, #status',
        ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#status': 'status' },
      },
    );
    const statuses = new Map(items.map((item) => [String(item[PARTITION_KEY]), item.status as ClaimStatus]));
    const byProducer = new Map<string, ClaimStatusQuery[]>();
    for (const message of messages) {
      if (statuses.has(message.id)) continue;
      byProducer.set(message.producer, [...(byProducer.get(message.producer) ?? []), message]);
    }
    for (const [producer, wanted] of byProducer) {
      const seqs = wanted.map((message) => message.seq);
      const claims = await queryStreamClaims(
        this.documents,
        this.tableName,
        producer,
        Math.min(...seqs),
        Math.max(...seqs),
        Number.POSITIVE_INFINITY,
      );
      const found = new Map(claims.map((claim) => [claim.seq, claim.status ?? 'COMPLETED']));
      for (const message of wanted) {
        const status = found.get(message.seq);
        if (status) statuses.set(message.id, status);
      }
    }
    return statuses;
  }
}
