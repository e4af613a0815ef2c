/**
 * AWS list prices used to estimate cost per million events. Dated constants, us-east-1, beyond
 * the free tier; check the sources before relying on them for a budget. `asOf` is when these
 * prices took effect (DynamoDB's on-demand price cut); they were checked again on
 * {@link BILLING_RULES_READ_ON}, with the billing rules in {@link billingRules}.
 */
export const PRICES = {
  asOf: '2024-11-01',
  region: 'us-east-1',
  sources: [
    'https://aws.amazon.com/sqs/pricing/',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    'https://aws.amazon.com/lambda/pricing/',
  ],
  /** USD per million SQS requests (each 64 KB chunk of a payload is one request). */
  sqsStandardPerMillionRequests: 0.4,
  sqsFifoPerMillionRequests: 0.5,
  /** USD per million on-demand write / read request units (transactional requests use 2 units per KB). */
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  /** USD per million Lambda invocations and per GB-second on arm64. */
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
} as const;

/** One billing rule the benchmark's cost model applies, with the AWS page that states it. */
export interface BillingRule {
  /** Stable id, e.g. `dynamodb.failed-conditional-write`. */
  readonly id: string;
  /** The rule as the model applies it. */
  readonly rule: string;
  /** Where the model applies it: the local cloud's ConsumedCapacity, the meter, or the prices. */
  readonly appliedBy: 'local-cloud' | 'meter' | 'prices';
  /** The AWS pages that document it (the first is the primary one). */
  readonly sources: readonly string[];
  /** When documented only in part: what is inferred or bounded, and why. */
  readonly note?: string;
}

/**
 * The billing rules of the cost model, each with its AWS source. Read on {@link BILLING_RULES_READ_ON}
 * from stored copies of the pages (the pricing pages' figures are also in PRICES above).
 */
export const BILLING_RULES_READ_ON = '2026-12-02';

const DDB = 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide';

export const billingRules: readonly BillingRule[] = [
  {
    id: 'dynamodb.write-unit',
    rule: 'A write costs 1 write request unit per started 1 KB of the item (at least 1). Item size = UTF-8 lengths of the attribute names + value sizes (strings in UTF-8 bytes, binaries in raw bytes, numbers about 1 byte per 2 significant digits + 1, Boolean/null 1 byte, list/map 3 bytes + elements). PutItem over an existing item and UpdateItem cost the larger of the item before and after; DeleteItem the size of the deleted item; BatchWriteItem rounds each item up separately.',
    appliedBy: 'local-cloud',
    sources: [
      `${DDB}/read-write-operations.html#write-operation-consumption`,
      `${DDB}/CapacityUnitCalculations.html`,
    ],
  },
  {
    id: 'dynamodb.transactional-write',
    rule: 'TransactWriteItems costs 2 write units per started KB of each item: DynamoDB prepares and commits every item. A ConditionCheck action is charged like the other actions, 2 write units per started KB of the checked item.',
    appliedBy: 'local-cloud',
    sources: [
      `${DDB}/transaction-apis.html#transaction-capacity-handling`,
      'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    ],
    note: 'AWS does not state the ConditionCheck charge on its own; "two underlying reads or writes of every item in the transaction" covers it, and third-party measurements on AWS report 2 WCU, as write units, for a ConditionCheck of a small item.',
  },
  {
    id: 'dynamodb.transaction-replay',
    rule: 'A TransactWriteItems repeated with the same ClientRequestToken within 10 minutes reports read units (reading the items back: 2 per started 4 KB per item), not write units.',
    appliedBy: 'local-cloud',
    sources: [`${DDB}/transaction-apis.html#transaction-apis-txwriteitems-idempotency`],
    note: 'The page documents read units; the 2-per-4-KB transactional read rate per item is inferred.',
  },
  {
    id: 'dynamodb.gsi-write',
    rule: 'A base-table write adds index writes at the standard rate, 1 write unit per started KB of the projected index entry: 1 to put an entry, 1 to delete one, 1 to update projected attributes, 2 (delete + put) when the indexed key changes, 0 when the item is in the index neither before nor after. A transactional base write does not double its global secondary index writes.',
    appliedBy: 'local-cloud',
    sources: [
      `${DDB}/GSI.html#GSI.ThroughputConsiderations.Writes`,
      `${DDB}/transaction-apis.html#transaction-apis-txwriteitems`,
      `${DDB}/global-tables-billing.html`,
    ],
    note: 'Not doubling is inferred: transactions reach GSIs "after the transaction completes", and GSI updates are billed in WRUs of "each write up to 1KB". Local secondary indexes, updated with the item, stay doubled.',
  },
  {
    id: 'dynamodb.failed-conditional-write',
    rule: 'A conditional PutItem/UpdateItem/DeleteItem whose condition fails (ConditionalCheckFailedException) still consumes write units: 1 per started KB of the existing item, 1 when the item does not exist. The error reports no ConsumedCapacity.',
    appliedBy: 'meter',
    sources: [
      `${DDB}/read-write-operations.html#write-operation-consumption`,
      `${DDB}/WorkingWithItems.html#WorkingWithItems.ConditionalWrites.ReturnConsumedCapacity`,
    ],
    note: 'An older version of the page charged the larger of the existing and the new item; the current one says the existing item (or a minimum of 1).',
  },
  {
    id: 'dynamodb.cancelled-transaction',
    rule: "A TransactWriteItems cancelled by a condition (TransactionCanceledException) is charged the documented upper bound: what it would have cost to commit, 2 write units per started KB of each action's item (a cancelled TransactGetItems: 2 read units per item).",
    appliedBy: 'meter',
    sources: [
      `${DDB}/transaction-apis.html#transaction-capacity-handling`,
      'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html#API_TransactWriteItems_Errors',
    ],
    note: "AWS does not document what a cancelled transaction consumes, and the error reports no ConsumedCapacity. The meter sizes each action from the Put item and the failed action's existing item; other actions count as 1 KB.",
  },
  {
    id: 'dynamodb.read-unit',
    rule: 'A strongly consistent read costs 1 read unit per started 4 KB, an eventually consistent one half that, a transactional one twice that. GetItem and BatchGetItem round each item up separately; Query and Scan round the total size read; reading an absent item still costs the minimum (1 or 0.5).',
    appliedBy: 'local-cloud',
    sources: [`${DDB}/read-write-operations.html#read-operation-consumption`],
  },
  {
    id: 'sqs.request',
    rule: "Every SQS API action is a request; each 64 KB chunk of a request's payload is billed as one request (a 256 KB message is 4). FIFO requests cost $0.50 per million, standard $0.40 per million (us-east-1, first 100 billion a month, beyond the 1 million free).",
    appliedBy: 'prices',
    sources: ['https://aws.amazon.com/sqs/pricing/'],
  },
  {
    id: 'dynamodb.on-demand-price',
    rule: 'On-demand, standard table class, us-east-1: $0.625 per million write request units, $0.125 per million read request units (since the 2024-11-01 price cut).',
    appliedBy: 'prices',
    sources: ['https://aws.amazon.com/dynamodb/pricing/on-demand/'],
  },
  {
    id: 'lambda.price',
    rule: 'Lambda, us-east-1: $0.20 per million requests; arm64 duration $0.0000133334 per GB-second (first 7.5 billion GB-seconds a month), duration rounded up to 1 ms.',
    appliedBy: 'prices',
    sources: ['https://aws.amazon.com/lambda/pricing/'],
  },
];

export interface UsageCounts {
  readonly sqsRequests: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
}

/** Estimated USD for a million events, given the usage of `events` events. */
export function costPerMillionEvents(usage: UsageCounts, events: number, queue: 'fifo' | 'standard'): number {
  if (events <= 0) return 0;
  const scale = 1_000_000 / events;
  const sqsPrice = queue === 'fifo' ? PRICES.sqsFifoPerMillionRequests : PRICES.sqsStandardPerMillionRequests;
  const usd =
    (usage.sqsRequests / 1e6) * sqsPrice +
    (usage.dynamodbWriteUnits / 1e6) * PRICES.dynamodbPerMillionWriteUnits +
    (usage.dynamodbReadUnits / 1e6) * PRICES.dynamodbPerMillionReadUnits +
    (usage.lambdaInvocations / 1e6) * PRICES.lambdaPerMillionRequests +
    usage.lambdaGbSeconds * PRICES.lambdaArmPerGbSecond;
  return usd * scale;
}
