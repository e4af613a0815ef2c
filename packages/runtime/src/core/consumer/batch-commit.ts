/**
 * Batch commits (transactional mode, handlers with `claimOn`): the messages of a run (one FIFO
 * group's records in order, or a standard queue's whole batch) are handled one after the other and
 * committed together in one TransactWriteItems, each message's claim riding on its business item.
 *
 *   handle m1, m2, m3 -> read counters -> simulate in order -> commit {m1, m2 (+claims), counters}
 *        |                                   \-> m3 rejected: claim-only item at m3's claim key
 *        \-> a write collides with a pending one (same item, not a counter) -> commit first
 *   cancelled: claim condition -> duplicate (same message) or key taken (another message): decided;
 *              business condition -> that message rejected; counter guard -> read again;
 *              anything else -> every pending message retried (nothing was written)
 *
 * Messages this path cannot take (claim mode, handlers without `claimOn`, poison) commit the
 * pending ones first and then go through the per-message state machine (RecordProcessor).
 */
import type { SQSRecord } from 'aws-lambda';
import { MAX_TRANSACTION_ACTIONS, type TransactionWrite } from '../transaction-write.js';
import { parseDelivery, type ValidDelivery } from './delivery.js';
import { RejectedError } from './errors.js';
import type { ClaimTarget } from './event-handlers.js';
import type { RecordClaim, RecordClaimStore } from './ports.js';
import {
  type CounterValues,
  claimOf,
  claimOnlyPut,
  claimTargetProblem,
  itemKey,
  type MessageCounterStep,
  mergedCounterUpdate,
  putsTarget,
  simulateCounters,
  splitCounterSteps,
  writesWithClaim,
  writeTarget,
} from './record-claims.js';
import { behindFailure, holdsGroupBack, type RecordOutcome } from './record-outcome.js';
import type { BatchFacts, RecordProcessor } from './record-processor.js';

type Fields = Record<string, unknown>;

/** A stamped message whose consumption the log must hold before its delivery is acknowledged. */
export interface ConsumedMessage {
  readonly record: SQSRecord;
  readonly producer: string;
  readonly seq: number;
}

interface Pending {
  readonly record: SQSRecord;
  readonly delivery: ValidDelivery;
  readonly fields: Fields;
  readonly target: ClaimTarget;
  readonly others: readonly TransactionWrite[];
  readonly steps: readonly MessageCounterStep[];
  /** Set when the handler threw RejectedError: decided in order, recorded with the others. */
  readonly rejectedBy: string | undefined;
  readonly deferred: ReadonlyArray<() => Promise<void>>;
  /** Item keys this message's writes target (known ones: Update/Delete/ConditionCheck, the claim). */
  readonly keys: ReadonlySet<string>;
  /** Actions it adds to the transaction (counters count once per item across the run). */
  readonly actionCount: number;
}

export class BatchCommitter {
  constructor(
    private readonly processor: RecordProcessor,
    private readonly store: RecordClaimStore,
    private readonly now: () => number,
  ) {}

  /**
   * Processes a run and returns one outcome per record, in order. `ordered` (FIFO): after a failure
   * the rest of the run is not processed and fails with it, and nothing is committed out of order.
   */
  async processRun(
    records: readonly SQSRecord[],
    batch: BatchFacts,
    ordered: boolean,
    consumed: ConsumedMessage[],
  ): Promise<RecordOutcome[]> {
    const outcomes = new Array<RecordOutcome>(records.length);
    let pending: Array<Pending & { readonly index: number }> = [];
    let stop: RecordOutcome | undefined;
    const settle = (index: number, outcome: RecordOutcome) => {
      outcomes[index] = outcome;
      if (ordered && !stop && holdsGroupBack(outcome)) stop = outcome;
    };
    const flush = async () => {
      if (pending.length === 0) return;
      const committing = pending;
      pending = [];
      const results = await this.commit(committing, batch, consumed);
      for (const [position, entry] of committing.entries())
        settle(entry.index, results[position] as RecordOutcome);
    };
    for (const [index, record] of records.entries()) {
      const prepared = stop ? undefined : await this.prepare(record, batch);
      if (prepared?.kind === 'pending') {
        const actions = pending.reduce((sum, entry) => sum + entry.actionCount, 0);
        const collides = pending.some((entry) => [...prepared.keys].some((key) => entry.keys.has(key)));
        if (collides || actions + prepared.actionCount > MAX_TRANSACTION_ACTIONS) await flush();
        if (!stop) {
          pending.push({ ...prepared, index });
          continue;
        }
      } else if (prepared) {
        await flush();
        if (!stop) {
          settle(
            index,
            prepared.kind === 'decided' ? prepared.outcome : await this.processor.process(record, batch),
          );
          continue;
        }
      }
      outcomes[index] = behindFailure(stop as RecordOutcome);
    }
    await flush();
    return outcomes;
  }

  /**
   * Parses and handles one message. `pending`: it joins the transaction; `decided`: its outcome is
   * known (the handler failed); `per-message`: the RecordProcessor takes it (poison, claim mode,
   * a handler without claimOn).
   */
  private async prepare(
    record: SQSRecord,
    batch: BatchFacts,
  ): Promise<
    | ({ readonly kind: 'pending' } & Pending)
    | { readonly kind: 'decided'; readonly outcome: RecordOutcome }
    | { readonly kind: 'per-message' }
  > {
    const processor = this.processor;
    if (!processor.batchesClaimsOnRecords(record)) return { kind: 'per-message' };
    const delivery = parseDelivery(record, processor.handlers, processor.foreignMessages, {
      quotePayload: processor.logPayload,
    });
    const target =
      delivery.kind === 'valid' ? delivery.handler.claimOn?.(delivery.payload as never) : undefined;
    if (delivery.kind !== 'valid' || !target) return { kind: 'per-message' };
    const fields = processor.fieldsOf(record, delivery);
    const deferred: Array<() => Promise<void>> = [];
    const context = processor.handlerContext(delivery, batch, fields, (step) => deferred.push(step));
    let writes: readonly TransactionWrite[] = [];
    let rejectedBy: string | undefined;
    try {
      writes = (await delivery.handler.handle(delivery.payload, context))?.writes ?? [];
    } catch (error) {
      if (error instanceof RejectedError) rejectedBy = error.reason;
      else return { kind: 'decided', outcome: processor.retry(record, 'handler-error', fields, error) };
    }
    const problem = claimTargetProblem(writes, target);
    if (problem)
      return {
        kind: 'decided',
        outcome: processor.retry(record, 'claim-target-invalid', fields, new Error(problem)),
      };
    const { steps, others } = splitCounterSteps(writes);
    const keys = new Set([itemKey(target.TableName, target.Key)]);
    for (const write of others) {
      const written = writeTarget(write);
      if (written) keys.add(itemKey(written.TableName, written.Key));
    }
    const counterItems = new Set(steps.map(({ target: item }) => itemKey(item.TableName, item.Key)));
    const claimWrites = others.some((write) => putsTarget(write, target)) ? 0 : 1;
    const actionCount = others.length + claimWrites + counterItems.size;
    if (actionCount > MAX_TRANSACTION_ACTIONS)
      return {
        kind: 'decided',
        outcome: processor.retry(record, 'too-many-writes', fields, new Error(`${actionCount} actions`)),
      };
    return {
      kind: 'pending',
      record,
      delivery,
      fields,
      target,
      others,
      steps,
      rejectedBy,
      deferred,
      keys,
      actionCount,
    };
  }

  /**
   * Commits pending messages together: the applied ones' writes, one summed write per counter, and
   * the rejected ones' claim-only items, all in one transaction. One outcome per message.
   */
  private async commit(
    pending: readonly Pending[],
    batch: BatchFacts,
    consumed: ConsumedMessage[],
  ): Promise<RecordOutcome[]> {
    /** Messages decided by a taken claim key (duplicates, keys held by other messages). */
    const decided = new Map<number, RecordOutcome>();
    /** Rejections for good: RejectedError, or a business condition that failed. */
    const rejected = new Map<number, string>();
    pending.forEach((entry, position) => {
      if (entry.rejectedBy !== undefined) rejected.set(position, entry.rejectedBy);
    });
    for (let round = 0; round <= pending.length + 2; round += 1) {
      const live = pending.map((_, position) => position).filter((position) => !decided.has(position));
      if (live.length === 0) return this.outcomes(pending, decided);
      const candidates = live.filter((position) => !rejected.has(position));
      let values: CounterValues;
      try {
        values = await this.readCounters(candidates.map((position) => pending[position] as Pending));
      } catch (error) {
        return this.retryUndecided(pending, decided, 'store-error', error);
      }
      // Counter steps replayed in message order; a message that would cross a floor is rejected.
      const simulation = simulateCounters(
        candidates.map((position) => (pending[position] as Pending).steps),
        values,
      );
      const rejections = new Map([...rejected].filter(([position]) => !decided.has(position)));
      const applying = candidates.filter((position, order) => {
        const reason = simulation.rejections[order];
        if (reason !== undefined) rejections.set(position, reason);
        return reason === undefined;
      });
      const now = this.now();
      if (applying.length === 0 && rejections.size === 1) {
        // A lone rejection needs no transaction: a conditional put costs half the write units.
        const [[position, reason]] = [...rejections] as [[number, string]];
        decided.set(position, await this.recordRejection(pending[position] as Pending, reason, consumed));
        continue;
      }
      const { actions, owners } = this.transaction(
        pending,
        applying,
        rejections,
        simulation.sums,
        values,
        now,
      );
      let result: Awaited<ReturnType<RecordClaimStore['transact']>>;
      try {
        result = await this.store.transact(actions);
      } catch (error) {
        // DynamoDB refuses a request that writes one item twice (two messages putting one item):
        // commit one by one. Anything else (network, throttling of the call): retry them all.
        if (pending.length > 1 && (error as Error).name === 'ValidationException')
          return this.oneByOne(pending, batch, consumed);
        return this.retryUndecided(pending, decided, 'store-error', error);
      }
      if (result.kind === 'committed') {
        for (const position of applying) {
          const entry = pending[position] as Pending;
          for (const step of entry.deferred) await step();
          decided.set(position, this.processor.done({ kind: 'processed' }, entry.fields));
          this.noteConsumed(entry, consumed);
        }
        for (const [position, reason] of rejections) {
          const entry = pending[position] as Pending;
          decided.set(position, this.processor.done({ kind: 'rejected', reason }, entry.fields));
          this.noteConsumed(entry, consumed);
        }
        return this.outcomes(pending, decided);
      }
      let retryCode: string | undefined;
      for (const [action, reason] of result.reasons.entries()) {
        const owner = owners[action];
        if (reason.code === 'None' || owner === undefined) continue;
        if (reason.code !== 'ConditionalCheckFailed') retryCode ??= reason.code;
        else if (owner.kind === 'claim') {
          const entry = pending[owner.position] as Pending;
          decided.set(
            owner.position,
            await this.judgeTakenKey(entry, reason.oldItem, owner.rejectionReason, consumed),
          );
        } else if (owner.kind === 'write' && !decided.has(owner.position)) {
          rejected.set(owner.position, owner.rejectionReason ?? 'condition-failed');
        }
        // A counter guard failed: the counter changed since it was read; the next round reads again.
      }
      if (retryCode !== undefined) return this.retryUndecided(pending, decided, retryCode);
    }
    return this.retryUndecided(pending, decided, 'batch-commit-contended');
  }

  private outcomes(
    pending: readonly Pending[],
    decided: ReadonlyMap<number, RecordOutcome>,
  ): RecordOutcome[] {
    return pending.map(
      (entry, position) =>
        decided.get(position) ?? this.processor.retry(entry.record, 'batch-commit-undecided', entry.fields),
    );
  }

  /** Every message not decided yet is retried: nothing of theirs was written. */
  private retryUndecided(
    pending: readonly Pending[],
    decided: ReadonlyMap<number, RecordOutcome>,
    reason: string,
    error?: unknown,
  ): RecordOutcome[] {
    return pending.map(
      (entry, position) =>
        decided.get(position) ?? this.processor.retry(entry.record, reason, entry.fields, error),
    );
  }

  /** Fallback when the transaction as a whole is refused: each message in its own transaction. */
  private async oneByOne(
    pending: readonly Pending[],
    batch: BatchFacts,
    consumed: ConsumedMessage[],
  ): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = [];
    for (const entry of pending) {
      const [outcome] = await this.commit([entry], batch, consumed);
      outcomes.push(outcome as RecordOutcome);
    }
    return outcomes;
  }

  private async readCounters(entries: readonly Pending[]): Promise<CounterValues> {
    const wanted = new Map<string, { target: ClaimTarget; attributes: Set<string> }>();
    for (const entry of entries) {
      for (const { target, step } of entry.steps) {
        const key = itemKey(target.TableName, target.Key);
        const known = wanted.get(key) ?? { target, attributes: new Set<string>() };
        known.attributes.add(step.attribute);
        wanted.set(key, known);
      }
    }
    const values: CounterValues = new Map();
    await Promise.all(
      [...wanted.entries()].map(async ([key, { target, attributes }]) => {
        const read = await this.store.readNumbers(target, [...attributes]);
        if (read) values.set(key, read);
      }),
    );
    return values;
  }

  /** The transaction's actions, and which message (and what) each action belongs to. */
  private transaction(
    pending: readonly Pending[],
    applying: readonly number[],
    rejections: ReadonlyMap<number, string>,
    sums: ReadonlyMap<string, ReadonlyMap<string, number>>,
    values: CounterValues,
    now: number,
  ) {
    const actions: TransactionWrite[] = [];
    const owners: Array<
      | { kind: 'claim'; position: number; rejectionReason: string | undefined }
      | { kind: 'write'; position: number; rejectionReason: string | undefined }
      | { kind: 'counter' }
    > = [];
    const counterTargets = new Map<string, ClaimTarget>();
    for (const position of applying) {
      const entry = pending[position] as Pending;
      const claim = this.claim(entry, 'COMPLETED', 'processed', now);
      for (const write of writesWithClaim(entry.others, entry.target, claim)) {
        const isClaim = write.Put !== undefined && putsTarget(write, entry.target);
        actions.push(write);
        owners.push({ kind: isClaim ? 'claim' : 'write', position, rejectionReason: write.rejectionReason });
      }
      for (const { target } of entry.steps) counterTargets.set(itemKey(target.TableName, target.Key), target);
    }
    for (const [key, target] of counterTargets) {
      const sum = sums.get(key);
      if (!sum) continue;
      actions.push(mergedCounterUpdate(target, sum, values.get(key)));
      owners.push({ kind: 'counter' });
    }
    for (const [position, reason] of rejections) {
      const entry = pending[position] as Pending;
      actions.push(claimOnlyPut(entry.target, this.claim(entry, 'REJECTED', reason, now)));
      owners.push({ kind: 'claim', position, rejectionReason: undefined });
    }
    return { actions, owners };
  }

  private claim(entry: Pending, status: RecordClaim['status'], outcome: string, now: number): RecordClaim {
    const { id, type, envelope } = entry.delivery.message;
    return {
      id,
      status,
      outcome,
      payloadHash: entry.delivery.payloadHash,
      type,
      ...(envelope ? { producer: envelope.producer, seq: envelope.seq } : {}),
      completedAt: now,
    };
  }

  /**
   * The claim key was taken: by this very message (a duplicate; poison when its payload differs),
   * or by another one, which makes this message a rejection with the Put's reason. Either way the
   * message is decided for good, and no record is needed: every delivery decides the same.
   */
  private async judgeTakenKey(
    entry: Pending,
    returned: Readonly<Record<string, unknown>> | undefined,
    rejectionReason: string | undefined,
    consumed: ConsumedMessage[],
  ): Promise<RecordOutcome> {
    // Stores that do not return the old item on a failed condition: a consistent read stands in.
    const existing = returned ?? (await this.store.readItem(entry.target));
    const claim = claimOf(existing);
    if (claim?.id === entry.delivery.message.id) {
      if (claim.payloadHash !== undefined && claim.payloadHash !== entry.delivery.payloadHash)
        return this.processor.poison(
          entry.record,
          'id-reused-with-other-payload',
          `id ${claim.id} was first seen with payload hash ${claim.payloadHash}`,
          entry.fields,
        );
      this.noteConsumed(entry, consumed);
      return this.processor.done({ kind: 'duplicate' }, { ...entry.fields, firstOutcome: claim.outcome });
    }
    this.noteConsumed(entry, consumed);
    return this.processor.done(
      { kind: 'rejected', reason: rejectionReason ?? 'claim-key-taken' },
      { ...entry.fields, claimKeyHeldBy: claim?.id ?? 'an item without a claim' },
    );
  }

  /** A rejection leaves a claim-only item at the claim key, so a later delivery cannot apply it. */
  private async recordRejection(
    entry: Pending,
    reason: string,
    consumed: ConsumedMessage[],
  ): Promise<RecordOutcome> {
    try {
      const attempt = await this.store.putClaimOnly(
        entry.target,
        this.claim(entry, 'REJECTED', reason, this.now()),
      );
      if (attempt.kind === 'taken') return this.judgeTakenKey(entry, attempt.existing, undefined, consumed);
    } catch (error) {
      return this.processor.retry(entry.record, 'store-error', entry.fields, error);
    }
    this.noteConsumed(entry, consumed);
    return this.processor.done({ kind: 'rejected', reason }, entry.fields);
  }

  private noteConsumed(entry: Pending, consumed: ConsumedMessage[]): void {
    const envelope = entry.delivery.message.envelope;
    if (envelope) consumed.push({ record: entry.record, producer: envelope.producer, seq: envelope.seq });
  }
}
