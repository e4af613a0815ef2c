/**
 * Consumed capacity as DynamoDB documents it: a write costs 1 WCU per started 1 KB of the item
 * (the larger of its old and new versions), a read 1 RCU per started 4 KB when strongly
 * consistent and half that when eventually consistent; transactional requests cost twice as much.
 * Secondary indexes add their own writes (an index entry that moves costs a delete and a put),
 * at the standard rate for a global index even when the table write is transactional.
 * A transaction replayed with its ClientRequestToken reports read units, not write units.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
 */
import { dictionary } from '../input-limits.js';
import { type Item, itemSize, valuesEqual } from './attribute-values.js';
import { project } from './expression-evaluator.js';
import { type IndexDefinition, keyNamesOf, type Table } from './table-store.js';

export type CapacityMode = 'NONE' | 'TOTAL' | 'INDEXES';

/** Write capacity units for an item of `bytes`: 1 per started KB, at least 1. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** Read capacity units for `bytes` read: 1 per started 4 KB, half when eventually consistent. */
export function readUnits(bytes: number, consistent: boolean): number {
  const blocks = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? blocks : blocks / 2;
}

interface TableUsage {
  table: number;
  readonly globalIndexes: Map<string, number>;
  readonly localIndexes: Map<string, number>;
}

/** Accumulates capacity per table and index over one request, then renders ConsumedCapacity. */
export class CapacityMeter {
  private readonly usage = new Map<string, TableUsage>();

  constructor(
    readonly mode: CapacityMode,
    /** Whether the request reads or writes: AWS also reports the units as Read/WriteCapacityUnits. */
    readonly kind: 'read' | 'write',
  ) {}

  private units(value: number): Record<string, number> {
    return {
      CapacityUnits: value,
      [this.kind === 'read' ? 'ReadCapacityUnits' : 'WriteCapacityUnits']: value,
    };
  }

  get enabled(): boolean {
    return this.mode !== 'NONE';
  }

  private tableUsage(tableName: string): TableUsage {
    let usage = this.usage.get(tableName);
    if (!usage) {
      usage = { table: 0, globalIndexes: new Map(), localIndexes: new Map() };
      this.usage.set(tableName, usage);
    }
    return usage;
  }

  addTable(tableName: string, units: number): void {
    this.tableUsage(tableName).table += units;
  }

  addIndex(tableName: string, index: IndexDefinition, units: number): void {
    const usage = this.tableUsage(tableName);
    const map = index.kind === 'GSI' ? usage.globalIndexes : usage.localIndexes;
    map.set(index.name, (map.get(index.name) ?? 0) + units);
  }

  /**
   * Records a write of `before` -> `after` on the table and on every index it touches. `factor` 2
   * is a transactional write: the table and its local indexes pay twice, but a global secondary
   * index does not. DynamoDB propagates a transaction's changes to GSIs after the transaction
   * completes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html),
   * so the index write is an ordinary one, and "updates to global secondary indexes are billed
   * using ... one WRU for each write up to 1KB"
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/global-tables-billing.html).
   */
  addWrite(table: Table, before: Item | undefined, after: Item | undefined, factor = 1): void {
    if (!this.enabled) return;
    const name = table.definition.name;
    const size = Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0);
    this.addTable(name, writeUnits(size) * factor);
    for (const { definition, collection } of table.indexes.values()) {
      const inBefore = before !== undefined && collection.keysOf(before) !== undefined;
      const inAfter = after !== undefined && collection.keysOf(after) !== undefined;
      if (!inBefore && !inAfter) continue;
      const oldProjected = inBefore ? projectForIndex(table, definition, before!) : undefined;
      const newProjected = inAfter ? projectForIndex(table, definition, after!) : undefined;
      let units = 0;
      if (oldProjected && newProjected) {
        const keyNames = keyNamesOf(definition.key);
        const keyChanged = keyNames.some((key) => !valuesEqual(oldProjected[key]!, newProjected[key]!));
        if (keyChanged) units = writeUnits(itemSize(oldProjected)) + writeUnits(itemSize(newProjected));
        else if (!sameItem(oldProjected, newProjected)) units = writeUnits(itemSize(newProjected));
      } else {
        units = writeUnits(itemSize((oldProjected ?? newProjected)!));
      }
      if (units > 0) this.addIndex(name, definition, definition.kind === 'GSI' ? units : units * factor);
    }
  }

  /** Renders one ConsumedCapacity per table touched. */
  render(): Record<string, unknown>[] {
    const result: Record<string, unknown>[] = [];
    for (const [tableName, usage] of this.usage) {
      let total = usage.table;
      for (const units of usage.globalIndexes.values()) total += units;
      for (const units of usage.localIndexes.values()) total += units;
      const consumed: Record<string, unknown> = { TableName: tableName, ...this.units(total) };
      if (this.mode === 'INDEXES') {
        consumed.Table = this.units(usage.table);
        if (usage.globalIndexes.size > 0)
          consumed.GlobalSecondaryIndexes = this.unitsMap(usage.globalIndexes);
        if (usage.localIndexes.size > 0) consumed.LocalSecondaryIndexes = this.unitsMap(usage.localIndexes);
      }
      result.push(consumed);
    }
    return result;
  }

  /** Keyed by index names, which may be `__proto__`: a prototype-free map keeps every one. */
  private unitsMap(map: Map<string, number>): Record<string, Record<string, number>> {
    const result = dictionary<Record<string, number>>();
    for (const [name, units] of map) result[name] = this.units(units);
    return result;
  }

  /** For single-table operations: the one ConsumedCapacity, or nothing when not asked for. */
  single(tableName: string): Record<string, unknown> | undefined {
    if (!this.enabled) return undefined;
    if (!this.usage.has(tableName)) this.addTable(tableName, 0);
    return this.render()[0];
  }

  list(): Record<string, unknown>[] | undefined {
    return this.enabled ? this.render() : undefined;
  }
}

function sameItem(a: Item, b: Item): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => b[key] && valuesEqual(a[key]!, b[key]!))
  );
}

/**
 * Projection paths per index definition. Definitions are immutable and a table's key schema never
 * changes, so the paths are built once instead of for every item a query, scan or write touches.
 */
const projectionPaths = new WeakMap<IndexDefinition, string[][]>();

/** The attributes an index stores for an item: all, or the table and index keys plus INCLUDE's. */
export function projectForIndex(table: Table, index: IndexDefinition, item: Item): Item {
  if (index.projection.type === 'ALL') return item;
  let paths = projectionPaths.get(index);
  if (!paths) {
    const names = new Set([...table.keyNames, ...keyNamesOf(index.key)]);
    if (index.projection.type === 'INCLUDE')
      for (const name of index.projection.nonKeyAttributes) names.add(name);
    paths = [...names].map((name) => [name]);
    projectionPaths.set(index, paths);
  }
  return project(item, paths);
}
