/**
 * The ports the consumer core talks through. Adapters (packages/runtime/src/adapters) implement them with the
 * AWS SDK; unit tests implement them in memory. Nothing here knows about DynamoDB wire formats.
 */
import type { ClaimStatus, DegradationLevel } from '../tables.js';
import type { TransactionWrite } from '../transaction-write.js';

/** A claims-table item as the core sees it. */
export interface ClaimRecord {
  /** The claim key (the item's partition key): the envelope id, or a key function's result. */
  readonly id: string;
  readonly status: ClaimStatus;
  /** Random token of the delivery that holds (or held) the claim; fences completion and release. */
  readonly owner: string;
  /** Epoch ms after which an IN_PROGRESS claim may be taken over. */
  readonly leaseUntil: number;
  /** sha256 hex of the canonical payload JSON. */
  readonly payloadHash: string;
  readonly type: string;
  /** The producer stream and sequence number; only stamped (Oncely) messages have them. */
  readonly producer?: string;
  readonly seq?: number;
  /** What happened: `processed`, or the rejection reason. */
  readonly outcome?: string;
  readonly claimedAt: number;
  readonly completedAt?: number;
  /** TTL, epoch seconds. */
  readonly expiresAt: number;
}

/** Why one action of a cancelled transaction failed, as DynamoDB reports it. */
export interface CancellationReason {
  /** `None`, `ConditionalCheckFailed`, `TransactionConflict`, `ThrottlingError`, ... */
  readonly code: string;
  readonly message?: string;
  /** The item as it was, when the action asked for ALL_OLD and the store returned it. */
  readonly item?: ClaimRecord;
  /** The same old item as plain attributes, for actions on business items (claims on records). */
  readonly oldItem?: Readonly<Record<string, unknown>>;
}

/** The result of {@link ClaimStore.tryClaim}. */
export type ClaimAttempt =
  | { readonly kind: 'claimed' }
  /** The condition failed; `existing` is the old item when the store returned it (ALL_OLD). */
  | { readonly kind: 'taken'; readonly existing: ClaimRecord | undefined };

/** The result of {@link ClaimStore.commit}. */
export type CommitResult =
  | { readonly kind: 'committed' }
  /** The whole transaction was cancelled; one reason per action, the claim (if any) first. */
  | { readonly kind: 'cancelled'; readonly reasons: readonly CancellationReason[] };

/** The claims table (and the transactions that include a claim). */
export interface ClaimStore {
  /**
   * Conditional put of an IN_PROGRESS claim:
   * `attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)`.
   */
  tryClaim(claim: ClaimRecord, now: number): Promise<ClaimAttempt>;
  /** Marks the claim COMPLETED or REJECTED, only if `owner` still holds it. False when fenced out. */
  finish(
    id: string,
    owner: string,
    status: 'COMPLETED' | 'REJECTED',
    outcome: string,
    now: number,
  ): Promise<boolean>;
  /** Deletes the claim, only if `owner` still holds it, so the next delivery can claim at once. */
  release(id: string, owner: string): Promise<boolean>;
  /**
   * One TransactWriteItems: the claim (when given, put with the claim condition and ALL_OLD on
   * failure) followed by `writes`. Any other error (network, throttling of the call) is thrown.
   */
  commit(
    claim: ClaimRecord | undefined,
    writes: readonly TransactionWrite[],
    now: number,
  ): Promise<CommitResult>;
  /** Strongly consistent read, for stores that do not return the old item on a failed condition. */
  read(id: string): Promise<ClaimRecord | undefined>;
}

/** A claim as it rides on a business item (the `oncely` map attribute; see EventHandler.claimOn). */
export interface RecordClaim {
  /** The message's claim key (the envelope id). */
  readonly id: string;
  readonly status: 'COMPLETED' | 'REJECTED';
  /** `processed`, or the rejection reason. */
  readonly outcome: string;
  readonly payloadHash: string;
  readonly type: string;
  readonly producer?: string;
  readonly seq?: number;
  /** Epoch ms of the commit. */
  readonly completedAt: number;
}

/** The result of {@link RecordClaimStore.putClaimOnly}. */
export type RecordClaimAttempt =
  | { readonly kind: 'written' }
  /** Something already lives at the key; `existing` is that item when the store returned it. */
  | { readonly kind: 'taken'; readonly existing: Readonly<Record<string, unknown>> | undefined };

/**
 * What batch commits with claims on business items need beyond {@link ClaimStore}: transactions of
 * plain writes, consistent counter reads, claim-only items, and the consumption log the auditor reads.
 */
export interface RecordClaimStore {
  /** One TransactWriteItems of `writes`; cancellation reasons carry the old items (ALL_OLD). */
  transact(writes: readonly TransactionWrite[]): Promise<CommitResult>;
  /**
   * Strongly consistent read of numeric attributes of one item: a map of attribute -> value
   * (undefined when the attribute is absent or not a number); undefined when the item is absent.
   */
  readNumbers(
    target: { readonly TableName: string; readonly Key: Readonly<Record<string, unknown>> },
    attributes: readonly string[],
  ): Promise<Map<string, number | undefined> | undefined>;
  /** Strongly consistent read of one item; undefined when absent. */
  readItem(target: {
    readonly TableName: string;
    readonly Key: Readonly<Record<string, unknown>>;
  }): Promise<Readonly<Record<string, unknown>> | undefined>;
  /** Puts an item holding only the key and the claim, if nothing lives at the key yet. */
  putClaimOnly(
    target: { readonly TableName: string; readonly Key: Readonly<Record<string, unknown>> },
    claim: RecordClaim,
  ): Promise<RecordClaimAttempt>;
  /**
   * Adds `seqs` (all within CLAIMS.logSpan of the lowest) of `producer` to the consumption log: one
   * item keyed by the lowest seq, indexed like a claim, merged with what is already there.
   */
  logConsumed(producer: string, seqs: readonly number[], now: number): Promise<void>;
}

/** True when a claim store can also commit batches with claims on business items. */
export function isRecordClaimStore(store: object): store is RecordClaimStore {
  const candidate = store as Partial<RecordClaimStore>;
  return (
    typeof candidate.transact === 'function' &&
    typeof candidate.readNumbers === 'function' &&
    typeof candidate.readItem === 'function' &&
    typeof candidate.putClaimOnly === 'function' &&
    typeof candidate.logConsumed === 'function'
  );
}

/** What the consumer needs from the queue service, beyond returning batchItemFailures. */
export interface MessageActions {
  /**
   * Sends a poison message to the dead-letter queue with the poison attributes. Resolves only once
   * the DLQ accepted it; rejects otherwise. Resolves `reason-only` when the body and the reason do
   * not fit in one message: the DLQ then holds a bounded reason record (see
   * {@link REASON_RECORD_ATTRIBUTE}) and the message itself must stay in its queue for SQS's redrive
   * policy to move it, body and attributes unchanged.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: existing adapters that return Promise<void> mean `copied`.
  sendToDeadLetter(message: PoisonDelivery): Promise<DeadLetterSend | undefined | void>;
  /** Sets a received message's visibility timeout, so its retry comes after a backoff. */
  changeVisibility(record: SqsRecordRef, visibilityTimeoutSeconds: number): Promise<void>;
}

/**
 * What the DLQ took: `copied` (the default when nothing is said), the message with its reason; or
 * `reason-only`, a record of the reason, the body being left for SQS's redrive policy to move.
 */
export type DeadLetterSend = 'copied' | 'reason-only';

/**
 * Marks a DLQ message that only records why another message (the attribute's value, its SQS
 * message id) is poison; SQS's redrive moves that message to the DLQ under the same id.
 */
export const REASON_RECORD_ATTRIBUTE = 'oncely.poison.reasonRecordOf';

/** The parts of an SQS record the queue adapter needs. */
export interface SqsRecordRef {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly eventSourceARN: string;
}

/** A poison message on its way to the DLQ: the record as delivered, and why. */
export interface PoisonDelivery {
  readonly record: SqsRecordRef & {
    readonly body: string;
    readonly messageAttributes: Readonly<Record<string, SqsMessageAttribute>>;
    readonly messageGroupId: string | undefined;
    readonly receiveCount: number;
  };
  readonly reason: PoisonReason;
  readonly error: string;
}

/** A message attribute as Lambda delivers it in an SQS event. */
export interface SqsMessageAttribute {
  readonly stringValue?: string | undefined;
  readonly binaryValue?: string | undefined;
  readonly dataType: string;
}

/** Why a message is poison, as the `oncely.poison.reason` attribute of its DLQ copy says (see docs/consumer.md and docs/interop.md). */
export type PoisonReason =
  | 'body-not-json'
  | 'envelope-invalid'
  | 'unknown-type'
  | 'payload-invalid'
  | 'id-reused-with-other-payload'
  | 'key-invalid';

/** Reads the pipeline's degradation level (the control table item). */
export interface DegradationReader {
  read(): Promise<DegradationLevel>;
}

/** Metric names the consumer emits through its Telemetry. */
export type ConsumerMetric =
  | 'ProcessingLatency'
  | 'Processed'
  | 'Duplicates'
  | 'Rejected'
  | 'Poisoned'
  | 'Retried'
  | 'ClaimConflicts'
  | 'Skipped';
