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
import type {
  ClaimAttempt,
  ClaimRecord,
  ClaimStore,
  CommitResult,
  RecordClaim,
  RecordClaimAttempt,
  RecordClaimStore,
} from '../core/consumer/ports.js';
import { claimOnlyPut } from '../core/consumer/record-claims.js';
import { CLAIMS, PARTITION_KEY } from '../core/tables.js';
import { type TransactionWrite, toTransactItem } from '../core/transaction-write.js';

/** Options of {@link DynamoDbClaimStore}. */
export interface DynamoDbClaimStoreOptions {
  /** Ask DynamoDB for consumed capacity (for benchmarks and cost reports). @default false */
  readonly returnConsumedCapacity?: boolean;
  /** How long consumption-log items are kept (their TTL). @default 604800 (7 days) */
  readonly logTtlSeconds?: number;
}

type ItemTarget = { readonly TableName: string; readonly Key: Readonly<Record<string, unknown>> };

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
export class DynamoDbClaimStore implements ClaimStore, RecordClaimStore {
  private readonly capacity: { ReturnConsumedCapacity?: 'TOTAL' };
  private readonly logTtlSeconds: number;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoDbClaimStoreOptions = {},
  ) {
    this.capacity = options.returnConsumedCapacity ? { ReturnConsumedCapacity: 'TOTAL' } : {};
    this.logTtlSeconds = options.logTtlSeconds ?? 7 * 24 * 3600;
  }

  async transact(writes: readonly TransactionWrite[]): Promise<CommitResult> {
    return this.transactItems(writes.map(toTransactItem) as TransactItems);
  }

  /**
   * One TransactWriteItems; a cancellation comes back with one reason per action, carrying the
   * action's old item (when it asked for ALL_OLD) as plain attributes.
   */
  private async transactItems(items: TransactItems): Promise<CommitResult> {
    try {
      await this.documents.send(new TransactWriteCommand({ TransactItems: items, ...this.capacity }));
      return { kind: 'committed' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = (error.CancellationReasons ?? []).map((reason) => ({
        code: reason.Code ?? 'None',
        ...(reason.Message ? { message: reason.Message } : {}),
        ...(reason.Item && Object.keys(reason.Item).length > 0 ? { oldItem: unmarshall(reason.Item) } : {}),
      }));
      return { kind: 'cancelled', reasons };
    }
  }

  async readNumbers(
    target: ItemTarget,
    attributes: readonly string[],
  ): Promise<Map<string, number | undefined> | undefined> {
    const names = Object.fromEntries(attributes.map((attribute, index) => [`#a${index}`, attribute]));
    const result = await this.documents.send(
      new GetCommand({
        TableName: target.TableName,
        Key: target.Key,
        ConsistentRead: true,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
        ...this.capacity,
      }),
    );
    if (!result.Item) return undefined;
    const item = result.Item;
    return new Map(
      attributes.map((attribute) => {
        const value = item[attribute];
        return [attribute, typeof value === 'number' ? value : undefined];
      }),
    );
  }

  async readItem(target: ItemTarget): Promise<Readonly<Record<string, unknown>> | undefined> {
    const result = await this.documents.send(
      new GetCommand({
        TableName: target.TableName,
        Key: target.Key,
        ConsistentRead: true,
        ...this.capacity,
      }),
    );
    return result.Item;
  }

  async putClaimOnly(target: ItemTarget, claim: RecordClaim): Promise<RecordClaimAttempt> {
    const put = claimOnlyPut(target, claim).Put;
    if (!put) throw new Error('claimOnlyPut returned no Put');
    try {
      await this.documents.send(new PutCommand({ ...put, ...this.capacity }));
      return { kind: 'written' };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        return {
          kind: 'taken',
          existing: error.Item && Object.keys(error.Item).length > 0 ? unmarshall(error.Item) : undefined,
        };
      throw error;
    }
  }

  async logConsumed(producer: string, seqs: readonly number[], now: number): Promise<void> {
    if (seqs.length === 0) return;
    const lowest = Math.min(...seqs);
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PARTITION_KEY]: CLAIMS.logKey(producer, lowest) },
        UpdateExpression:
          'ADD seqs :seqs SET producer = :producer, seq = :seq, #status = :completed, claimedAt = if_not_exists(claimedAt, :now), expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':seqs': new Set(seqs),
          ':producer': producer,
          ':seq': lowest,
          ':completed': 'COMPLETED',
          ':now': now,
          ':expiresAt': Math.floor(now / 1000) + this.logTtlSeconds,
        },
        ...this.capacity,
      }),
    );
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
    const result = await this.transactItems([
      ...(claim ? [{ Put: this.claimPut(claim, now) }] : []),
      ...writes.map(toTransactItem),
    ]);
    if (result.kind === 'committed' || !claim) return result;
    // The claim's old item, as the claim the state machine judges it by.
    const [first, ...rest] = result.reasons;
    const item = first?.oldItem ? fromItem(first.oldItem) : undefined;
    return {
      kind: 'cancelled',
      reasons: [...(first ? [{ ...first, ...(item ? { item } : {}) }] : []), ...rest],
    };
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
