/**
 * TransactWriteItems and TransactGetItems. A transaction runs synchronously inside one event-loop
 * turn: every action is validated, then every condition is evaluated against the current items,
 * and only if all pass are all writes applied. Nothing else can run in between, so transactions
 * are serialisable and TransactionConflictException never occurs.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
import { AwsError } from '../protocol.js';
import { type Item, itemSize, normaliseItem, validationError } from './attribute-values.js';
import { CapacityMeter, type CapacityMode, readUnits, writeUnits } from './capacity.js';
import type { EngineState, IdempotencyRecord } from './engine-state.js';
import { project } from './expression-evaluator.js';
import { keyAttributesOf } from './expression-validator.js';
import {
  capacityMode,
  commitWrite,
  computeWrite,
  conditionHolds,
  keyOfWrongType,
  type PreparedWrite,
  prepareRead,
  prepareWrite,
  projectionOf,
  RejectedItem,
  resolveProjection,
  type WriteKind,
} from './item-operations.js';
import {
  asInput,
  type Input,
  optionalArray,
  optionalString,
  placeholdersOf,
  requiredString,
} from './request-input.js';

const MAX_ACTIONS = 100;
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** AWS keeps a ClientRequestToken for 10 minutes. */
const TOKEN_LIFETIME_MS = 10 * 60 * 1000;
const WRITE_KINDS: readonly WriteKind[] = ['ConditionCheck', 'Put', 'Delete', 'Update'];

function transactItems(input: Input): unknown[] {
  const items = optionalArray(input, 'TransactItems');
  if (!items || items.length === 0) {
    throw validationError(
      "1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null",
    );
  }
  if (items.length > MAX_ACTIONS) {
    throw validationError(
      `1 validation error detected: Value '[${items.length} items]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ACTIONS}`,
    );
  }
  return items;
}

function rejectDuplicates(targets: readonly { table: string; key: string }[]): void {
  const seen = new Set<string>();
  for (const target of targets) {
    const id = `${target.table}\u0000${target.key}`;
    if (seen.has(id))
      throw validationError('Transaction request cannot include multiple operations on one item');
    seen.add(id);
  }
}

export function transactWriteItems(state: EngineState, input: Input): unknown {
  const raw = transactItems(input);
  const token = optionalString(input, 'ClientRequestToken');
  const fingerprint = token === undefined ? '' : JSON.stringify(input.TransactItems);
  if (token !== undefined) {
    const record = state.idempotency.get(token);
    if (record && record.expiresAt > state.clock.now()) {
      if (record.fingerprint !== fingerprint) {
        throw new AwsError(
          'IdempotentParameterMismatchException',
          'The request uses the same client token as a previous, but non-identical request.',
        );
      }
      return replayed(record, capacityMode(input));
    }
  }
  const writes: PreparedWrite[] = raw.map((entry) => {
    const action = asInput(entry);
    const kinds = WRITE_KINDS.filter((kind) => action[kind] !== undefined && action[kind] !== null);
    if (kinds.length !== 1) {
      throw validationError('TransactItems can only contain one of Check, Put, Update or Delete');
    }
    return prepareWrite(state, kinds[0]!, asInput(action[kinds[0]!]), true);
  });
  rejectDuplicates(writes.map((write) => ({ table: write.table.definition.name, key: write.key })));
  const requestBytes = writes.reduce((sum, write) => sum + (write.item ? itemSize(write.item) : 0), 0);
  if (requestBytes > MAX_REQUEST_BYTES) {
    throw validationError('Transaction request size exceeds the maximum allowed size of 4 MB');
  }

  // Phase 1: evaluate every action, in order, against the items as they are now; write nothing.
  // An action whose item is refused gets a ValidationError reason; an update that cannot be
  // applied to its item (an operand of the wrong type, a missing attribute, a bad path) fails
  // the whole request with a ValidationException, as DynamoDB Local 1.25.1 answers.
  const befores = writes.map((write) => (write.rejection ? undefined : write.table.get(write.key)));
  const afters: (Item | undefined)[] = [];
  let cancelled = false;
  const reasons = writes.map((write, i) => {
    const before = befores[i];
    if (write.rejection) {
      cancelled = true;
      afters.push(undefined);
      return { Code: 'ValidationError', Message: write.rejection.message };
    }
    if (!conditionHolds(write, before)) {
      cancelled = true;
      afters.push(undefined);
      return {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        ...(write.returnOnFailure === 'ALL_OLD' && before ? { Item: before } : {}),
      };
    }
    try {
      afters.push(computeWrite(write, before).after);
      return { Code: 'None' };
    } catch (error) {
      if (!(error instanceof RejectedItem)) throw error;
      cancelled = true;
      afters.push(undefined);
      return { Code: 'ValidationError', Message: error.message };
    }
  });
  if (cancelled) {
    throw new AwsError(
      'TransactionCanceledException',
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`,
      400,
      { CancellationReasons: reasons },
    );
  }

  // Phase 2: apply all writes; this cannot fail, so the transaction is all-or-nothing.
  const meter = new CapacityMeter(capacityMode(input), 'write');
  const replayReadUnits = new Map<string, number>();
  writes.forEach((write, i) => {
    commitWrite(write, afters[i]);
    // A replay reads each item back transactionally: 2 RCU per started 4 KB of the item as the
    // transaction left it (the one before it for a ConditionCheck or a Delete).
    const stored = write.kind === 'ConditionCheck' ? befores[i] : (afters[i] ?? befores[i]);
    const tableName = write.table.definition.name;
    replayReadUnits.set(
      tableName,
      (replayReadUnits.get(tableName) ?? 0) + readUnits(stored ? itemSize(stored) : 0, true) * 2,
    );
    if (write.kind !== 'ConditionCheck') meter.addWrite(write.table, befores[i], afters[i], 2);
    else if (meter.enabled) {
      const before = befores[i];
      meter.addTable(write.table.definition.name, writeUnits(before ? itemSize(before) : 0) * 2);
    }
  });
  const output: Record<string, unknown> = {};
  const consumed = meter.list();
  if (consumed) output.ConsumedCapacity = consumed;
  if (token !== undefined) {
    state.idempotency.set(token, {
      fingerprint,
      expiresAt: state.clock.now() + TOKEN_LIFETIME_MS,
      response: output,
      replayReadUnits,
    });
  }
  return output;
}

/**
 * The answer to a TransactWriteItems repeated with its ClientRequestToken: the original output,
 * but with the read units of reading the items back instead of the write units of writing them.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-apis-txwriteitems-idempotency
 */
function replayed(record: IdempotencyRecord, mode: CapacityMode): unknown {
  const { ConsumedCapacity: _written, ...output } = record.response as Record<string, unknown>;
  const meter = new CapacityMeter(mode, 'read');
  for (const [tableName, units] of record.replayReadUnits ?? []) meter.addTable(tableName, units);
  const consumed = meter.list();
  return consumed ? { ...output, ConsumedCapacity: consumed } : output;
}

/**
 * A Get whose Key has the wrong attributes or types cancels the whole TransactGetItems (the AWS
 * page lists "a user error, such as an invalid data format" under TransactionCanceledException),
 * with no cancellation reasons, as DynamoDB Local 1.25.1 answers.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactGetItems.html#API_TransactGetItems_Errors
 */
function checkGetKey(state: EngineState, request: Input, check: 'attributes' | 'types'): void {
  const name = optionalString(request, 'TableName');
  const table = name === undefined ? undefined : state.tables.get(name);
  const raw = request.Key;
  if (!table || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return;
  const key = normaliseItem(raw);
  const names = table.keyNames;
  if (check === 'attributes') {
    if (Object.keys(key).length !== names.length || names.some((keyName) => key[keyName] === undefined)) {
      throw new AwsError('TransactionCanceledException', 'The number of conditions on the keys is invalid');
    }
  } else if (keyOfWrongType(table, key)) {
    throw new AwsError(
      'TransactionCanceledException',
      'One or more parameter values were invalid: Type mismatch for key',
    );
  } else {
    for (const keyName of names) {
      const value = key[keyName]!;
      if (('S' in value && value.S === '') || ('B' in value && value.B === '')) {
        throw validationError(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${'S' in value ? 'string' : 'binary'} value. Key: ${keyName}`,
        );
      }
    }
  }
}

export function transactGetItems(state: EngineState, input: Input): unknown {
  const raw = transactItems(input);
  const meter = new CapacityMeter(capacityMode(input), 'read');
  const requests = raw.map((entry) => {
    const action = asInput(entry);
    const get = action.Get;
    if (get === undefined || get === null)
      throw validationError('TransactItems can only contain Get actions');
    return asInput(get);
  });
  // Get by Get, in DynamoDB Local 1.25.1's order: the projection, the key's attributes, their types.
  for (const request of requests) {
    const table = state.table(requiredString(request, 'TableName', 'tableName'));
    const parsed = projectionOf(request);
    resolveProjection(parsed, placeholdersOf(request, [parsed]), keyAttributesOf(table.definition));
    checkGetKey(state, request, 'attributes');
    checkGetKey(state, request, 'types');
  }
  const reads = requests.map((request) => prepareRead(state, request, request.Key));
  rejectDuplicates(reads.map((read) => ({ table: read.table.definition.name, key: read.key })));
  const responses = reads.map((read) => {
    const stored = read.table.get(read.key);
    meter.addTable(read.table.definition.name, readUnits(stored ? itemSize(stored) : 0, true) * 2);
    if (!stored) return {};
    return { Item: read.projection ? project(stored, read.projection) : stored };
  });
  const output: Record<string, unknown> = { Responses: responses };
  const consumed = meter.list();
  if (consumed) output.ConsumedCapacity = consumed;
  return output;
}
