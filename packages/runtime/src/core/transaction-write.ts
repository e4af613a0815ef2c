/**
 * One write of a DynamoDB transaction, shared by the consumer (a handler's effect, committed with
 * the message's claim) and the producer (business writes committed with outbox items). It has the
 * shape of one `TransactItems` entry of the DynamoDB document client (plain JavaScript values, no
 * attribute-value maps), so what users know from `TransactWriteCommand` works unchanged, and the
 * adapters pass it on without conversion. Declared here rather than imported from the SDK because
 * the core stays free of `@aws-sdk/*`.
 */

/** Attribute values as the document client takes them: strings, numbers, booleans, lists, maps, sets. */
export type AttributeValues = Readonly<Record<string, unknown>>;

/** The condition members every kind of write may carry. */
export interface WriteCondition {
  /** e.g. `attribute_not_exists(pk)` or `balance >= :amount`. */
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: AttributeValues;
  /** Return the item as it was when the condition fails. @default 'NONE' */
  readonly ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}

/** Creates or replaces an item. */
export interface PutWrite extends WriteCondition {
  readonly TableName: string;
  readonly Item: AttributeValues;
}

/** Changes attributes of an item (creating it if it does not exist, as UpdateItem does). */
export interface UpdateWrite extends WriteCondition {
  readonly TableName: string;
  readonly Key: AttributeValues;
  /** e.g. `SET balance = balance - :amount`. */
  readonly UpdateExpression: string;
}

/** Removes an item. */
export interface DeleteWrite extends WriteCondition {
  readonly TableName: string;
  readonly Key: AttributeValues;
}

/** Checks a condition on an item without writing it. */
export interface ConditionCheckWrite extends WriteCondition {
  readonly TableName: string;
  readonly Key: AttributeValues;
  readonly ConditionExpression: string;
}

/**
 * One action of a DynamoDB transaction: exactly one of `Put`, `Update`, `Delete`, `ConditionCheck`,
 * as in `TransactWriteCommand`, plus the business reason to record when its condition fails.
 *
 * @example
 * const debit: TransactionWrite = {
 *   Update: {
 *     TableName: accountsTable,
 *     Key: { pk: accountId },
 *     UpdateExpression: 'SET balance = balance - :amount',
 *     ConditionExpression: 'balance >= :amount',
 *     ExpressionAttributeValues: { ':amount': amount },
 *   },
 *   rejectionReason: 'insufficient-balance',
 * };
 */
export type TransactionWrite = (
  | {
      readonly Put: PutWrite;
      readonly Update?: never;
      readonly Delete?: never;
      readonly ConditionCheck?: never;
    }
  | {
      readonly Update: UpdateWrite;
      readonly Put?: never;
      readonly Delete?: never;
      readonly ConditionCheck?: never;
    }
  | {
      readonly Delete: DeleteWrite;
      readonly Put?: never;
      readonly Update?: never;
      readonly ConditionCheck?: never;
    }
  | {
      readonly ConditionCheck: ConditionCheckWrite;
      readonly Put?: never;
      readonly Update?: never;
      readonly Delete?: never;
    }
) & {
  /**
   * What a failed condition of this write means for the business, e.g. `insufficient-balance`. A
   * failed condition is never retried: the consumer records the message as REJECTED with this
   * reason, the producer throws `BusinessConditionFailedError` carrying it.
   * @default 'condition-failed'
   */
  readonly rejectionReason?: string;
  /**
   * Marks an `Update` as a counter step built by {@link counterWrite}. When several messages of one
   * batch step the same counter, the consumer commits them as one update of their sum instead of
   * one write each (see docs/consumer.md, "Batch commits").
   */
  readonly counter?: CounterStep;
};

/** A step of a numeric attribute: add `add`, and refuse to go below `atLeast` when it is set. */
export interface CounterStep {
  readonly attribute: string;
  readonly add: number;
  readonly atLeast?: number;
}

/** Input of {@link counterWrite}. */
export interface CounterWriteInput extends CounterStep {
  readonly TableName: string;
  readonly Key: AttributeValues;
  /** Recorded when the step would take the counter below `atLeast` (or the counter is missing). */
  readonly rejectionReason?: string;
}

/**
 * A counter step as a transaction write: `SET #c = if_not_exists(#c, 0) + :add`, with the condition
 * `#c >= atLeast - add` when `atLeast` is set (so a missing counter is refused, never created
 * negative). On its own it is an ordinary `Update`; inside a batch the consumer sums the steps of
 * one counter into a single write.
 *
 * @example
 * counterWrite({
 *   TableName: accountsTable,
 *   Key: { pk: accountId },
 *   attribute: 'balance',
 *   add: -amount,
 *   atLeast: 0,
 *   rejectionReason: 'insufficient-balance',
 * });
 */
export function counterWrite(input: CounterWriteInput): TransactionWrite {
  const { TableName, Key, attribute, add, atLeast, rejectionReason } = input;
  if (!Number.isFinite(add)) throw new RangeError(`counterWrite: add must be a finite number, got ${add}`);
  if (atLeast !== undefined && !Number.isFinite(atLeast))
    throw new RangeError(`counterWrite: atLeast must be a finite number, got ${atLeast}`);
  const floor = atLeast === undefined ? {} : { ':need': atLeast - add };
  return {
    Update: {
      TableName,
      Key,
      UpdateExpression: 'SET #counter = if_not_exists(#counter, :zero) + :add',
      ...(atLeast === undefined ? {} : { ConditionExpression: '#counter >= :need' }),
      ExpressionAttributeNames: { '#counter': attribute },
      ExpressionAttributeValues: { ':zero': 0, ':add': add, ...floor },
    },
    counter: { attribute, add, ...(atLeast === undefined ? {} : { atLeast }) },
    ...(rejectionReason === undefined ? {} : { rejectionReason }),
  };
}

/** DynamoDB's limit on actions per TransactWriteItems call. */
export const MAX_TRANSACTION_ACTIONS = 100;

/** The write as the document client's `TransactItems` entry: everything but Oncely's own fields. */
export function toTransactItem(
  write: TransactionWrite,
): Omit<TransactionWrite, 'rejectionReason' | 'counter'> {
  const { rejectionReason: _reason, counter: _counter, ...item } = write;
  return item;
}
