/**
 * The allow-list of the differential run: where DynamoDB Local 1.25.1 answers differently from
 * AWS, each entry says how, why we know AWS answers otherwise, and matches only that difference.
 * Anything else that differs fails the run.
 */
import type { Deviation, Difference } from './differential-run.js';

/** The expressions of a request and of each action inside it. */
function expressions(difference: Difference): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (key.endsWith('Expression') && typeof inner === 'string') found.push(inner);
      else if (key !== 'Item' && key !== 'Key' && key !== 'ExpressionAttributeValues') visit(inner);
    }
  };
  visit(difference.operation.body);
  return found;
}

/** A number's canonical text, computed here (not by the emulator under test). */
function canonicalNumber(text: string): string {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const fraction = match[3] ?? '';
  let digits = `${match[2]}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let exponent = Number(match[4] ?? 0) - fraction.length;
  const trimmed = digits.replace(/0+$/, '');
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  let body: string;
  if (exponent >= 0) body = digits + '0'.repeat(exponent);
  else {
    const point = digits.length + exponent;
    body =
      point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return match[1] === '-' ? `-${body}` : body;
}

/** The same value with every number canonical, at any depth. */
function canonicalNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalNumbers);
  if (value === null || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'N' && typeof inner === 'string') result[key] = canonicalNumber(inner);
    else if (key === 'NS' && Array.isArray(inner))
      result[key] = inner.map((member) => canonicalNumber(String(member))).sort();
    else result[key] = canonicalNumbers(inner);
  }
  return result;
}

const sameText = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Numbers made canonical; unordered results (Items of a Scan or index Query) sorted again after. */
function numbersByValue(result: unknown): unknown {
  const canonical = canonicalNumbers(result) as Record<string, unknown> | undefined;
  if (canonical && Array.isArray(canonical.Items)) {
    canonical.Items = [...canonical.Items].sort((a, b) =>
      JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
    );
  }
  return canonical;
}

/** Whether a result holds an item of the sorted table (it has `sk`) whose index key g or l is not a string. */
function hasMistypedIndexKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasMistypedIndexKey);
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  if (record.sk !== undefined && record.pk !== undefined) {
    for (const name of ['g', 'l']) {
      const attribute = record[name] as Record<string, unknown> | undefined;
      if (attribute !== undefined && !('S' in attribute)) return true;
    }
  }
  return Object.values(record).some(hasMistypedIndexKey);
}

/** The key attributes of the differential run's tables. */
const KEY_NAMES = new Set(['pk', 'sk']);

/** Whether an update expression writes to a key attribute (by name or placeholder). */
function updatesKey(action: Record<string, unknown>): boolean {
  const text = typeof action.UpdateExpression === 'string' ? action.UpdateExpression : '';
  const names = (action.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const targets = text
    .split(/\b(?:SET|REMOVE|ADD|DELETE)\b/i)
    .flatMap((clause) => clause.split(','))
    .map((part) => part.trim().split(/[\s=.[]/)[0] ?? '');
  return targets.some((target) => KEY_NAMES.has(names[target] ?? target));
}

export const DYNAMODB_LOCAL_DEVIATIONS: readonly Deviation[] = [
  {
    id: 'index-key-type-not-checked-on-update',
    reason:
      'DynamoDB Local accepts an UpdateItem (or transactional Update) that gives a secondary index key attribute a value of the wrong type, and stores it; AWS rejects any write whose index key attributes do not match the index key schema. The emulator rejects it, so such an item exists only in DynamoDB Local and every later answer that shows it differs too',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes',
    matches: (difference) =>
      (difference.oracle.status === 200 &&
        (/Type mismatch for Index Key/.test(difference.local.message ?? '') ||
          (difference.local.details ?? []).some((message) => /Type mismatch for Index Key/.test(message)))) ||
      hasMistypedIndexKey(difference.oracle.result),
  },
  {
    id: 'key-update-single-cancellation-reason',
    reason:
      'When a TransactWriteItems action updates a key attribute, DynamoDB Local cancels the transaction with a single ValidationError reason whatever the number of actions; AWS lists one reason per action, in request order, with None for the actions without error (the emulator does)',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CancellationReason.html',
    matches: (difference) => {
      const actions = (difference.operation.body.TransactItems ?? []) as Record<
        string,
        Record<string, unknown>
      >[];
      const reasons = (difference.oracle.result as { CancellationReasons?: { Code: string }[] } | undefined)
        ?.CancellationReasons;
      return (
        difference.operation.operation === 'TransactWriteItems' &&
        difference.local.code === 'TransactionCanceledException' &&
        difference.oracle.code === 'TransactionCanceledException' &&
        reasons?.length === 1 &&
        reasons[0]!.Code === 'ValidationError' &&
        actions.length > 1 &&
        actions.some((action) => action.Update !== undefined && updatesKey(action.Update))
      );
    },
  },
  {
    id: 'transaction-same-item-checked-late',
    reason:
      'DynamoDB Local applies the actions of a TransactWriteItems one after another and refuses a second action on an item only when it reaches that action and its condition holds, so a failed condition before it cancels the transaction instead; AWS states the rule as one on the request ("you can\'t target the same item with multiple operations within the same transaction"), and the emulator refuses such a request before evaluating anything',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html',
    matches: (difference) =>
      difference.operation.operation === 'TransactWriteItems' &&
      difference.local.message === 'Transaction request cannot include multiple operations on one item' &&
      difference.oracle.code === 'TransactionCanceledException',
  },
  {
    id: 'transaction-required-expression-not-checked-first',
    reason:
      "DynamoDB Local accepts a TransactWriteItems Update without UpdateExpression, and checks a ConditionCheck's missing ConditionExpression only after other checks; both members are required in AWS's API, so AWS refuses such a request before anything else (the emulator does)",
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Update.html and https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ConditionCheck.html',
    matches: (difference) =>
      difference.operation.operation === 'TransactWriteItems' &&
      /'transactItems\.member\.(update\.updateExpression|conditionCheck\.conditionExpression)'/.test(
        difference.local.message ?? '',
      ),
  },
  {
    id: 'index-scan-filter-sees-table-item',
    reason:
      "DynamoDB Local evaluates a Scan's FilterExpression on a KEYS_ONLY or INCLUDE index against the table's whole item, so attributes the index does not hold still match; an index holds only its projected attributes and a read of it cannot fetch others from the table (the emulator filters the index's own item)",
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Projections',
    matches: (difference) =>
      difference.operation.operation === 'Scan' &&
      difference.operation.body.IndexName !== undefined &&
      difference.operation.body.FilterExpression !== undefined &&
      difference.local.status === 200 &&
      difference.oracle.status === 200,
  },
  {
    id: 'update-without-expression-internal-failure',
    reason:
      'DynamoDB Local answers 500 InternalFailure to an UpdateItem without UpdateExpression that asks for UPDATED_OLD or UPDATED_NEW; UpdateExpression is optional on AWS (without it nothing is updated, and there are no updated attributes to return)',
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-UpdateExpression',
    matches: (difference) =>
      difference.operation.operation === 'UpdateItem' &&
      difference.operation.body.UpdateExpression === undefined &&
      difference.oracle.status === 500 &&
      difference.local.status === 200,
  },
  {
    id: 'nested-numbers-not-canonical',
    reason:
      'DynamoDB Local stores and returns numbers inside lists and maps as written (01.50, 5E+1, -0) while it canonicalises top-level numbers; AWS trims leading and trailing zeroes of every number',
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number',
    matches: (difference) =>
      difference.local.status === difference.oracle.status &&
      difference.local.code === difference.oracle.code &&
      !sameText(difference.local.result, difference.oracle.result) &&
      sameText(numbersByValue(difference.local.result), numbersByValue(difference.oracle.result)),
  },
  {
    id: 'reserved-words-convert-size',
    reason:
      "DynamoDB Local's keyword table (com.amazonaws.services.dynamodbv2.parser.ReservedKeywords in DynamoDBLocal.jar 1.25.1) lacks CONVERT and SIZE, which AWS's list of 573 reserved words includes, so it accepts them as bare attribute names where the emulator, like AWS, rejects them",
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html',
    matches: (difference) =>
      difference.stage === 'answer' &&
      difference.local.code === 'ValidationException' &&
      /reserved keyword: (convert|size)$/i.test(difference.local.message ?? '') &&
      expressions(difference).some((expression) => /(^|[^#\w])(convert|size)\b(?!\s*\()/i.test(expression)),
  },
];
