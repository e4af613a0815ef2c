/**
 * The loss auditor's vocabulary and the ports it works through. The auditor depends only on the
 * table contracts (packages/runtime/src/core/tables.ts) and the envelope, never on the producer or consumer code.
 */
import type { Envelope } from '../envelope.js';
import type { ClaimStatus } from '../tables.js';

/** One producer stream as the leases table knows it. */
export interface ProducerStream {
  /** Producer stream id (`<workerId>-<epoch>`), the `producer` of its envelopes. */
  readonly producer: string;
  /**
   * The stream's high-water mark: for a live stream the highest number *reserved* (producers
   * reserve blocks ahead), for a closed one its final mark. No delivered seq is ever above it.
   */
  readonly highWater: number;
  /** A closed stream gets no new sequence numbers: once confirmed up to `highWater` it is done. */
  readonly closed: boolean;
  /**
   * True when every seq up to `highWater` was stamped (a stream closed by release or fencing, which
   * record the last stamped number). Otherwise the tail above the last claim may be reserved but
   * never stamped, so a tail seq counts as overdue only with proof it was stamped (an outbox item).
   */
  readonly exactHighWater: boolean;
  /** Seqs stamped but never to be delivered (the producer voided them): never missing. */
  readonly voided: readonly number[];
}

/** What the claims index says about one consumed (or being consumed) message. */
export interface StreamClaim {
  readonly seq: number;
  readonly id: string;
  /** Absent when the index does not project it; then the claim counts as consumed. */
  readonly status: ClaimStatus | undefined;
  /** Epoch ms the consumer first claimed it (claimedAt, else completedAt); undefined when unknown. */
  readonly claimedAt: number | undefined;
}

/** A sequence number the auditor has not seen confirmed yet. */
export interface OpenSeq {
  readonly seq: number;
  /**
   * Epoch ms from which the message should have been consumed: the claim time of a later message of
   * the stream, the first time the auditor saw the high-water mark cover it, or the last re-publish.
   */
  readonly since: number;
  /** Re-publish attempts so far. */
  readonly attempts: number;
}

/** A high-water mark the auditor observed, so tail loss ages from the moment it was first seen. */
export interface TailObservation {
  readonly highWater: number;
  readonly at: number;
}

/**
 * The per-stream checkpoint (control table item `audit#<producer>`). Every seq <= `scannedSeq` is
 * either confirmed consumed or listed in `open`, so a run only reads claims above `scannedSeq` plus
 * the open ones: its cost follows the new claims, not the stream's history.
 */
export interface StreamCheckpoint {
  readonly producer: string;
  readonly scannedSeq: number;
  readonly open: readonly OpenSeq[];
  readonly tail: readonly TailObservation[];
  /** Set once a closed stream is confirmed up to its final high-water mark. */
  readonly done: boolean;
  /** Optimistic-concurrency version; two auditors never overwrite each other's progress. */
  readonly version: number;
}

/** The highest seq below which everything is confirmed consumed (the "checkpoint"). */
export function confirmedSeq(checkpoint: StreamCheckpoint): number {
  const lowestOpen = Math.min(...checkpoint.open.map((entry) => entry.seq));
  return Number.isFinite(lowestOpen) ? lowestOpen - 1 : checkpoint.scannedSeq;
}

/**
 * Where a message the claims do not confirm actually is. Only `missing` is loss:
 * - `in-flight`: a consumer holds an IN_PROGRESS claim, or the queue holds messages the auditor
 *   cannot see (received by a consumer, delayed) and the message could be one of them;
 * - `queued`: seen waiting in the source queue;
 * - `dead-lettered`: seen in the dead-letter queue;
 * - `unsent`: still PENDING in the outbox (the relay has not sent it);
 * - `missing`: none of the above - the broker or a producer lost it.
 */
export type Classification = 'in-flight' | 'queued' | 'dead-lettered' | 'unsent' | 'missing';

export const CLASSIFICATIONS: readonly Classification[] = [
  'in-flight',
  'queued',
  'dead-lettered',
  'unsent',
  'missing',
];

/** Identity of a message in a stream; `${producer}#${seq}`. */
export type StreamSeqKey = string;
export const streamSeqKey = (producer: string, seq: number): StreamSeqKey => `${producer}#${seq}`;

/** An outbox item found for a (producer, seq). */
export interface OutboxRecord {
  readonly envelope: Envelope;
  readonly status: string;
}

/** What a peek at a queue revealed. */
export interface QueueSighting {
  /** (producer, seq) of the messages seen. */
  readonly seen: ReadonlySet<StreamSeqKey>;
  /**
   * False when the queue may hold messages the peek could not see (in flight, delayed, or more
   * than the peek budget): a message not seen might still be there.
   */
  readonly complete: boolean;
  /** The queue's message retention period: nothing older than this can still be in it. */
  readonly retentionMs: number;
}

/** One message the audit found unconfirmed past the grace period. */
export interface AuditFinding {
  readonly producer: string;
  readonly seq: number;
  readonly classification: Classification;
  /** Envelope id when known (claim, outbox or queue sighting). */
  readonly id?: string;
  /** For `missing`: what compensation did. */
  readonly compensation?: 'republished' | 'exhausted' | 'unrecoverable' | 'skipped';
}

/** One producer stream in an audit report. */
export interface StreamAuditSummary {
  readonly producer: string;
  readonly confirmedSeq: number;
  readonly highWater: number;
  /** Claims read from the index in this run (the run's cost driver). */
  readonly claimsRead: number;
  /** Unconfirmed seqs still inside the grace period. */
  readonly pending: number;
  /** The checkpoint changed concurrently (another auditor); this run's progress was dropped. */
  readonly conflicted?: boolean;
}

/** The outcome of one audit run; stored in the control table and printed by the CLI. */
export interface AuditReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly graceSeconds: number;
  readonly counts: Readonly<Record<Classification, number>>;
  readonly republished: number;
  readonly compensationExhausted: number;
  /** Missing messages without an outbox envelope to re-publish from. */
  readonly unrecoverable: number;
  readonly streams: readonly StreamAuditSummary[];
  /** Findings, capped so the stored report stays small; `findingsTruncated` says when. */
  readonly findings: readonly AuditFinding[];
  readonly findingsTruncated: boolean;
}

/** Reads streams, claims and outbox items, and keeps checkpoints and the last report. */
export interface AuditStore {
  /** Every producer stream the leases table knows: current streams and closed ones. */
  listStreams(): Promise<ProducerStream[]>;
  /** Producers with a checkpoint that is not done (streams a lease may no longer mention). */
  listOpenCheckpoints(): Promise<StreamCheckpoint[]>;
  loadCheckpoint(producer: string): Promise<StreamCheckpoint | undefined>;
  /** Writes `checkpoint` if the stored version is still `expectedVersion`; false on a conflict. */
  saveCheckpoint(checkpoint: StreamCheckpoint, expectedVersion: number | undefined): Promise<boolean>;
  /** Claims of `producer` with seq > `afterSeq`, ascending, at most `limit`. */
  claimsAfter(producer: string, afterSeq: number, limit: number): Promise<StreamClaim[]>;
  /** Claims of `producer` with `from <= seq <= to`, ascending. */
  claimsBetween(producer: string, from: number, to: number): Promise<StreamClaim[]>;
  /** Outbox items for the wanted (producer, seq) keys; missing keys are absent from the map. */
  findOutbox(wanted: ReadonlySet<StreamSeqKey>): Promise<Map<StreamSeqKey, OutboxRecord>>;
  saveReport(report: AuditReport): Promise<void>;
  loadReport(): Promise<AuditReport | undefined>;
}

/** Looks into the source queue and the DLQ without consuming. */
export interface QueueInspector {
  /** Peeks `queue` for the wanted messages; called only when unconfirmed messages exist. */
  sight(queue: 'source' | 'dead-letter', wanted: ReadonlySet<StreamSeqKey>): Promise<QueueSighting>;
}

/** Sends an envelope again, unchanged (same id, producer, seq). */
export interface Republisher {
  republish(envelope: Envelope, attempt: number): Promise<void>;
}
