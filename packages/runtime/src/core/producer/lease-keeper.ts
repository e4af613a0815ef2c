/**
 * The producer's identity: a leased worker id (for Snowflake ids) whose `(workerId, epoch)` names
 * the producer stream, and the stream's gap-free sequence numbers.
 *
 * Sequence numbers are reserved in blocks: the lease item's highWater is raised durably (in the
 * same conditional write as the heartbeat) before any number of the block is stamped, so the
 * auditor never sees a delivered seq above the recorded high-water mark. Numbers reserved but not
 * stamped are voided when the stream closes (release or fencing records the last stamped number).
 *
 * Fencing: a holder stamps only while `now < validUntil`, where validUntil is the time the last
 * successful heartbeat was *sent* plus the lease length minus a safety margin. Another producer
 * can take the worker id over only after leaseUntil, which is later, so two holders never stamp
 * with the same worker id at the same time (given clocks that agree within the margin).
 */
import { randomUUID } from 'node:crypto';
import type { Envelope } from '../envelope.js';
import {
  MAX_WORKER_ID,
  type SnowflakeClock,
  SnowflakeGenerator,
  systemSnowflakeClock,
} from '../snowflake.js';
import { reportFailure, SILENT_TELEMETRY, type Telemetry } from '../telemetry.js';
import type { Lease, LeaseStore, ProducerClock } from './ports.js';
import { systemProducerClock } from './ports.js';
import type { EventDraft } from './queue-message.js';

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  readonly store: LeaseStore;
  /** Who holds the lease, for operators. @default a random UUID */
  readonly holder?: string;
  /** @default systemProducerClock */
  readonly clock?: ProducerClock;
  /** Clock of the Snowflake generator. @default systemSnowflakeClock */
  readonly idClock?: SnowflakeClock;
  /** Lease length. @default 30_000 */
  readonly leaseMs?: number;
  /** Renew once less than this remains of the lease. @default leaseMs / 3 */
  readonly renewBeforeMs?: number;
  /** Stop stamping this long before the lease expires, to absorb clock skew between hosts. @default 2_000 */
  readonly safetyMarginMs?: number;
  /** Sequence numbers reserved per high-water write. @default 100 */
  readonly reserveBlock?: number;
  /** Random probes for a free worker id before scanning all of them. @default 16 */
  readonly randomProbes?: number;
  /** Rollback the Snowflake generator waits out. @default 50 */
  readonly maxRollbackWaitMs?: number;
  /** Renew in the background every this many ms while started (long-lived processes). @default off */
  readonly heartbeatEveryMs?: number;
  /** Where failed background renewals and stream closes are reported. @default SILENT_TELEMETRY */
  readonly telemetry?: Telemetry;
}

/** Every worker id 0..1023 is leased by a live producer. */
export class NoFreeWorkerIdError extends Error {
  override readonly name = 'NoFreeWorkerIdError';
}

/** The lease could not be confirmed (store unreachable), so nothing may be stamped right now. */
export class LeaseUnavailableError extends Error {
  override readonly name = 'LeaseUnavailableError';
}

/**
 * Leases a worker id and stamps envelopes on its producer stream (see the module comment).
 *
 * @example
 * const keeper = new LeaseKeeper({ store: new DynamoDbLeaseStore(clients.documents, leasesTable) });
 * const envelope = await keeper.stamp({ type: 'inventory.reserve', key: sku, payload });
 * await keeper.close(); // releases the worker id, closing the stream at its last seq
 */
export class LeaseKeeper {
  readonly holder: string;
  private readonly store: LeaseStore;
  private readonly clock: ProducerClock;
  private readonly idClock: SnowflakeClock;
  private readonly leaseMs: number;
  private readonly renewBeforeMs: number;
  private readonly safetyMarginMs: number;
  private readonly reserveBlock: number;
  private readonly randomProbes: number;
  private readonly maxRollbackWaitMs: number;
  private readonly heartbeatEveryMs: number | undefined;
  private readonly telemetry: Telemetry;

  private lease: Lease | undefined;
  private ids: SnowflakeGenerator | undefined;
  /** Stamping is allowed while clock.now() < validUntil. */
  private validUntil = 0;
  private lastStamped = 0;
  private maintenance: Promise<void> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Streams this keeper has held, newest last. */
  readonly streams: string[] = [];

  constructor(options: LeaseKeeperOptions) {
    this.store = options.store;
    this.holder = options.holder ?? randomUUID();
    this.clock = options.clock ?? systemProducerClock;
    this.idClock = options.idClock ?? systemSnowflakeClock;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.renewBeforeMs = options.renewBeforeMs ?? Math.floor(this.leaseMs / 3);
    this.safetyMarginMs = options.safetyMarginMs ?? 2_000;
    this.reserveBlock = options.reserveBlock ?? 100;
    this.randomProbes = options.randomProbes ?? 16;
    this.maxRollbackWaitMs = options.maxRollbackWaitMs ?? 50;
    this.heartbeatEveryMs = options.heartbeatEveryMs;
    this.telemetry = options.telemetry ?? SILENT_TELEMETRY;
    if (this.safetyMarginMs + this.renewBeforeMs >= this.leaseMs)
      throw new RangeError('leaseMs must exceed safetyMarginMs + renewBeforeMs');
  }

  /** The lease currently held (undefined before start, after close, or while fenced). */
  get current(): Lease | undefined {
    return this.lease;
  }

  /** Acquires a lease now (otherwise the first stamp does) and starts the optional heartbeat. */
  async start(): Promise<void> {
    await this.maintain(true);
    if (this.heartbeatEveryMs && !this.heartbeat) {
      this.heartbeat = setInterval(() => {
        if (this.needsRenewal()) this.renewInBackground();
      }, this.heartbeatEveryMs);
      this.heartbeat.unref();
    }
  }

  /**
   * Stamps id, producer, seq and occurredAt onto a draft. Waits for a lease (and a reserved block
   * of sequence numbers) first; never stamps while the lease is not confirmed.
   */
  async stamp<TPayload>(draft: EventDraft<TPayload>): Promise<Envelope<TPayload>> {
    return (await this.stampAll([draft]))[0]!;
  }

  /** Stamps several drafts with consecutive sequence numbers of one stream. */
  async stampAll<TPayload>(drafts: readonly EventDraft<TPayload>[]): Promise<Envelope<TPayload>[]> {
    if (drafts.length > this.reserveBlock)
      throw new RangeError(`Cannot stamp more than reserveBlock (${this.reserveBlock}) events at once`);
    for (;;) {
      if (this.closed) throw new Error('LeaseKeeper is closed');
      const lease = this.lease;
      const now = this.clock.now();
      if (lease && this.ids && now < this.validUntil && this.lastStamped + drafts.length <= lease.highWater) {
        if (this.needsRenewal()) this.renewInBackground();
        // Synchronous from here on: seq and id are taken together, so both increase in stamp order.
        const occurredAt = new Date(now).toISOString();
        return drafts.map((draft) => ({
          id: this.ids!.next(),
          type: draft.type,
          producer: lease.stream,
          seq: ++this.lastStamped,
          key: draft.key,
          occurredAt,
          payload: draft.payload,
        }));
      }
      await this.maintain(true, drafts.length);
    }
  }

  /**
   * Records that stamped envelopes will never be delivered (e.g. their outbox transaction was
   * cancelled), so the auditor counts them as voided, not lost.
   */
  async voidStamped(envelopes: readonly Pick<Envelope, 'producer' | 'seq'>[], reason: string): Promise<void> {
    const byStream = new Map<string, number[]>();
    for (const { producer, seq } of envelopes)
      byStream.set(producer, [...(byStream.get(producer) ?? []), seq]);
    for (const [stream, seqs] of byStream) await this.store.voidSequences(stream, seqs, reason);
  }

  /** Releases the lease, closing the stream at the last stamped sequence number. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    // Only wait for it to settle: a failure was already reported to whoever started it.
    if (this.maintenance) await Promise.allSettled([this.maintenance]);
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    const released = await this.store.release(lease, this.lastStamped, this.clock.now());
    if (!released) await this.store.closeStream(lease.stream, this.lastStamped, this.clock.now());
  }

  /**
   * Renews ahead of need without making anyone wait. Nobody awaits it, so a failure is reported
   * here; the next stamp then renews in the foreground (and refuses to stamp if that fails too).
   */
  private renewInBackground(): void {
    const stream = this.lease?.stream;
    this.maintain(false).catch((error: unknown) =>
      reportFailure(this.telemetry, 'LeaseRenewalFailed', 'background lease renewal failed', error, {
        stream,
      }),
    );
  }

  private needsRenewal(): boolean {
    return !!this.lease && this.clock.now() >= this.validUntil + this.safetyMarginMs - this.renewBeforeMs;
  }

  /** One maintenance at a time: acquire, or renew and reserve. */
  private maintain(mustReserve: boolean, wanted = 1): Promise<void> {
    if (!this.maintenance) {
      this.maintenance = this.runMaintenance(mustReserve, wanted).finally(() => {
        this.maintenance = undefined;
      });
    }
    return this.maintenance;
  }

  private async runMaintenance(mustReserve: boolean, wanted: number): Promise<void> {
    if (this.closed) return;
    const lease = this.lease;
    if (!lease) {
      await this.acquire();
      return;
    }
    const sentAt = this.clock.now();
    const free = lease.highWater - this.lastStamped;
    const highWater =
      mustReserve && free < wanted ? this.lastStamped + Math.max(wanted, this.reserveBlock) : lease.highWater;
    let extended: Lease | undefined;
    try {
      extended = await this.store.extend(lease, sentAt + this.leaseMs, Math.max(highWater, lease.highWater));
    } catch (error) {
      if (this.clock.now() >= this.validUntil)
        throw new LeaseUnavailableError(`Lease ${lease.stream} could not be renewed: ${String(error)}`, {
          cause: error,
        });
      // Still valid, so stamping goes on and the next stamp retries; reported, because a store
      // that stays unreachable ends in LeaseUnavailableError once the lease runs out.
      reportFailure(this.telemetry, 'LeaseRenewalFailed', 'lease renewal failed; lease still valid', error, {
        stream: lease.stream,
      });
      return;
    }
    if (extended) {
      this.lease = extended;
      this.validUntil = sentAt + this.leaseMs - this.safetyMarginMs;
      return;
    }
    // Fenced: someone took the worker id over. Stop stamping on this stream for good, record where
    // it ended, and start a new stream under a new lease.
    this.lease = undefined;
    this.ids = undefined;
    this.validUntil = 0;
    await this.store.closeStream(lease.stream, this.lastStamped, this.clock.now()).catch((error: unknown) =>
      // Without the record the auditor treats the stream as taken over: its tail above the last
      // delivered seq counts as possibly unstamped rather than missing, so nothing is lost, but
      // the exact end of the stream is, and an operator should know.
      reportFailure(
        this.telemetry,
        'StreamCloseFailed',
        'could not record the end of a fenced stream',
        error,
        {
          stream: lease.stream,
          lastStamped: this.lastStamped,
        },
      ),
    );
  }

  private async acquire(): Promise<void> {
    const tried = new Set<number>();
    const candidates: number[] = [];
    for (let i = 0; i < this.randomProbes; i++)
      candidates.push(Math.floor(Math.random() * (MAX_WORKER_ID + 1)));
    const start = Math.floor(Math.random() * (MAX_WORKER_ID + 1));
    for (let i = 0; i <= MAX_WORKER_ID; i++) candidates.push((start + i) % (MAX_WORKER_ID + 1));
    for (const workerId of candidates) {
      if (tried.has(workerId)) continue;
      tried.add(workerId);
      const sentAt = this.clock.now();
      const lease = await this.store.tryAcquire(workerId, this.holder, sentAt, this.leaseMs);
      if (!lease) continue;
      this.lease = lease;
      this.lastStamped = 0;
      this.validUntil = sentAt + this.leaseMs - this.safetyMarginMs;
      this.ids = new SnowflakeGenerator({
        workerId,
        clock: this.idClock,
        maxRollbackWaitMs: this.maxRollbackWaitMs,
      });
      this.streams.push(lease.stream);
      return;
    }
    throw new NoFreeWorkerIdError(`All ${MAX_WORKER_ID + 1} worker ids are leased`);
  }
}
