/**
 * Everything the DynamoDB emulator holds: the tables, the transaction idempotency tokens and the
 * clock. Operations run synchronously on it, so one request never interleaves with another and
 * a transaction is serialisable by construction.
 */
import type { Clock } from '../clock.js';
import { AwsError, LOCAL_ACCOUNT_ID } from '../protocol.js';
import type { Item } from './attribute-values.js';
import { Table, type TableDefinition } from './table-store.js';

/** AWS ignores TTL values more than five years in the past (they are likely not epoch seconds). */
const TTL_IGNORE_OLDER_THAN_MS = 5 * 365 * 24 * 3600 * 1000;

/** A successful TransactWriteItems remembered by its ClientRequestToken. */
export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly expiresAt: number;
  readonly response: unknown;
}

/** The JSON `snapshot()` produces. */
export interface DynamoDbSnapshot {
  readonly tables: readonly { readonly definition: TableDefinition; readonly items: readonly Item[] }[];
}

/** The emulator's whole state; every operation receives it. */
export class EngineState {
  readonly tables = new Map<string, Table>();
  readonly idempotency = new Map<string, IdempotencyRecord>();

  constructor(readonly clock: Clock) {}

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
      for (const item of saved.items) table.put(table.keyText(item), item);
      this.tables.set(saved.definition.name, table);
    }
  }
}
