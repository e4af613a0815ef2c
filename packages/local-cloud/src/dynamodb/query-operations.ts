/**
 * Query and Scan over the base table or a secondary index. Query goes straight to one partition
 * and binary-searches the sort-key range; Scan walks partitions in hash order (so Segment /
 * TotalSegments split the key space as a hash-partitioned table does). Both stop at Limit
 * evaluated items or 1 MB read, and resume from ExclusiveStartKey.
 */
import {
  type AttributeValue,
  compareScalars,
  emptyItem,
  type Item,
  itemSize,
  normaliseItem,
  partitionHash,
  scalarKey,
  typeOf,
  validationError,
} from './attribute-values.js';
import { CapacityMeter, projectForIndex, readUnits } from './capacity.js';
import type { EngineState } from './engine-state.js';
import {
  evaluateCondition,
  type Placeholders,
  project,
  type ResolvedPath,
  resolvePath,
} from './expression-evaluator.js';
import { type Comparator, type ConditionNode, type Operand, parseCondition } from './expression-parser.js';
import { conditionPaths, keyAttributesOf, validateCondition } from './expression-validator.js';
import { capacityMode, projectionOf, resolveProjection } from './item-operations.js';
import {
  type Input,
  optionalBoolean,
  optionalEnum,
  optionalNumber,
  optionalObject,
  optionalString,
  placeholdersOf,
  rejectLegacyParameters,
  requiredString,
} from './request-input.js';
import {
  compareEntries,
  comparePartitions,
  type Entry,
  type IndexDefinition,
  type KeyedCollection,
  type KeySchema,
  keyNamesOf,
  searchEntries,
  type Table,
} from './table-store.js';

const MAX_PAGE_BYTES = 1024 * 1024;

type SortCondition =
  | { readonly operator: Exclude<Comparator, '<>'>; readonly value: AttributeValue }
  | { readonly operator: 'BETWEEN'; readonly low: AttributeValue; readonly high: AttributeValue }
  | { readonly operator: 'begins_with'; readonly value: AttributeValue };

interface KeyCondition {
  readonly hash: AttributeValue;
  readonly sort?: SortCondition;
}

interface Source {
  readonly table: Table;
  readonly index: IndexDefinition | undefined;
  readonly collection: KeyedCollection;
  readonly schema: KeySchema;
}

function sourceOf(state: EngineState, input: Input): Source {
  const table = state.table(requiredString(input, 'TableName', 'tableName'));
  const indexName = optionalString(input, 'IndexName');
  if (indexName === undefined) {
    return { table, index: undefined, collection: table.primary, schema: table.definition.key };
  }
  const index = table.indexes.get(indexName);
  if (!index) {
    throw validationError(`The table does not have the specified index: ${indexName}`);
  }
  if (index.definition.kind === 'GSI' && optionalBoolean(input, 'ConsistentRead')) {
    throw validationError('Consistent reads are not supported on global secondary indexes');
  }
  return { table, index: index.definition, collection: index.collection, schema: index.definition.key };
}

function keyConditionError(message: string): never {
  throw validationError(message);
}

function conjuncts(node: ConditionNode, into: ConditionNode[]): ConditionNode[] {
  if (node.kind === 'and') {
    conjuncts(node.left, into);
    conjuncts(node.right, into);
  } else {
    into.push(node);
  }
  return into;
}

function keyName(operand: Operand, placeholders: Placeholders): string {
  if (operand.kind !== 'path' || operand.elements.length !== 1) {
    keyConditionError(
      'Invalid KeyConditionExpression: The key condition must use a top-level attribute name',
    );
  }
  return resolvePath(operand, placeholders)[0] as string;
}

function keyValue(operand: Operand, placeholders: Placeholders, type: string): AttributeValue {
  if (operand.kind !== 'value') keyConditionError('Query key condition not supported');
  const value = placeholders.values![operand.name]!;
  if (typeOf(value) !== type) {
    keyConditionError(
      'One or more parameter values were invalid: Condition parameter type does not match schema type',
    );
  }
  return value;
}

/** Turns a parsed KeyConditionExpression into "hash = v [AND sort-condition]", or AWS's error. */
function extractKeyCondition(
  tree: ConditionNode,
  placeholders: Placeholders,
  schema: KeySchema,
): KeyCondition {
  const parts = conjuncts(tree, []);
  if (parts.length > 2) keyConditionError('Conditions can be of length 1 or 2 only');
  let hash: AttributeValue | undefined;
  let sort: SortCondition | undefined;
  for (const part of parts) {
    if (part.kind === 'or' || part.kind === 'not' || part.kind === 'in' || part.kind === 'and') {
      keyConditionError(`Invalid operator used in KeyConditionExpression: ${part.kind.toUpperCase()}`);
    }
    if (part.kind === 'function' && part.name !== 'begins_with') {
      keyConditionError(`Invalid operator used in KeyConditionExpression: ${part.name}`);
    }
    let subject: Operand;
    if (part.kind === 'compare') subject = part.left;
    else if (part.kind === 'between') subject = part.operand;
    else if (part.kind === 'function') subject = part.args[0]!;
    else keyConditionError('Query key condition not supported');
    const name = keyName(subject, placeholders);
    if (name === schema.hash.name) {
      if (part.kind !== 'compare' || part.operator !== '=' || hash)
        keyConditionError('Query key condition not supported');
      hash = keyValue(part.right, placeholders, schema.hash.type);
    } else if (schema.range && name === schema.range.name && !sort) {
      const type = schema.range.type;
      if (part.kind === 'compare') {
        if (part.operator === '<>')
          keyConditionError('Unsupported operator on KeyConditionExpression: operator: <>');
        sort = { operator: part.operator, value: keyValue(part.right, placeholders, type) };
      } else if (part.kind === 'between') {
        const low = keyValue(part.low, placeholders, type);
        const high = keyValue(part.high, placeholders, type);
        if (compareScalars(low, high) > 0) {
          keyConditionError(
            'Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound',
          );
        }
        sort = { operator: 'BETWEEN', low, high };
      } else if (part.kind === 'function') {
        if (type === 'N') {
          keyConditionError(
            'Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N',
          );
        }
        sort = { operator: 'begins_with', value: keyValue(part.args[1]!, placeholders, type) };
      }
    } else {
      keyConditionError('Query key condition not supported');
    }
  }
  if (!hash) keyConditionError(`Query condition missed key schema element: ${schema.hash.name}`);
  return sort ? { hash, sort } : { hash };
}

function startsWith(value: AttributeValue, prefix: AttributeValue): boolean {
  if ('S' in value && 'S' in prefix) return value.S.startsWith(prefix.S);
  if ('B' in value && 'B' in prefix) {
    const start = Buffer.from(prefix.B, 'base64');
    return Buffer.from(value.B, 'base64').subarray(0, start.length).equals(start);
  }
  return false;
}

/** [low, high) positions of the entries matching the sort condition. */
function sortRange(entries: readonly Entry[], sort: SortCondition | undefined): [number, number] {
  if (!sort) return [0, entries.length];
  const lower = (value: AttributeValue) =>
    searchEntries(entries, (entry) => compareScalars(entry.sort!, value));
  const upper = (value: AttributeValue) =>
    searchEntries(entries, (entry) => compareScalars(entry.sort!, value), true);
  switch (sort.operator) {
    case '=':
      return [lower(sort.value), upper(sort.value)];
    case '<':
      return [0, lower(sort.value)];
    case '<=':
      return [0, upper(sort.value)];
    case '>':
      return [upper(sort.value), entries.length];
    case '>=':
      return [lower(sort.value), entries.length];
    case 'BETWEEN':
      return [lower(sort.low), upper(sort.high)];
    case 'begins_with': {
      const low = lower(sort.value);
      let high = low;
      while (high < entries.length && startsWith(entries[high]!.sort!, sort.value)) high++;
      return [low, high];
    }
  }
}

type Select = 'ALL_ATTRIBUTES' | 'ALL_PROJECTED_ATTRIBUTES' | 'SPECIFIC_ATTRIBUTES' | 'COUNT';

interface ReadPlan {
  readonly source: Source;
  readonly filter: ConditionNode | undefined;
  readonly placeholders: Placeholders;
  readonly projection: ResolvedPath[] | undefined;
  readonly select: Select;
  readonly limit: number | undefined;
  readonly consistent: boolean;
  readonly exclusiveStart: Item | undefined;
}

/** Top-level attribute names of paths, each once, in order. */
function topLevelNames(paths: readonly ResolvedPath[]): string[] {
  return [...new Set(paths.map((path) => path[0] as string))];
}

/** The attributes an index holds: the table's keys, its own keys, and INCLUDE's non-key attributes. */
function projectedNames(source: Source): ReadonlySet<string> | undefined {
  const index = source.index;
  if (!index || index.projection.type === 'ALL') return undefined;
  return new Set([
    ...source.table.keyNames,
    ...keyNamesOf(index.key),
    ...(index.projection.type === 'INCLUDE' ? index.projection.nonKeyAttributes : []),
  ]);
}

/**
 * What AWS rejects in a read's filter and projection before reading anything: a Query filter on
 * the queried keys, and attributes a KEYS_ONLY or INCLUDE index does not hold (in a Query's
 * filter, in a global index's projection). DynamoDB Local 1.25.1 answers the same; its Scan
 * accepts a filter on attributes the index does not hold.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.FilterExpression.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Projections
 */
function checkReadPaths(
  operation: 'Query' | 'Scan',
  source: Source,
  filter: readonly ResolvedPath[] | undefined,
  projection: readonly ResolvedPath[] | undefined,
): void {
  const filterNames = filter ? topLevelNames(filter) : [];
  if (operation === 'Query') {
    const keys = keyNamesOf(source.schema);
    const key = filterNames.find((name) => keys.includes(name));
    if (key !== undefined) {
      throw validationError(
        `Filter Expression can only contain non-primary key attributes: Primary key attribute: ${key}`,
      );
    }
  }
  const projected = projectedNames(source);
  if (!projected) return;
  const index = source.index!;
  if (operation === 'Query') {
    const missing = filterNames.filter((name) => !projected.has(name));
    if (missing.length > 0) {
      throw validationError(
        `One or more parameter values were invalid: Secondary index ${index.name} does not project one or more filter attributes: [${missing.join(', ')}]`,
      );
    }
  }
  if (index.kind === 'GSI' && projection) {
    const missing = topLevelNames(projection).filter((name) => !projected.has(name));
    if (missing.length > 0) {
      throw validationError(
        `One or more parameter values were invalid: Global secondary index ${index.name} does not project [${missing.join(', ')}]`,
      );
    }
  }
}

function readPlan(
  operation: 'Query' | 'Scan',
  input: Input,
  source: Source,
  extra: readonly (ReturnType<typeof parseCondition> | undefined)[],
) {
  const filterText = optionalString(input, 'FilterExpression');
  const filter = filterText === undefined ? undefined : parseCondition('FilterExpression', filterText);
  const projectionParsed = projectionOf(input);
  const placeholders = placeholdersOf(input, [...extra, filter, projectionParsed]);
  const keys = keyAttributesOf(source.table.definition);
  const projection = resolveProjection(projectionParsed, placeholders, keys);
  if (filter) validateCondition('FilterExpression', filter.tree, placeholders, keys);
  checkReadPaths(operation, source, filter && conditionPaths(filter.tree, placeholders), projection);
  const select = optionalEnum(
    input,
    'Select',
    ['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT'] as const,
    projection ? 'SPECIFIC_ATTRIBUTES' : source.index ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES',
  );
  if (!projection && select === 'SPECIFIC_ATTRIBUTES') {
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html#DDB-Query-request-Select
    throw validationError(
      'Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES',
    );
  }
  if (projection && select !== 'SPECIFIC_ATTRIBUTES') {
    throw validationError(
      `Cannot specify the ProjectionExpression when choosing to get ${select === 'COUNT' ? 'only the COUNT' : select}`,
    );
  }
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && !source.index) {
    throw validationError('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  }
  if (select === 'ALL_ATTRIBUTES' && source.index?.kind === 'GSI' && source.index.projection.type !== 'ALL') {
    throw validationError(
      `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${source.index.name} because its projection type is not ALL`,
    );
  }
  const limit = optionalNumber(input, 'Limit');
  if (limit !== undefined && (limit < 1 || !Number.isInteger(limit))) {
    throw validationError(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  }
  const start = optionalObject(input, 'ExclusiveStartKey');
  const exclusiveStart = start ? normaliseItem(start) : undefined;
  if (exclusiveStart) checkStartKey(source, exclusiveStart);
  return {
    source,
    filter: filter?.tree,
    placeholders,
    projection,
    select,
    limit,
    consistent: optionalBoolean(input, 'ConsistentRead') ?? false,
    exclusiveStart,
  };
}

function startKeyNames(source: Source): string[] {
  const names = new Set(source.table.keyNames);
  if (source.index) for (const name of keyNamesOf(source.index.key)) names.add(name);
  return [...names];
}

function checkStartKey(source: Source, start: Item): void {
  const names = startKeyNames(source);
  const valid =
    Object.keys(start).length === names.length &&
    names.every((name) => start[name] !== undefined) &&
    source.collection.keysOf(start) !== undefined;
  if (!valid) {
    throw validationError(
      'The provided starting key is invalid: The provided key element does not match the schema',
    );
  }
}

function lastKeyOf(source: Source, item: Item): Item {
  const key = emptyItem();
  for (const name of startKeyNames(source)) key[name] = item[name]!;
  return key;
}

/** Walks entries, applying filter, projection, Limit and the 1 MB page size. */
class PageCollector {
  readonly items: Item[] = [];
  count = 0;
  scanned = 0;
  bytes = 0;
  last: Entry | undefined;

  constructor(private readonly plan: ReadPlan) {}

  /** Visits one entry; returns false when the page is full. */
  visit(entry: Entry): boolean {
    const { source, filter, placeholders, projection, select } = this.plan;
    const visible =
      source.index?.kind === 'GSI' ? projectForIndex(source.table, source.index, entry.item) : entry.item;
    this.scanned++;
    this.bytes += itemSize(visible);
    this.last = entry;
    if (!filter || evaluateCondition('FilterExpression', filter, visible, placeholders)) {
      this.count++;
      if (select !== 'COUNT') {
        let shown = visible;
        if (source.index?.kind === 'LSI' && select === 'ALL_PROJECTED_ATTRIBUTES') {
          shown = projectForIndex(source.table, source.index, entry.item);
        }
        this.items.push(projection ? project(shown, projection) : shown);
      }
    }
    return !this.limitReached && this.bytes < MAX_PAGE_BYTES;
  }

  /**
   * Whether Limit items were evaluated. AWS then returns LastEvaluatedKey even when no item is
   * left: "LastEvaluatedKey is ... the last item evaluated" once the limit stops the read.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
   */
  get limitReached(): boolean {
    return this.plan.limit !== undefined && this.scanned >= this.plan.limit;
  }

  output(input: Input, more: boolean): Record<string, unknown> {
    const { source, select } = this.plan;
    const output: Record<string, unknown> = {};
    if (select !== 'COUNT') output.Items = this.items;
    output.Count = this.count;
    output.ScannedCount = this.scanned;
    if (more && this.last) output.LastEvaluatedKey = lastKeyOf(source, this.last.item);
    const meter = new CapacityMeter(capacityMode(input), 'read');
    if (meter.enabled) {
      const units = readUnits(this.bytes, this.plan.consistent);
      const name = source.table.definition.name;
      if (source.index) {
        meter.addTable(name, 0);
        meter.addIndex(name, source.index, units);
      } else {
        meter.addTable(name, units);
      }
      output.ConsumedCapacity = meter.single(name);
    }
    return output;
  }
}

function startProbe(source: Source, start: Item): { sort?: AttributeValue; key: string } {
  const keys = source.collection.keysOf(start)!;
  return { sort: keys.sort, key: source.table.keyText(start) };
}

export function query(state: EngineState, input: Input): unknown {
  rejectLegacyParameters(input);
  const source = sourceOf(state, input);
  const keyText = optionalString(input, 'KeyConditionExpression');
  if (keyText === undefined) {
    throw validationError(
      'Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.',
    );
  }
  const keyParsed = parseCondition('KeyConditionExpression', keyText);
  const plan = readPlan('Query', input, source, [keyParsed]);
  const condition = extractKeyCondition(keyParsed.tree, plan.placeholders, source.schema);
  const forward = optionalBoolean(input, 'ScanIndexForward') ?? true;
  const collector = new PageCollector(plan);
  const partition = source.collection.partitions.get(scalarKey(condition.hash));
  let more = false;
  if (partition) {
    const entries = partition.entries;
    let [low, high] = sortRange(entries, condition.sort);
    if (plan.exclusiveStart) {
      const startHash = source.collection.keysOf(plan.exclusiveStart)!.hash;
      if (scalarKey(startHash) !== partition.hashText) {
        throw validationError(
          'The provided starting key is outside query boundaries based on provided conditions',
        );
      }
      const probe = startProbe(source, plan.exclusiveStart);
      const position = searchEntries(entries, (entry) => compareEntries(entry, probe), forward);
      if (forward) low = Math.max(low, position);
      else high = Math.min(high, position);
    }
    if (forward) {
      let i = low;
      while (i < high) if (!collector.visit(entries[i++]!)) break;
      more = i < high || collector.limitReached;
    } else {
      let i = high - 1;
      while (i >= low) if (!collector.visit(entries[i--]!)) break;
      more = i >= low || collector.limitReached;
    }
  }
  return collector.output(input, more);
}

export function scan(state: EngineState, input: Input): unknown {
  rejectLegacyParameters(input);
  const source = sourceOf(state, input);
  const plan = readPlan('Scan', input, source, []);
  const segment = optionalNumber(input, 'Segment');
  const totalSegments = optionalNumber(input, 'TotalSegments');
  if ((segment === undefined) !== (totalSegments === undefined)) {
    throw validationError(
      segment === undefined
        ? 'The Segment parameter is required but was not present in the request when parameter TotalSegments is present'
        : 'The TotalSegments parameter is required but was not present in the request when Segment parameter is present',
    );
  }
  if (totalSegments !== undefined && (totalSegments < 1 || totalSegments > 1_000_000)) {
    throw validationError(
      `1 validation error detected: Value '${totalSegments}' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000`,
    );
  }
  if (segment !== undefined && totalSegments !== undefined && (segment < 0 || segment >= totalSegments)) {
    throw validationError(
      `The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${segment} is not less than TotalSegments: ${totalSegments}`,
    );
  }
  let partitions = source.collection.scanOrder();
  if (segment !== undefined && totalSegments !== undefined) {
    partitions = partitions.filter(
      (partition) => Math.floor((partition.hash * totalSegments) / 2 ** 32) === segment,
    );
  }
  let partitionIndex = 0;
  let entryIndex = 0;
  if (plan.exclusiveStart) {
    const hashText = scalarKey(source.collection.keysOf(plan.exclusiveStart)!.hash);
    const start = { hash: partitionHash(hashText), hashText };
    let low = 0;
    let high = partitions.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (comparePartitions(partitions[middle]!, start) < 0) low = middle + 1;
      else high = middle;
    }
    partitionIndex = low;
    const found = partitions[partitionIndex];
    if (found?.hashText === hashText) {
      const probe = startProbe(source, plan.exclusiveStart);
      entryIndex = searchEntries(found.entries, (entry) => compareEntries(entry, probe), true);
    }
  }
  const collector = new PageCollector(plan);
  let full = false;
  outer: for (; partitionIndex < partitions.length; partitionIndex++, entryIndex = 0) {
    const entries = partitions[partitionIndex]!.entries;
    while (entryIndex < entries.length) {
      if (!collector.visit(entries[entryIndex++]!)) {
        full = true;
        break outer;
      }
    }
  }
  let more = false;
  if (full) {
    const current = partitions[partitionIndex];
    more =
      collector.limitReached ||
      (current !== undefined && entryIndex < current.entries.length) ||
      partitionIndex + 1 < partitions.length;
  }
  return collector.output(input, more);
}
