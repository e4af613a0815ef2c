/**
 * In-memory storage of one table: items by primary key, and per partition a sorted array of
 * entries (binary-search insertion) so Query walks one partition in sort-key order without
 * scanning the table. Secondary indexes are the same structure keyed by the index's keys and are
 * maintained on every write; items lacking an index key are absent from it (sparse indexes).
 */

import type { StateJournal } from '../protocol.js';
import {
  type AttributeValue,
  compareScalars,
  type Item,
  partitionHash,
  scalarKey,
  typeOf,
  validationError,
} from './attribute-values.js';

export type ScalarType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: ScalarType;
}

export interface KeySchema {
  readonly hash: KeyAttribute;
  readonly range?: KeyAttribute;
}

export interface ProjectionDefinition {
  readonly type: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  readonly nonKeyAttributes: readonly string[];
}

export interface IndexDefinition {
  readonly name: string;
  readonly kind: 'GSI' | 'LSI';
  readonly key: KeySchema;
  readonly projection: ProjectionDefinition;
  readonly provisioned?: { readonly read: number; readonly write: number };
}

export interface TableDefinition {
  readonly name: string;
  readonly tableId: string;
  readonly key: KeySchema;
  readonly attributeDefinitions: readonly KeyAttribute[];
  readonly billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  readonly provisioned?: { readonly read: number; readonly write: number };
  readonly indexes: readonly IndexDefinition[];
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly ttl?: { readonly attribute: string; readonly enabled: boolean };
  readonly deletionProtection?: boolean;
  readonly streamSpecification?: unknown;
  readonly tags?: readonly { Key: string; Value: string }[];
}

/** Names of a key schema's attributes: the hash key, then the range key if any. */
export function keyNamesOf(key: KeySchema): string[] {
  return key.range ? [key.hash.name, key.range.name] : [key.hash.name];
}

/** One item's place in a partition. */
export interface Entry {
  readonly sort: AttributeValue | undefined;
  /** The item's primary key text in the base table (unique). */
  readonly key: string;
  item: Item;
}

export interface Partition {
  readonly hashValue: AttributeValue;
  readonly hashText: string;
  readonly hash: number;
  readonly entries: Entry[];
}

/** Orders entries by sort key, then by table key so index partitions with equal sort keys are stable. */
export function compareEntries(
  a: { sort?: AttributeValue; key: string },
  b: { sort?: AttributeValue; key: string },
): number {
  if (a.sort !== undefined && b.sort !== undefined) {
    const order = compareScalars(a.sort, b.sort);
    if (order !== 0) return order;
  }
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Scan order of partitions: by hash of the partition key, ties by key text. */
export function comparePartitions(
  a: { hash: number; hashText: string },
  b: { hash: number; hashText: string },
): number {
  if (a.hash !== b.hash) return a.hash - b.hash;
  return a.hashText < b.hashText ? -1 : a.hashText > b.hashText ? 1 : 0;
}

/** First position whose entry is not before `probe` (or, with `after`, strictly after it). */
export function searchEntries(
  entries: readonly Entry[],
  probe: (entry: Entry) => number,
  after = false,
): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = probe(entries[middle]!);
    if (order < 0 || (after && order === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Items organised by a key schema: the base table, or one secondary index. */
export class KeyedCollection {
  readonly partitions = new Map<string, Partition>();
  /** Partitions in scan order; dropped whenever a partition appears or disappears. */
  private scanOrderCache: Partition[] | undefined;

  constructor(readonly schema: KeySchema) {}

  /** The index's key values of an item, or undefined when the item is not in it (sparse). */
  keysOf(item: Item): { hash: AttributeValue; sort: AttributeValue | undefined } | undefined {
    const hash = item[this.schema.hash.name];
    if (hash === undefined || typeOf(hash) !== this.schema.hash.type) return undefined;
    if (!this.schema.range) return { hash, sort: undefined };
    const sort = item[this.schema.range.name];
    if (sort === undefined || typeOf(sort) !== this.schema.range.type) return undefined;
    return { hash, sort };
  }

  insert(key: string, item: Item): Entry | undefined {
    const keys = this.keysOf(item);
    if (!keys) return undefined;
    const hashText = scalarKey(keys.hash);
    let partition = this.partitions.get(hashText);
    if (!partition) {
      partition = { hashValue: keys.hash, hashText, hash: partitionHash(hashText), entries: [] };
      this.partitions.set(hashText, partition);
      this.scanOrderCache = undefined;
    }
    const entry: Entry = { sort: keys.sort, key, item };
    const position = searchEntries(partition.entries, (other) => compareEntries(other, entry));
    partition.entries.splice(position, 0, entry);
    return entry;
  }

  remove(key: string, item: Item): void {
    const keys = this.keysOf(item);
    if (!keys) return;
    const hashText = scalarKey(keys.hash);
    const partition = this.partitions.get(hashText);
    if (!partition) return;
    const probe = { sort: keys.sort, key };
    const position = searchEntries(partition.entries, (other) => compareEntries(other, probe));
    if (partition.entries[position]?.key === key) partition.entries.splice(position, 1);
    if (partition.entries.length === 0) {
      this.partitions.delete(hashText);
      this.scanOrderCache = undefined;
    }
  }

  /** Replaces an item whose keys in this collection are unchanged, in place. */
  find(key: string, item: Item): Entry | undefined {
    const keys = this.keysOf(item);
    if (!keys) return undefined;
    const partition = this.partitions.get(scalarKey(keys.hash));
    if (!partition) return undefined;
    const probe = { sort: keys.sort, key };
    const position = searchEntries(partition.entries, (other) => compareEntries(other, probe));
    const entry = partition.entries[position];
    return entry?.key === key ? entry : undefined;
  }

  /** Partitions in scan order: by hash, as a hash-partitioned table would return them. */
  scanOrder(): readonly Partition[] {
    this.scanOrderCache ??= [...this.partitions.values()].sort(comparePartitions);
    return this.scanOrderCache;
  }
}

export interface SecondaryIndex {
  readonly definition: IndexDefinition;
  readonly collection: KeyedCollection;
}

/** What a table records for --data-dir (engine-state.ts replays it). */
export type TableRecord =
  | { readonly t: 'table'; readonly definition: TableDefinition }
  | { readonly t: 'put'; readonly table: string; readonly key: string; readonly item: Item }
  | { readonly t: 'delete'; readonly table: string; readonly key: string };

/** One table: its definition, its items and its secondary indexes, all kept consistent. */
export class Table {
  readonly items = new Map<string, Entry>();
  readonly primary: KeyedCollection;
  readonly indexes = new Map<string, SecondaryIndex>();
  /** Records every write and definition change (--data-dir); set by EngineState. */
  journal: StateJournal | undefined;
  #definition: TableDefinition;

  constructor(definition: TableDefinition) {
    this.#definition = definition;
    this.primary = new KeyedCollection(definition.key);
    for (const index of definition.indexes) this.addIndex(index);
  }

  get definition(): TableDefinition {
    return this.#definition;
  }

  set definition(definition: TableDefinition) {
    this.journal?.record({ t: 'table', definition } satisfies TableRecord);
    this.#definition = definition;
  }

  get keyNames(): string[] {
    return keyNamesOf(this.definition.key);
  }

  addIndex(definition: IndexDefinition): void {
    const collection = new KeyedCollection(definition.key);
    for (const entry of this.items.values()) collection.insert(entry.key, entry.item);
    this.indexes.set(definition.name, { definition, collection });
  }

  dropIndex(name: string): void {
    this.indexes.delete(name);
  }

  /** Primary key text of a key or item whose key attributes were already validated. */
  keyText(item: Item): string {
    const { hash, range } = this.definition.key;
    const hashText = scalarKey(item[hash.name]!);
    return range ? `${hashText}\u0000${scalarKey(item[range.name]!)}` : hashText;
  }

  get(key: string): Item | undefined {
    return this.items.get(key)?.item;
  }

  /** Stores an item (already validated), replacing any item with the same key. */
  put(key: string, item: Item): void {
    this.journal?.record({ t: 'put', table: this.#definition.name, key, item } satisfies TableRecord);
    const existing = this.items.get(key);
    if (existing) {
      const old = existing.item;
      existing.item = item;
      for (const { collection } of this.indexes.values()) {
        const before = collection.keysOf(old);
        const after = collection.keysOf(item);
        const sameKeys =
          before &&
          after &&
          scalarKey(before.hash) === scalarKey(after.hash) &&
          (before.sort === undefined || scalarKey(before.sort) === scalarKey(after.sort!));
        if (sameKeys) {
          const entry = collection.find(key, old);
          if (entry) {
            entry.item = item;
            continue;
          }
        }
        collection.remove(key, old);
        collection.insert(key, item);
      }
      return;
    }
    const entry = this.primary.insert(key, item)!;
    this.items.set(key, entry);
    for (const { collection } of this.indexes.values()) collection.insert(key, item);
  }

  delete(key: string): Item | undefined {
    const existing = this.items.get(key);
    if (!existing) return undefined;
    this.journal?.record({ t: 'delete', table: this.#definition.name, key } satisfies TableRecord);
    this.items.delete(key);
    this.primary.remove(key, existing.item);
    for (const { collection } of this.indexes.values()) collection.remove(key, existing.item);
    return existing.item;
  }
}

/** Checks the key attributes of an item about to be written, with AWS's messages. */
export function validateItemKeys(definition: TableDefinition, item: Item): void {
  const { hash, range } = definition.key;
  for (const attribute of range ? [hash, range] : [hash]) {
    const value = item[attribute.name];
    if (value === undefined) {
      throw validationError(
        `One or more parameter values were invalid: Missing the key ${attribute.name} in the item`,
      );
    }
    const type = typeOf(value);
    if (type !== attribute.type) {
      throw validationError(
        `One or more parameter values were invalid: Type mismatch for key ${attribute.name} expected: ${attribute.type} actual: ${type}`,
      );
    }
    checkKeyNotEmpty(value, attribute.name);
  }
  for (const index of definition.indexes) {
    const { hash: indexHash, range: indexRange } = index.key;
    for (const attribute of indexRange ? [indexHash, indexRange] : [indexHash]) {
      const value = item[attribute.name];
      if (value === undefined) continue;
      const type = typeOf(value);
      if (type !== attribute.type) {
        throw validationError(
          `One or more parameter values were invalid: Type mismatch for Index Key ${attribute.name} Expected: ${attribute.type} Actual: ${type} IndexName: ${index.name}`,
        );
      }
      if (('S' in value && value.S === '') || ('B' in value && value.B === '')) {
        throw validationError(
          `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${type === 'S' ? 'string' : 'binary'} value. IndexName: ${index.name}, IndexKey: ${attribute.name}`,
        );
      }
    }
  }
}

/** Checks a `Key` parameter: exactly the key attributes, of the right types. */
export function validateKey(definition: TableDefinition, key: Item): void {
  const { hash, range } = definition.key;
  const attributes = range ? [hash, range] : [hash];
  if (Object.keys(key).length !== attributes.length) {
    throw validationError('The provided key element does not match the schema');
  }
  for (const attribute of attributes) {
    const value = key[attribute.name];
    if (value === undefined || typeOf(value) !== attribute.type) {
      throw validationError('The provided key element does not match the schema');
    }
    checkKeyNotEmpty(value, attribute.name);
  }
}

function checkKeyNotEmpty(value: AttributeValue, name: string): void {
  if (('S' in value && value.S === '') || ('B' in value && value.B === '')) {
    throw validationError(
      `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${'S' in value ? 'string' : 'binary'} value. Key: ${name}`,
    );
  }
}
