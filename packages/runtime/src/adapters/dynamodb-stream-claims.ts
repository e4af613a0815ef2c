/**
 * Reads a producer stream's claims from the claims table's `byProducer` index: claim items (one
 * seq each) and consumption-log items (a set of seqs under the lowest, all within CLAIMS.logSpan of
 * it). Shared by the auditor and compensation.
 */
import { type DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { StreamClaim } from '../core/audit/audit-model.js';
import { CLAIMS, type ClaimStatus, PARTITION_KEY } from '../core/tables.js';

/**
 * The claims of `producer` with `from <= seq <= to` (no upper bound when `to` is undefined),
 * ascending, one per seq, at most `limit`: a seq is returned only once every index entry that could
 * hold it has been read.
 */
export async function queryStreamClaims(
  documents: DynamoDBDocumentClient,
  claimsTable: string,
  producer: string,
  from: number,
  to: number | undefined,
  limit: number,
): Promise<StreamClaim[]> {
  const lowest = from - CLAIMS.logSpan + 1;
  const input: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'> =
    to === undefined
      ? {
          KeyConditionExpression: '#producer = :producer AND #seq >= :from',
          ExpressionAttributeValues: { ':producer': producer, ':from': lowest },
        }
      : {
          KeyConditionExpression: '#producer = :producer AND #seq BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':producer': producer, ':from': lowest, ':to': to },
        };
  const bySeq = new Map<number, StreamClaim>();
  const pages = paginateQuery(
    { client: documents, pageSize: Number.isFinite(limit) ? Math.min(Math.max(limit, 100), 1000) : 1000 },
    {
      TableName: claimsTable,
      IndexName: CLAIMS.byProducerIndex,
      ...input,
      ExpressionAttributeNames: {
        '#producer': 'producer',
        '#seq': 'seq',
        '#pk': PARTITION_KEY,
        '#status': 'status',
      },
      ProjectionExpression: '#pk, #seq, #status, claimedAt, completedAt, seqs',
      ScanIndexForward: true,
    },
  );
  const inRange = (seq: number) => seq >= from && (to === undefined || seq <= to);
  let readUpTo = Number.NEGATIVE_INFINITY;
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const key = Number(item.seq);
      readUpTo = key;
      const seqs = item.seqs instanceof Set ? [...(item.seqs as Set<unknown>)].map(Number) : [key];
      for (const seq of seqs) {
        if (!inRange(seq)) continue;
        const claim: StreamClaim = {
          seq,
          id: String(item[PARTITION_KEY]),
          status: item.status as ClaimStatus | undefined,
          claimedAt: numberOrUndefined(item.claimedAt) ?? numberOrUndefined(item.completedAt),
        };
        const known = bySeq.get(seq);
        // A seq logged twice, or claimed and logged: any record of consumption wins.
        if (!known || known.status === 'IN_PROGRESS') bySeq.set(seq, claim);
      }
    }
    // Every unread item sits at or above readUpTo, so the seqs below it are complete.
    const complete = [...bySeq.keys()].filter((seq) => seq < readUpTo).length;
    if (complete >= limit) break;
  }
  const sorted = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return Number.isFinite(limit) ? sorted.slice(0, limit) : sorted;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
