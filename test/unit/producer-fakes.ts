/** In-memory implementations of the producer's ports, for unit tests of the pure core. */
import type {
  BatchEntryFailure,
  ClaimStatusReader,
  Lease,
  LeaseStore,
  OutboxItem,
  OutboxStore,
  OutboxUpdate,
  ProducerClock,
  Publisher,
  QueueMessage,
} from '../../packages/runtime/src/core/producer/ports.js';
import { BusinessConditionFailedError } from '../../packages/runtime/src/core/producer/ports.js';
import type { ClaimStatus, OutboxStatus } from '../../packages/runtime/src/core/tables.js';
import type { TransactionWrite } from '../../packages/runtime/src/core/transaction-write.js';

export class ManualProducerClock implements ProducerClock {
  constructor(public current = Date.UTC(2026, 10, 25, 10)) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.current += ms;
  }
}

interface LeaseRow {
  epoch: number;
  holder: string | undefined;
  leaseUntil: number;
  highWater: number;
  stream: string | undefined;
  closedStreams: Map<string, number>;
  closedBy: Map<string, string>;
  voided: Map<string, number[]>;
}

export class InMemoryLeaseStore implements LeaseStore {
  readonly rows = new Map<number, LeaseRow>();
  extendCalls = 0;
  failExtends = false;
  failCloseStream = false;

  async tryAcquire(
    workerId: number,
    holder: string,
    now: number,
    leaseMs: number,
  ): Promise<Lease | undefined> {
    await Promise.resolve();
    const row = this.rows.get(workerId);
    if (row && row.leaseUntil >= now) return undefined;
    const epoch = (row?.epoch ?? 0) + 1;
    const stream = `${workerId}-${epoch}`;
    const next: LeaseRow = row ?? {
      epoch: 0,
      holder: undefined,
      leaseUntil: 0,
      highWater: 0,
      stream: undefined,
      closedStreams: new Map(),
      closedBy: new Map(),
      voided: new Map(),
    };
    if (next.stream) {
      next.closedStreams.set(next.stream, next.highWater);
      next.closedBy.set(next.stream, 'takeover');
    }
    Object.assign(next, { epoch, holder, leaseUntil: now + leaseMs, highWater: 0, stream });
    this.rows.set(workerId, next);
    return { workerId, epoch, holder, leaseUntil: now + leaseMs, highWater: 0, stream };
  }

  async extend(lease: Lease, leaseUntil: number, highWater: number): Promise<Lease | undefined> {
    this.extendCalls += 1;
    await Promise.resolve();
    if (this.failExtends) throw new Error('store unreachable');
    const row = this.rows.get(lease.workerId);
    if (!row || row.holder !== lease.holder || row.epoch !== lease.epoch) return undefined;
    row.leaseUntil = leaseUntil;
    row.highWater = highWater;
    return { ...lease, leaseUntil, highWater };
  }

  async release(lease: Lease, stampedHighWater: number): Promise<boolean> {
    const row = this.rows.get(lease.workerId);
    if (!row || row.holder !== lease.holder || row.epoch !== lease.epoch) return false;
    row.closedStreams.set(lease.stream, stampedHighWater);
    row.closedBy.set(lease.stream, 'release');
    Object.assign(row, { leaseUntil: 0, highWater: stampedHighWater, holder: undefined, stream: undefined });
    return true;
  }

  async closeStream(stream: string, stampedHighWater: number): Promise<void> {
    if (this.failCloseStream) throw new Error('store unreachable');
    const row = this.rows.get(Number(stream.split('-')[0]));
    const recorded = row?.closedStreams.get(stream);
    if (row && recorded !== undefined && recorded >= stampedHighWater) {
      row.closedStreams.set(stream, stampedHighWater);
      row.closedBy.set(stream, 'fenced');
    }
  }

  async voidSequences(stream: string, seqs: readonly number[]): Promise<void> {
    const row = this.rows.get(Number(stream.split('-')[0]))!;
    row.voided.set(stream, [...(row.voided.get(stream) ?? []), ...seqs]);
  }
}

/** Records every batch; `failures` decides per call which entries fail. */
export class FakePublisher implements Publisher {
  readonly batches: QueueMessage[][] = [];
  readonly accepted: QueueMessage[] = [];
  failures: (batch: readonly QueueMessage[], call: number) => BatchEntryFailure[] | Error = () => [];

  async sendBatch(messages: readonly QueueMessage[]): Promise<readonly BatchEntryFailure[]> {
    await Promise.resolve();
    const call = this.batches.length;
    this.batches.push([...messages]);
    const outcome = this.failures(messages, call);
    if (outcome instanceof Error) throw outcome;
    const failed = new Set(outcome.map((failure) => failure.index));
    messages.forEach((message, index) => {
      if (!failed.has(index)) this.accepted.push(message);
    });
    return outcome;
  }
}

export class InMemoryOutboxStore implements OutboxStore {
  readonly items = new Map<string, OutboxItem>();
  /** Committed business writes, as given. */
  readonly committed: TransactionWrite[] = [];
  /**
   * Business items put so far, by `<table>/<pk>`. The one condition the fake evaluates is a Put's
   * `attribute_not_exists(pk)` against them; every other write succeeds.
   */
  readonly businessItems = new Set<string>();
  failPuts = false;
  failUpdates = false;

  async commit(writes: readonly TransactionWrite[], items: readonly OutboxItem[]): Promise<void> {
    const keyOf = (put: NonNullable<TransactionWrite['Put']>) => `${put.TableName}/${String(put.Item.pk)}`;
    const failed = writes.findIndex(
      ({ Put: put }) =>
        put?.ConditionExpression === 'attribute_not_exists(pk)' && this.businessItems.has(keyOf(put)),
    );
    if (failed >= 0) throw new BusinessConditionFailedError(failed, writes[failed]?.rejectionReason);
    for (const { Put: put } of writes) if (put) this.businessItems.add(keyOf(put));
    this.committed.push(...writes);
    for (const item of items) this.items.set(item.id, item);
  }

  async put(items: readonly OutboxItem[]): Promise<void> {
    if (this.failPuts) throw new Error('outbox unreachable');
    for (const item of items) this.items.set(item.id, item);
  }

  async update(id: string, from: OutboxStatus, update: OutboxUpdate): Promise<boolean> {
    if (this.failUpdates) throw new Error('outbox unreachable');
    const item = this.items.get(id);
    if (!item || item.status !== from) return false;
    this.items.set(id, { ...item, ...update });
    return true;
  }

  async listByStatus(status: OutboxStatus, createdBefore: number, limit: number): Promise<OutboxItem[]> {
    return [...this.items.values()]
      .filter((item) => item.status === status && item.createdAt <= createdBefore)
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, limit);
  }

  async get(ids: readonly string[]): Promise<OutboxItem[]> {
    return ids.flatMap((id) => (this.items.has(id) ? [this.items.get(id)!] : []));
  }
}

export class FakeClaims implements ClaimStatusReader {
  readonly status = new Map<string, ClaimStatus>();
  async statuses(messages: readonly { id: string }[]): Promise<Map<string, ClaimStatus>> {
    return new Map(
      messages
        .map(({ id }) => id)
        .flatMap((id) => (this.status.has(id) ? [[id, this.status.get(id)!] as const] : [])),
    );
  }
}
