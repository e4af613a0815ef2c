/**
 * The per-message state machine of the consumer (see docs/consumer.md for the timing diagram).
 *
 *   claim mode:          tryClaim(IN_PROGRESS) -> handler -> [writes] -> finish(COMPLETED|REJECTED)
 *                                                      \-> retryable error -> release
 *   transactional mode:  handler -> commit(claim COMPLETED + writes)      (one TransactWriteItems)
 *
 * A failed claim condition is judged on the old item: COMPLETED/REJECTED -> duplicate,
 * IN_PROGRESS with a live lease -> retry later, another payload hash -> poison.
 */
import type { SQSRecord } from 'aws-lambda';
import type { DegradationLevel } from '../tables.js';
import { describeError, type Telemetry } from '../telemetry.js';
import { MAX_TRANSACTION_ACTIONS, type TransactionWrite } from '../transaction-write.js';
import { type BackoffSettings, retryDelaySeconds } from './backoff.js';
import {
  type ForeignMessagePolicy,
  type MessageInfo,
  parseDelivery,
  type ValidDelivery,
} from './delivery.js';
import { RejectedError } from './errors.js';
import type { ConsumerMode, EventHandler, HandlerContext } from './event-handlers.js';
import {
  type ClaimRecord,
  type ClaimStore,
  type ConsumerMetric,
  type MessageActions,
  type PoisonReason,
  REASON_RECORD_ATTRIBUTE,
} from './ports.js';
import type { RecordOutcome } from './record-outcome.js';
import { classifyCancellation } from './transaction-outcome.js';

export interface RecordProcessorDependencies {
  readonly mode: ConsumerMode;
  readonly handlers: ReadonlyMap<string, EventHandler>;
  readonly foreignMessages: ForeignMessagePolicy;
  readonly claims: ClaimStore;
  readonly messages: MessageActions;
  readonly telemetry: Telemetry;
  readonly now: () => number;
  readonly random: () => number;
  readonly newOwnerToken: () => string;
  readonly backoff: BackoffSettings;
  readonly claimTtlSeconds: number;
  readonly leaseMarginMs: number;
  readonly logPayload: boolean;
}

/** Per-batch facts every record of the batch shares. */
export interface BatchFacts {
  readonly degradation: DegradationLevel;
  remainingTimeMs(): number;
  /**
   * Work in progress per claim key within this batch. Copies of one message in one batch run one
   * after the other, so the second sees a finished claim (a duplicate) instead of a live lease (a
   * retry that would wait for the lease to run out).
   */
  readonly inFlight: Map<string, Promise<unknown>>;
}

type Fields = Record<string, unknown>;

/** The counter of each final outcome (retries count `Retried` where they are decided). */
const FINAL_OUTCOME_METRICS = {
  processed: 'Processed',
  duplicate: 'Duplicates',
  rejected: 'Rejected',
  poisoned: 'Poisoned',
} as const satisfies Record<string, ConsumerMetric>;

export class RecordProcessor {
  constructor(private readonly deps: RecordProcessorDependencies) {}

  // --- Shared with BatchCommitter (batch-commit.ts), which runs the claimOn path. ---
  get handlers(): ReadonlyMap<string, EventHandler> {
    return this.deps.handlers;
  }

  get foreignMessages(): ForeignMessagePolicy {
    return this.deps.foreignMessages;
  }

  get logPayload(): boolean {
    return this.deps.logPayload;
  }

  /** True when a record may take the claimOn path: transactional mode, not a DLQ reason record. */
  batchesClaimsOnRecords(record: SQSRecord): boolean {
    return (
      this.deps.mode === 'transactional' &&
      record.messageAttributes?.[REASON_RECORD_ATTRIBUTE]?.stringValue === undefined
    );
  }

  /** The log fields of a valid delivery. */
  fieldsOf(record: SQSRecord, delivery: ValidDelivery): Fields {
    return {
      messageId: record.messageId,
      receiveCount: receiveCount(record),
      ...messageFields(delivery.message),
      ...(this.deps.logPayload ? { payload: delivery.payload } : {}),
    };
  }

  async process(record: SQSRecord, batch: BatchFacts): Promise<RecordOutcome> {
    const reasonFor = record.messageAttributes?.[REASON_RECORD_ATTRIBUTE]?.stringValue;
    if (reasonFor !== undefined) {
      // A DLQ reason record moved back by a full redrive: its message is redriven on its own.
      this.deps.telemetry.log('info', 'poison reason record came back from the DLQ; dropped', {
        messageId: record.messageId,
        reasonRecordOf: reasonFor,
      });
      return { kind: 'duplicate' };
    }
    const delivery = parseDelivery(record, this.deps.handlers, this.deps.foreignMessages, {
      quotePayload: this.deps.logPayload,
    });
    const fields: Fields = { messageId: record.messageId, receiveCount: receiveCount(record) };
    if (delivery.kind === 'poison') {
      if (delivery.message) Object.assign(fields, messageFields(delivery.message));
      return this.poison(record, delivery.reason, delivery.error, fields);
    }
    Object.assign(fields, messageFields(delivery.message));
    if (this.deps.logPayload) fields.payload = delivery.payload;
    const id = delivery.message.id;
    const previous = batch.inFlight.get(id);
    const current = (previous ?? Promise.resolve()).then(() =>
      this.processValid(record, delivery, batch, fields),
    );
    batch.inFlight.set(id, current);
    return current;
  }

  private async processValid(
    record: SQSRecord,
    delivery: ValidDelivery,
    batch: BatchFacts,
    fields: Fields,
  ): Promise<RecordOutcome> {
    try {
      return this.deps.mode === 'transactional'
        ? await this.processTransactional(record, delivery, batch, fields)
        : await this.processWithClaim(record, delivery, batch, fields);
    } catch (error) {
      // Store or network failures: nothing was committed that a retry cannot judge.
      return this.retry(record, 'store-error', fields, error);
    }
  }

  private async processTransactional(
    record: SQSRecord,
    delivery: ValidDelivery,
    batch: BatchFacts,
    fields: Fields,
  ): Promise<RecordOutcome> {
    const deferred: Array<() => Promise<void>> = [];
    const context = this.handlerContext(delivery, batch, fields, (step) => deferred.push(step));
    let writes: readonly TransactionWrite[];
    try {
      writes = (await delivery.handler.handle(delivery.payload, context))?.writes ?? [];
    } catch (error) {
      if (error instanceof RejectedError) return this.recordRejection(record, delivery, error.reason, fields);
      return this.retry(record, 'handler-error', fields, error);
    }
    if (writes.length > MAX_TRANSACTION_ACTIONS - 1)
      return this.retry(record, 'too-many-writes', fields, new Error(`${writes.length} writes`));
    const now = this.deps.now();
    const claim = this.claimRecord(delivery, 'COMPLETED', 'processed', now, now);
    const result = await this.deps.claims.commit(claim, writes, now);
    if (result.kind === 'committed') {
      for (const step of deferred) await step();
      return this.done({ kind: 'processed' }, fields);
    }
    const verdict = classifyCancellation(result.reasons, writes, true);
    if (verdict.kind === 'claim-taken')
      return this.judgeTakenClaim(record, delivery, verdict.reason.item, fields);
    if (verdict.kind === 'rejected') return this.recordRejection(record, delivery, verdict.reason, fields);
    return this.retry(record, verdict.reason, fields);
  }

  private async processWithClaim(
    record: SQSRecord,
    delivery: ValidDelivery,
    batch: BatchFacts,
    fields: Fields,
  ): Promise<RecordOutcome> {
    const now = this.deps.now();
    const owner = this.deps.newOwnerToken();
    const leaseUntil = now + batch.remainingTimeMs() + this.deps.leaseMarginMs;
    const claim = {
      ...this.claimRecord(delivery, 'IN_PROGRESS', undefined, now, undefined, owner),
      leaseUntil,
    };
    const attempt = await this.deps.claims.tryClaim(claim, now);
    if (attempt.kind === 'taken') return this.judgeTakenClaim(record, delivery, attempt.existing, fields);

    const context = this.handlerContext(delivery, batch, fields, (step) => step());
    let writes: readonly TransactionWrite[];
    try {
      writes = (await delivery.handler.handle(delivery.payload, context))?.writes ?? [];
    } catch (error) {
      if (error instanceof RejectedError)
        return this.finish(record, delivery, owner, 'REJECTED', error.reason, fields);
      await this.releaseQuietly(delivery.message.id, owner, fields);
      return this.retry(record, 'handler-error', fields, error);
    }
    if (writes.length > 0) {
      let result: Awaited<ReturnType<ClaimStore['commit']>>;
      try {
        result = await this.deps.claims.commit(undefined, writes, this.deps.now());
      } catch (error) {
        await this.releaseQuietly(delivery.message.id, owner, fields);
        return this.retry(record, 'store-error', fields, error);
      }
      if (result.kind === 'cancelled') {
        const verdict = classifyCancellation(result.reasons, writes, false);
        if (verdict.kind === 'rejected')
          return this.finish(record, delivery, owner, 'REJECTED', verdict.reason, fields);
        await this.releaseQuietly(delivery.message.id, owner, fields);
        return this.retry(
          record,
          verdict.kind === 'retry' ? verdict.reason : 'transaction-cancelled',
          fields,
        );
      }
    }
    return this.finish(record, delivery, owner, 'COMPLETED', 'processed', fields);
  }

  /** Completion fenced on the owner token: a stale owner (its lease was taken over) cannot complete. */
  private async finish(
    record: SQSRecord,
    delivery: ValidDelivery,
    owner: string,
    status: 'COMPLETED' | 'REJECTED',
    outcome: string,
    fields: Fields,
  ): Promise<RecordOutcome> {
    const finished = await this.deps.claims.finish(
      delivery.message.id,
      owner,
      status,
      outcome,
      this.deps.now(),
    );
    if (!finished) {
      // Another delivery took the claim over; it (or its redelivery) owns the outcome now.
      this.deps.telemetry.count('ClaimConflicts');
      return this.retry(record, 'fenced-out', fields);
    }
    return this.done(
      status === 'COMPLETED' ? { kind: 'processed' } : { kind: 'rejected', reason: outcome },
      fields,
    );
  }

  /** REJECTED is written with the claim condition, so a rejection is recorded once and never retried. */
  private async recordRejection(
    record: SQSRecord,
    delivery: ValidDelivery,
    reason: string,
    fields: Fields,
  ): Promise<RecordOutcome> {
    const now = this.deps.now();
    const result = await this.deps.claims.commit(
      this.claimRecord(delivery, 'REJECTED', reason, now, now),
      [],
      now,
    );
    if (result.kind === 'committed') return this.done({ kind: 'rejected', reason }, fields);
    const verdict = classifyCancellation(result.reasons, [], true);
    if (verdict.kind === 'claim-taken')
      return this.judgeTakenClaim(record, delivery, verdict.reason.item, fields);
    return this.retry(record, verdict.kind === 'retry' ? verdict.reason : 'rejection-not-recorded', fields);
  }

  private async judgeTakenClaim(
    record: SQSRecord,
    delivery: ValidDelivery,
    returned: ClaimRecord | undefined,
    fields: Fields,
  ): Promise<RecordOutcome> {
    // Some emulators and older DynamoDB versions omit the old item; a consistent read stands in.
    const existing = returned ?? (await this.deps.claims.read(delivery.message.id));
    if (!existing) return this.retry(record, 'claim-released-concurrently', fields);
    if (existing.payloadHash !== delivery.payloadHash)
      return this.poison(
        record,
        'id-reused-with-other-payload',
        `id ${delivery.message.id} was first seen with payload hash ${existing.payloadHash}`,
        fields,
      );
    if (existing.status === 'COMPLETED' || existing.status === 'REJECTED')
      return this.done({ kind: 'duplicate' }, { ...fields, firstOutcome: existing.outcome });
    this.deps.telemetry.count('ClaimConflicts');
    // Come back when the holder's lease ends at the earliest, unless the backoff says later.
    const leaseLeftSeconds = Math.ceil(Math.max(0, existing.leaseUntil - this.deps.now()) / 1000);
    return this.retry(record, 'claim-in-progress', fields, undefined, leaseLeftSeconds);
  }

  async poison(
    record: SQSRecord,
    reason: PoisonReason,
    error: string,
    fields: Fields,
  ): Promise<RecordOutcome> {
    let sent: Awaited<ReturnType<MessageActions['sendToDeadLetter']>>;
    try {
      sent = await this.deps.messages.sendToDeadLetter({
        record: {
          messageId: record.messageId,
          receiptHandle: record.receiptHandle,
          eventSourceARN: record.eventSourceARN,
          body: record.body,
          messageAttributes: record.messageAttributes ?? {},
          messageGroupId: record.attributes?.MessageGroupId,
          receiveCount: receiveCount(record),
        },
        reason,
        error,
      });
    } catch (sendError) {
      // Never acknowledge what the DLQ did not take: the message stays in the queue and comes back.
      const delaySeconds = this.backoffSeconds(record);
      this.deps.telemetry.count('Retried');
      this.deps.telemetry.log('error', 'poison message could not be sent to the DLQ', {
        ...fields,
        reason,
        error: describeError(sendError),
        delaySeconds,
      });
      return { kind: 'poison-undelivered', reason, delaySeconds };
    }
    if (sent === 'reason-only') {
      // The DLQ holds the reason; the body stays here until SQS's redrive moves it there under the
      // same message id. Failing it at once spends its receives quickly, so its FIFO group waits
      // only as long as that takes.
      this.deps.telemetry.count('Poisoned');
      this.deps.telemetry.log(
        'warn',
        'poison message too large to copy with its reason; left for the redrive policy',
        {
          ...fields,
          reason,
          error,
        },
      );
      return { kind: 'poison-left-for-redrive', reason, delaySeconds: 0 };
    }
    return this.done({ kind: 'poisoned', reason }, { ...fields, error });
  }

  retry(
    record: SQSRecord,
    reason: string,
    fields: Fields,
    error?: unknown,
    atLeastSeconds = 0,
  ): RecordOutcome {
    const delaySeconds = Math.max(this.backoffSeconds(record), atLeastSeconds);
    this.deps.telemetry.count('Retried');
    this.deps.telemetry.log(error ? 'warn' : 'info', 'message will be retried', {
      ...fields,
      reason,
      delaySeconds,
      ...(error === undefined ? {} : { error: describeError(error) }),
    });
    return { kind: 'retry', reason, delaySeconds };
  }

  done(outcome: RecordOutcome, fields: Fields): RecordOutcome {
    this.deps.telemetry.count(FINAL_OUTCOME_METRICS[outcome.kind as keyof typeof FINAL_OUTCOME_METRICS]);
    this.deps.telemetry.log(logLevelOf(outcome), `message ${outcome.kind}`, {
      ...fields,
      ...('reason' in outcome ? { reason: outcome.reason } : {}),
    });
    return outcome;
  }

  private backoffSeconds(record: SQSRecord): number {
    return retryDelaySeconds(receiveCount(record), this.deps.backoff, this.deps.random);
  }

  private async releaseQuietly(id: string, owner: string, fields: Fields): Promise<void> {
    try {
      await this.deps.claims.release(id, owner);
    } catch (error) {
      // The lease expiry frees the claim anyway; releasing only makes the retry come sooner.
      this.deps.telemetry.log('warn', 'claim release failed', { ...fields, error: describeError(error) });
    }
  }

  private claimRecord(
    delivery: ValidDelivery,
    status: ClaimRecord['status'],
    outcome: string | undefined,
    now: number,
    completedAt?: number,
    owner = this.deps.newOwnerToken(),
  ): ClaimRecord {
    const { id, type, envelope } = delivery.message;
    return {
      id,
      status,
      owner,
      leaseUntil: now,
      payloadHash: delivery.payloadHash,
      type,
      // Only stamped messages join their producer stream in the claims index (loss audit).
      ...(envelope ? { producer: envelope.producer, seq: envelope.seq } : {}),
      ...(outcome === undefined ? {} : { outcome }),
      claimedAt: now,
      ...(completedAt === undefined ? {} : { completedAt }),
      expiresAt: Math.floor(now / 1000) + this.deps.claimTtlSeconds,
    };
  }

  handlerContext(
    delivery: ValidDelivery,
    batch: BatchFacts,
    fields: Fields,
    schedule: (step: () => Promise<void>) => unknown,
  ): HandlerContext {
    const { telemetry } = this.deps;
    return {
      message: delivery.message,
      mode: this.deps.mode,
      remainingTimeMs: () => batch.remainingTimeMs(),
      async nonCore(step, run) {
        if (batch.degradation === 'critical') {
          telemetry.count('Skipped');
          telemetry.log('info', 'non-core step skipped under critical degradation', { ...fields, step });
          return;
        }
        await schedule(async () => {
          try {
            await run();
          } catch (error) {
            telemetry.log('warn', 'non-core step failed', { ...fields, step, error: describeError(error) });
          }
        });
      },
    };
  }
}

function receiveCount(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count > 0 ? count : 1;
}

function messageFields(message: Partial<MessageInfo>): Fields {
  const { id, type, format, envelope } = message;
  return {
    ...(id === undefined ? {} : { id }),
    ...(type === undefined ? {} : { type }),
    ...(format === undefined ? {} : { format }),
    ...(envelope ? { producer: envelope.producer, seq: envelope.seq } : {}),
  };
}

/**
 * Poison is a warning; duplicates and rejections are worth a line each; an applied message is the
 * common case, counted by the `Processed` metric and logged at debug level only, so a busy consumer
 * does not pay CloudWatch Logs ingestion for a line per message.
 */
function logLevelOf(outcome: RecordOutcome): 'warn' | 'info' | 'debug' {
  if (outcome.kind === 'poisoned') return 'warn';
  return outcome.kind === 'processed' ? 'debug' : 'info';
}
