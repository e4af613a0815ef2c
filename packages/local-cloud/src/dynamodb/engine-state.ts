/**
 * Everything the DynamoDB emulator holds: the tables, the transaction idempotency tokens and the
 * clock. Operations run synchronously on it, so one request never interleaves with another and
 * a transaction is serialisable by construction.
 */
import type { Clock } from '../clock.js';
import { AwsError, LOCAL_ACCOUNT_ID, type StateJournal } from '../protocol.js';
import { type Item, reviveItem } from './attribute-values.js';
import { Table, type TableDefinition, type TableRecord } from './table-store.js';

/** AWS ignores TTL values more than five years in the past (they are likely not epoch seconds). */
const TTL_IGNORE_OLDER_THAN_MS = 5 * 365 * 24 * 3600 * 1000;

/** A successful TransactWriteItems remembered by its ClientRequestToken. */
export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly expiresAt: number;
  readonly response: unknown;
  /**
   * Read units per table that a replay of the request reports: "subsequent TransactWriteItems
   * calls with the same client token return the number of read capacity units consumed in
   * reading the item" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-apis-txwriteitems-idempotency).
   */
  readonly replayReadUnits?: ReadonlyMap<string, number>;
}

/** The JSON `snapshot()` produces. */
export interface DynamoDbSnapshot {
  readonly tables: readonly { readonly definition: TableDefinition; readonly items: readonly Item[] }[];
}

/** What DynamoDB records for --data-dir: the effects of writes, never the requests. */
export type DynamoDbRecord = TableRecord | { readonly t: 'dropTable'; readonly name: string };

/**
 * The tables by name. Creating and deleting a table goes through `set` and `delete`, which record
 * the change and hand the table the journal its writes are recorded in.
 */
class TableMap extends Map<string, Table> {
  journal: StateJournal | undefined;

  override set(name: string, table: Table): this {
    table.journal = this.journal;
    this.journal?.record({ t: 'table', definition: table.definition } satisfies DynamoDbRecord);
    return super.set(name, table);
  }

  override delete(name: string): boolean {
    const table = this.get(name);
    if (!table) return false;
    this.journal?.record({ t: 'dropTable', name } satisfies DynamoDbRecord);
    table.journal = undefined;
    return super.delete(name);
  }
}

/** The emulator's whole state; every operation receives it. */
export class EngineState {
  readonly tables: Map<string, Table> = new TableMap();
  readonly idempotency = new Map<string, IdempotencyRecord>();

  constructor(readonly clock: Clock) {}

  /** Starts (or stops) recording every table change and item write. */
  attachJournal(journal: StateJournal | undefined): void {
    (this.tables as TableMap).journal = journal;
    for (const table of this.tables.values()) table.journal = journal;
  }

  /** Restores a snapshot, then applies the records logged after it (with no journal attached). */
  recover(snapshot: DynamoDbSnapshot | undefined, records: readonly DynamoDbRecord[]): void {
    this.restore(snapshot ?? { tables: [] });
    for (const record of records) {
      switch (record.t) {
        case 'table': {
          const existing = this.tables.get(record.definition.name);
          if (existing && sameLayout(existing.definition, record.definition)) {
            existing.definition = record.definition;
          } else {
            // New, or keys or indexes changed: rebuilt with its items.
            const table = new Table(record.definition);
            for (const [key, entry] of existing?.items ?? []) table.put(key, entry.item);
            this.tables.set(record.definition.name, table);
          }
          break;
        }
        case 'dropTable':
          this.tables.delete(record.name);
          break;
        case 'put':
          // Read back from JSON: rebuilt with prototype-free maps (see emptyItem).
          this.tables.get(record.table)?.put(record.key, reviveItem(record.item));
          break;
        case 'delete':
          this.tables.get(record.table)?.delete(record.key);
          break;
      }
    }
  }

  table(name: string): Table {
    const table = this.tables.get(name);
    if (!table) throw new AwsError('ResourceNotFoundException', 'Requested resource not found');
    return table;
  }

  tableArn(region: string, name: string): string {
    return `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${name}`;
  }

  /** Deletes every item whose TTL attribute (epoch seconds) is in the past; returns how many. */
  sweepExpiredItems(): number {
    const now = this.clock.now();
    let removed = 0;
    for (const table of this.tables.values()) {
      const ttl = table.definition.ttl;
      if (!ttl?.enabled) continue;
      for (const [key, entry] of table.items) {
        const value = entry.item[ttl.attribute];
        if (value === undefined || !('N' in value)) continue;
        const expiresAt = Number(value.N) * 1000;
        if (expiresAt < now && expiresAt > now - TTL_IGNORE_OLDER_THAN_MS) {
          table.delete(key);
          removed++;
        }
      }
    }
    for (const [token, record] of this.idempotency) {
      if (record.expiresAt <= now) this.idempotency.delete(token);
    }
    return removed;
  }

  snapshot(): DynamoDbSnapshot {
    return {
      tables: [...this.tables.values()].map((table) => ({
        definition: table.definition,
        items: [...table.items.values()].map((entry) => entry.item),
      })),
    };
  }

  restore(state: DynamoDbSnapshot): void {
    this.tables.clear();
    this.idempotency.clear();
    for (const saved of state.tables ?? []) {
      const table = new Table(saved.definition);
      for (const stored of saved.items) {
        const item = reviveItem(stored);
        table.put(table.keyText(item), item);
      }
      this.tables.set(saved.definition.name, table);
    }
  }
}

/** Whether two definitions of a table organise its items alike (same key schema and indexes). */
function sameLayout(a: TableDefinition, b: TableDefinition): boolean {
  return JSON.stringify([a.key, a.indexes]) === JSON.stringify([b.key, b.indexes]);
}
