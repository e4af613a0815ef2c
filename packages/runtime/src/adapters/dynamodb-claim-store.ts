/**
 * The claims table on DynamoDB. Every claim write carries the same condition:
 *
 *   attribute_not_exists(pk) OR (#status = :inProgress AND #leaseUntil < :now)
 *
 *   delivery A  |--put IN_PROGRESS (lease L)--- handler ---|--finish (owner = A)--|
 *   delivery B        |--put: condition fails, ALL_OLD = IN_PROGRESS, lease live -> retry later
 *   delivery C                                        (after L, A crashed) |--put: lease expired -> takes over
 *   A's late finish:                                                       owner is C -> fenced out
 *
 * A failed condition returns the old item (ReturnValuesOnConditionCheckFailure=ALL_OLD), which
 * tells a duplicate from a concurrent delivery without a second read.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ClaimAttempt, ClaimRecord, ClaimStore, CommitResult } from '../core/consumer/ports.js';
import { PARTITION_KEY } from '../core/tables.js';
import { type TransactionWrite, toTransactItem } from '../core/transaction-write.js';

/** Options of {@link DynamoDbClaimStore}. */
export interface DynamoDbClaimStoreOptions {
  /** Ask DynamoDB for consumed capacity (for benchmarks and cost reports). @default false */
  readonly returnConsumedCapacity?: boolean;
}

const CLAIM_CONDITION = 'attribute_not_exists(#pk) OR (#status = :inProgress AND #leaseUntil < :now)';
const CLAIM_NAMES = { '#pk': PARTITION_KEY, '#status': 'status', '#leaseUntil': 'leaseUntil' };
const OWNER_FENCE = '#owner = :owner AND #status = :inProgress';

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;

/**
 * The consumer's ClaimStore on a DynamoDB claims table (partition key `pk`, string).
 *
 * @example
 * const claims = new DynamoDbClaimStore(clients.documents, 'my-claims-table');
 * const handle = createConsumer({ handlers, claims, messages });
 */
export class DynamoDbClaimStore implements ClaimStore {
  private readonly capacity: { ReturnConsumedCapacity?: 'TOTAL' };

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoDbClaimStoreOptions = {},
  ) {
    this.capacity = options.returnConsumedCapacity ? { ReturnConsumedCapacity: 'TOTAL' } : {};
  }

  async tryClaim(claim: ClaimRecord, now: number): Promise<ClaimAttempt> {
    try {
      await this.documents.send(new PutCommand({ ...this.claimPut(claim, now), ...this.capacity }));
      return { kind: 'claimed' };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return { kind: 'taken', existing: toClaimRecord(error.Item) };
      throw error;
    }
  }

  async finish(
    id: string,
    owner: string,
    status: 'COMPLETED' | 'REJECTED',
    outcome: string,
    now: number,
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: id },
          UpdateExpression: 'SET #status = :status, outcome = :outcome, completedAt = :now',
          ConditionExpression: OWNER_FENCE,
          ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ':outcome': outcome,
            ':now': now,
            ':owner': owner,
            ':inProgress': 'IN_PROGRESS',
          },
          ...this.capacity,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(id: string, owner: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: id },
          ConditionExpression: OWNER_FENCE,
          ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
          ExpressionAttributeValues: { ':owner': owner, ':inProgress': 'IN_PROGRESS' },
          ...this.capacity,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async commit(
    claim: ClaimRecord | undefined,
    writes: readonly TransactionWrite[],
    now: number,
  ): Promise<CommitResult> {
    // A claim alone needs no transaction: a conditional put is one write unit instead of two.
    if (claim && writes.length === 0) {
      const attempt = await this.tryClaim(claim, now);
      return attempt.kind === 'claimed'
        ? { kind: 'committed' }
        : { kind: 'cancelled', reasons: [{ code: 'ConditionalCheckFailed', item: attempt.existing }] };
    }
    const items: TransactItems = [
      ...(claim ? [{ Put: this.claimPut(claim, now) }] : []),
      ...writes.map(toTransactItem),
    ];
    try {
      await this.documents.send(new TransactWriteCommand({ TransactItems: items, ...this.capacity }));
      return { kind: 'committed' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = (error.CancellationReasons ?? []).map((reason, index) => ({
        code: reason.Code ?? 'None',
        ...(reason.Message ? { message: reason.Message } : {}),
        ...(claim && index === 0 && reason.Item ? { item: toClaimRecord(reason.Item) } : {}),
      }));
      return { kind: 'cancelled', reasons };
    }
  }

  async read(id: string): Promise<ClaimRecord | undefined> {
    const result = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PARTITION_KEY]: id },
        ConsistentRead: true,
        ...this.capacity,
      }),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  private claimPut(claim: ClaimRecord, now: number) {
    const { id, ...attributes } = claim;
    return {
      TableName: this.tableName,
      Item: { [PARTITION_KEY]: id, ...attributes },
      ConditionExpression: CLAIM_CONDITION,
      ExpressionAttributeNames: CLAIM_NAMES,
      ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':now': now },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }
}

function toClaimRecord(item: Record<string, AttributeValue> | undefined): ClaimRecord | undefined {
  return item && Object.keys(item).length > 0 ? fromItem(unmarshall(item)) : undefined;
}

function fromItem(item: Record<string, unknown>): ClaimRecord {
  const { [PARTITION_KEY]: id, ...rest } = item;
  return { id: String(id), ...(rest as Omit<ClaimRecord, 'id'>) };
}
