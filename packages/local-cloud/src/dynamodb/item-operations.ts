/**
 * Single-item and batch data-plane operations. A write is prepared (validated, expressions
 * parsed), then evaluated against the current item, then committed; transactions reuse the same
 * three steps so that all their conditions are checked before any write is applied.
 */
import { dictionary } from '../input-limits.js';
import { AwsError } from '../protocol.js';
import {
  assertItemSize,
  assertNesting,
  emptyItem,
  type Item,
  itemSize,
  normaliseItem,
  validationError,
} from './attribute-values.js';
import { CapacityMeter, type CapacityMode, readUnits } from './capacity.js';
import type { EngineState } from './engine-state.js';
import {
  applyUpdate,
  evaluateCondition,
  type Placeholders,
  project,
  type ResolvedPath,
  resolvePath,
} from './expression-evaluator.js';
import {
  type ConditionNode,
  type Parsed,
  type PathNode,
  parseCondition,
  parseProjection,
  parseUpdate,
  type UpdateAction,
} from './expression-parser.js';
import {
  checkUpdateTargets,
  type KeyAttributes,
  keyAttributesOf,
  validateCondition,
  validateProjection,
  validateUpdate,
} from './expression-validator.js';
import {
  asInput,
  type Input,
  optionalArray,
  optionalBoolean,
  optionalEnum,
  optionalObject,
  optionalString,
  placeholdersOf,
  rejectLegacyParameters,
  requiredItem,
  requiredString,
} from './request-input.js';
import { type Table, validateItemKeys, validateKey } from './table-store.js';

export type WriteKind = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';

/** A validated write, ready to be evaluated against the item it targets. */
export interface PreparedWrite {
  readonly kind: WriteKind;
  readonly table: Table;
  readonly key: string;
  /** The key attributes (an Update of a missing item starts from them). */
  readonly keyItem: Item;
  readonly item?: Item;
  readonly update?: Parsed<UpdateAction[]>;
  readonly condition?: Parsed<ConditionNode>;
  readonly placeholders: Placeholders;
  readonly returnOnFailure: 'ALL_OLD' | 'NONE';
  /**
   * In a transaction, what AWS reports as this action's ValidationError cancellation reason
   * instead of rejecting the whole request (a key of the wrong type).
   */
  readonly rejection?: AwsError;
}

/**
 * A write AWS refuses for its item, not its request: in a transaction it becomes the action's
 * ValidationError cancellation reason; on its own it is the ValidationException it extends.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html#API_TransactWriteItems_Errors
 */
export class RejectedItem extends AwsError {
  constructor(message: string) {
    super('ValidationException', message);
  }
}

const TYPE_MISMATCH = /Type mismatch for (Index )?Key/i;
let rejectedKeys = 0;

/**
 * In a transaction a key or index key of the wrong type becomes the action's cancellation reason
 * (DynamoDB Local 1.25.1's answer; the AWS pages name ValidationError for "an invalid data format"
 * without saying which checks it covers). Other key errors still reject the whole request.
 */
function transactionalKeyCheck(check: () => void): RejectedItem | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    // Only a scalar of the wrong type: a set or document where a key belongs fails the whole request.
    const actual = /actual: (\w+)/i.exec(error instanceof Error ? error.message : '')?.[1];
    if (error instanceof AwsError && TYPE_MISMATCH.test(error.message) && ['S', 'N', 'B'].includes(actual!)) {
      return new RejectedItem(error.message);
    }
    throw error;
  }
}

/** A Key naming exactly the key attributes, one of them of the wrong type. */
export function keyOfWrongType(table: Table, key: Item): boolean {
  const names = table.keyNames;
  if (Object.keys(key).length !== names.length || names.some((name) => key[name] === undefined)) return false;
  const { hash, range } = table.definition.key;
  const attributes = [hash, ...(range ? [range] : [])];
  const scalar = (name: string) => ['S', 'N', 'B'].some((type) => type in key[name]!);
  return (
    attributes.every((attribute) => scalar(attribute.name)) &&
    attributes.some((attribute) => !(attribute.type in key[attribute.name]!))
  );
}

/** The request's ReturnConsumedCapacity. */
export function capacityMode(input: Input): CapacityMode {
  return optionalEnum(input, 'ReturnConsumedCapacity', ['NONE', 'TOTAL', 'INDEXES'] as const, 'NONE');
}

/** Validates one write (Put, Update, Delete or a transactional ConditionCheck) and parses its expressions. */
export function prepareWrite(
  state: EngineState,
  kind: WriteKind,
  input: Input,
  transactional = false,
): PreparedWrite {
  rejectLegacyParameters(input);
  const table = state.table(requiredString(input, 'TableName', 'tableName'));
  const conditionText = optionalString(input, 'ConditionExpression');
  if (kind === 'ConditionCheck' && conditionText === undefined) {
    throw validationError(
      "1 validation error detected: Value null at 'transactItems.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
    );
  }
  const condition =
    conditionText === undefined ? undefined : parseCondition('ConditionExpression', conditionText);
  const updateText = kind === 'Update' ? optionalString(input, 'UpdateExpression') : undefined;
  if (kind === 'Update' && updateText === undefined && transactional) {
    throw validationError(
      "1 validation error detected: Value null at 'transactItems.member.update.updateExpression' failed to satisfy constraint: Member must not be null",
    );
  }
  const update = updateText === undefined ? undefined : parseUpdate(updateText);
  const placeholders = placeholdersOf(input, [condition, update]);
  // AWS validates expressions before it reads the item, so a bad one never becomes a condition failure.
  // Key paths in a ConditionCheck's condition are not checked, in a transactional Update's only
  // those into the table's keys (DynamoDB Local 1.25.1's answers; the rest are evaluated like any
  // other path).
  let keys: KeyAttributes | undefined = keyAttributesOf(table.definition);
  if (kind === 'ConditionCheck') keys = undefined;
  else if (transactional && kind === 'Update') keys = { table: keys.table, index: new Set() };
  if (condition) validateCondition('ConditionExpression', condition.tree, placeholders, keys);
  if (update) validateUpdate(update.tree, placeholders);
  const returnOnFailure = optionalEnum(
    input,
    'ReturnValuesOnConditionCheckFailure',
    ['ALL_OLD', 'NONE'] as const,
    'NONE',
  );
  if (kind === 'Put') {
    const item = requiredItem(input, 'Item');
    let rejection: RejectedItem | undefined;
    if (transactional) rejection = transactionalKeyCheck(() => validateItemKeys(table.definition, item));
    else validateItemKeys(table.definition, item);
    assertItemSize(item);
    const keyItem = emptyItem();
    for (const name of table.keyNames) keyItem[name] = item[name]!;
    // A rejected action gets a key of its own, so it neither collides with another nor is looked up.
    const key = rejection ? `\u0000rejected\u0000${rejectedKeys++}` : table.keyText(item);
    return {
      kind,
      table,
      key,
      keyItem,
      item,
      condition,
      placeholders,
      returnOnFailure,
      ...(rejection ? { rejection } : {}),
    };
  }
  const keyItem = requiredItem(input, 'Key');
  if (transactional && keyOfWrongType(table, keyItem)) {
    return {
      kind,
      table,
      key: `\u0000rejected\u0000${rejectedKeys++}`,
      keyItem,
      condition,
      placeholders,
      returnOnFailure,
      rejection: new RejectedItem('One or more parameter values were invalid: Type mismatch for key'),
    };
  }
  validateKey(table.definition, keyItem);
  return {
    kind,
    table,
    key: table.keyText(keyItem),
    keyItem,
    ...(update ? { update } : {}),
    condition,
    placeholders,
    returnOnFailure,
  };
}

/** Evaluates the write's ConditionExpression against the current item (absent: an empty item). */
export function conditionHolds(write: PreparedWrite, before: Item | undefined): boolean {
  if (!write.condition) return true;
  return evaluateCondition('ConditionExpression', write.condition.tree, before ?? {}, write.placeholders);
}

/** The ConditionalCheckFailedException, carrying the item when ALL_OLD was asked for. */
export function conditionFailure(write: PreparedWrite, before: Item | undefined): AwsError {
  return new AwsError(
    'ConditionalCheckFailedException',
    'The conditional request failed',
    400,
    write.returnOnFailure === 'ALL_OLD' && before ? { Item: before } : {},
  );
}

/** The item after the write (undefined: deleted or unchanged for ConditionCheck), or a ValidationException. */
export function computeWrite(
  write: PreparedWrite,
  before: Item | undefined,
): { after: Item | undefined; paths: readonly ResolvedPath[] } {
  switch (write.kind) {
    case 'Put':
      return { after: write.item, paths: [] };
    case 'Delete':
    case 'ConditionCheck':
      return { after: undefined, paths: [] };
    case 'Update': {
      const base = before ?? write.keyItem;
      if (!write.update) return { after: base, paths: [] };
      // Checked after the condition, as AWS does: a failed condition wins over a key update.
      checkUpdateTargets(
        write.update.tree,
        write.placeholders,
        keyAttributesOf(write.table.definition),
        (name) =>
          new RejectedItem(
            `One or more parameter values were invalid: Cannot update attribute ${name}. This attribute is part of the key`,
          ),
      );
      const result = applyUpdate(write.update.tree, base, write.placeholders, write.table.keyNames);
      const rejection = transactionalKeyCheck(() => validateItemKeys(write.table.definition, result.item));
      if (rejection) throw rejection;
      // A value put at a nested path can take the item past the nesting limit.
      assertNesting(result.item);
      assertItemSize(result.item);
      return { after: result.item, paths: result.paths };
    }
  }
}

/** Applies a computed write to the table and its indexes. */
export function commitWrite(write: PreparedWrite, after: Item | undefined): void {
  if (write.kind === 'ConditionCheck') return;
  if (after === undefined) write.table.delete(write.key);
  else write.table.put(write.key, after);
}

function returnValues(input: Input, allowed: readonly string[]): string {
  const value = optionalString(input, 'ReturnValues') ?? 'NONE';
  if (!allowed.includes(value)) {
    throw validationError(
      allowed.length === 2
        ? `ReturnValues can only be ALL_OLD or NONE`
        : `1 validation error detected: Value '${value}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value;
}

function runSingleWrite(state: EngineState, kind: WriteKind, input: Input): Record<string, unknown> {
  const allowed =
    kind === 'Update' ? ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'] : ['NONE', 'ALL_OLD'];
  const returns = returnValues(input, allowed);
  const meter = new CapacityMeter(capacityMode(input), 'write');
  const write = prepareWrite(state, kind, input);
  const before = write.table.get(write.key);
  if (!conditionHolds(write, before)) throw conditionFailure(write, before);
  const { after, paths } = computeWrite(write, before);
  commitWrite(write, after);
  meter.addWrite(write.table, before, after);
  const output: Record<string, unknown> = {};
  let attributes: Item | undefined;
  if (returns === 'ALL_OLD') attributes = before;
  else if (returns === 'ALL_NEW') attributes = after;
  else if (returns === 'UPDATED_OLD') attributes = before ? project(before, paths) : undefined;
  else if (returns === 'UPDATED_NEW') attributes = after ? project(after, paths) : undefined;
  if (attributes && Object.keys(attributes).length > 0) output.Attributes = attributes;
  const consumed = meter.single(write.table.definition.name);
  if (consumed) output.ConsumedCapacity = consumed;
  return output;
}

export function putItem(state: EngineState, input: Input): unknown {
  return runSingleWrite(state, 'Put', input);
}

export function updateItem(state: EngineState, input: Input): unknown {
  return runSingleWrite(state, 'Update', input);
}

export function deleteItem(state: EngineState, input: Input): unknown {
  return runSingleWrite(state, 'Delete', input);
}

/** The parsed ProjectionExpression of a request, if it has one. */
export function projectionOf(input: Input): Parsed<PathNode[]> | undefined {
  const text = optionalString(input, 'ProjectionExpression');
  return text === undefined ? undefined : parseProjection(text);
}

/** Substitutes the placeholders of a projection and rejects key paths and overlapping paths, as AWS does. */
export function resolveProjection(
  parsed: Parsed<PathNode[]> | undefined,
  placeholders: Placeholders,
  keys: KeyAttributes,
): ResolvedPath[] | undefined {
  if (!parsed) return undefined;
  const paths = parsed.tree.map((path) => resolvePath(path, placeholders));
  validateProjection(paths, keys);
  return paths;
}

interface PreparedRead {
  readonly table: Table;
  readonly key: string;
  readonly projection: ResolvedPath[] | undefined;
  readonly consistent: boolean;
}

/** Validates one key read (GetItem, BatchGetItem, TransactGetItems) and its projection. */
export function prepareRead(state: EngineState, input: Input, keyItem: unknown): PreparedRead {
  rejectLegacyParameters(input);
  const table = state.table(requiredString(input, 'TableName', 'tableName'));
  const key = normaliseItem(keyItem);
  validateKey(table.definition, key);
  const parsed = projectionOf(input);
  const placeholders = placeholdersOf(input, [parsed]);
  return {
    table,
    key: table.keyText(key),
    projection: resolveProjection(parsed, placeholders, keyAttributesOf(table.definition)),
    consistent: optionalBoolean(input, 'ConsistentRead') ?? false,
  };
}

function readItem(read: PreparedRead): Item | undefined {
  const item = read.table.get(read.key);
  return item && read.projection ? project(item, read.projection) : item;
}

export function getItem(state: EngineState, input: Input): unknown {
  const meter = new CapacityMeter(capacityMode(input), 'read');
  if (input.Key === undefined || input.Key === null) requiredItem(input, 'Key');
  const read = prepareRead(state, input, input.Key);
  const stored = read.table.get(read.key);
  const output: Record<string, unknown> = {};
  const item = readItem(read);
  if (item) output.Item = item;
  if (meter.enabled) {
    meter.addTable(read.table.definition.name, readUnits(stored ? itemSize(stored) : 0, read.consistent));
    output.ConsumedCapacity = meter.single(read.table.definition.name);
  }
  return output;
}

const MAX_BATCH_GET = 100;
const MAX_BATCH_WRITE = 25;
const MAX_BATCH_GET_RESPONSE_BYTES = 16 * 1024 * 1024;

function requestItems(input: Input): [string, unknown][] {
  const raw = optionalObject(input, 'RequestItems');
  if (!raw || Object.keys(raw).length === 0) {
    throw validationError(
      "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  return Object.entries(raw);
}

/** Up to 100 keys; whatever does not fit in 16 MB is returned in UnprocessedKeys. */
export function batchGetItem(state: EngineState, input: Input): unknown {
  const meter = new CapacityMeter(capacityMode(input), 'read');
  const requests = requestItems(input);
  const plans: { tableName: string; request: Input; reads: PreparedRead[]; keys: unknown[] }[] = [];
  let total = 0;
  for (const [tableName, raw] of requests) {
    const request = asInput(raw);
    const keys = optionalArray(request, 'Keys') ?? [];
    total += keys.length;
    if (total > MAX_BATCH_GET) throw validationError('Too many items requested for the BatchGetItem call');
    if (keys.length === 0) {
      throw validationError(
        "1 validation error detected: Value null at 'requestItems.keys' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    const reads = keys.map((key) => prepareRead(state, { ...request, TableName: tableName }, key));
    if (new Set(reads.map((read) => read.key)).size !== reads.length) {
      throw validationError('Provided list of item keys contains duplicates');
    }
    plans.push({ tableName, request, reads, keys });
  }
  // Keyed by table names, which may be `__proto__` or `constructor`.
  const responses = dictionary<Item[]>();
  const unprocessed = dictionary<Input>();
  let bytes = 0;
  for (const plan of plans) {
    const items: Item[] = [];
    responses[plan.tableName] = items;
    plan.reads.forEach((read, i) => {
      if (bytes > MAX_BATCH_GET_RESPONSE_BYTES) {
        unprocessed[plan.tableName] ??= { ...plan.request, Keys: [] };
        const pending = unprocessed[plan.tableName] as { Keys: unknown[] };
        pending.Keys.push(plan.keys[i]);
        return;
      }
      const stored = read.table.get(read.key);
      meter.addTable(plan.tableName, readUnits(stored ? itemSize(stored) : 0, read.consistent));
      const item = readItem(read);
      if (item) {
        bytes += itemSize(item);
        items.push(item);
      }
    });
  }
  const output: Record<string, unknown> = { Responses: responses, UnprocessedKeys: unprocessed };
  const consumed = meter.list();
  if (consumed) output.ConsumedCapacity = consumed;
  return output;
}

/** Validates every request first, then applies them all (UnprocessedItems is always empty). */
export function batchWriteItem(state: EngineState, input: Input): unknown {
  const meter = new CapacityMeter(capacityMode(input), 'write');
  const requests = requestItems(input);
  const writes: PreparedWrite[] = [];
  for (const [tableName, raw] of requests) {
    if (!Array.isArray(raw) || raw.length === 0) {
      throw validationError(
        "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length greater than or equal to 1]",
      );
    }
    const seen = new Set<string>();
    for (const entry of raw) {
      const request = asInput(entry);
      const put = optionalObject(request, 'PutRequest');
      const remove = optionalObject(request, 'DeleteRequest');
      if ((put === undefined) === (remove === undefined)) {
        throw validationError('A WriteRequest must contain exactly one of PutRequest or DeleteRequest');
      }
      const write = put
        ? prepareWrite(state, 'Put', { TableName: tableName, Item: put.Item })
        : prepareWrite(state, 'Delete', { TableName: tableName, Key: remove!.Key });
      if (seen.has(write.key)) throw validationError('Provided list of item keys contains duplicates');
      seen.add(write.key);
      writes.push(write);
      if (writes.length > MAX_BATCH_WRITE)
        throw validationError('Too many items requested for the BatchWriteItem call');
    }
  }
  for (const write of writes) {
    const before = write.table.get(write.key);
    const { after } = computeWrite(write, before);
    commitWrite(write, after);
    meter.addWrite(write.table, before, after);
  }
  const output: Record<string, unknown> = { UnprocessedItems: dictionary() };
  const consumed = meter.list();
  if (consumed) output.ConsumedCapacity = consumed;
  return output;
}
