/**
 * Names shared by the tables' definitions (the CDK constructs), the runtime and the tools (the CLI):
 * key attributes, index names, item states. Every table has a string partition key named `pk`.
 */

/** The partition key attribute of every Oncely table (a string). */
export const PARTITION_KEY = 'pk';

/**
 * Claims table: one item per message id (`pk` = envelope id).
 * Attributes: status, owner, leaseUntil (epoch ms), payloadHash, type, producer, seq, outcome,
 * claimedAt / completedAt (epoch ms), expiresAt (epoch seconds, the TTL attribute).
 */
export const CLAIMS = {
  /** GSI: partition `producer` (S), sort `seq` (N); the auditor walks each producer stream with it. */
  byProducerIndex: 'byProducer',
  ttlAttribute: 'expiresAt',
  /**
   * Consumption-log items (messages whose claim rides on a business item): `pk` =
   * `log#<producer>#<seq>`, `producer`, `seq` = the lowest seq of the item, `seqs` (number set) =
   * the consumed seqs, all within `logSpan` of `seq`, so the auditor finds every seq s in the index
   * between s - logSpan + 1 and s.
   */
  logKey: (producer: string, seq: number) => `log#${producer}#${seq}`,
  logSpan: 4096,
} as const;

/** The map attribute that carries a claim on a business item (see EventHandler.claimOn). */
export const CLAIM_ATTRIBUTE = 'oncely';

/** A claim's state: IN_PROGRESS while a delivery holds it (claim mode), then COMPLETED or REJECTED for good. */
export type ClaimStatus = 'IN_PROGRESS' | 'COMPLETED' | 'REJECTED';

/**
 * Outbox table: one item per event (`pk` = envelope id). Attributes: envelope (JSON string),
 * status, createdAt / sentAt / nextAttemptAt (epoch ms), attempts, expiresAt (TTL, epoch seconds).
 */
export const OUTBOX = {
  /** GSI: partition `status` (S), sort `createdAt` (N); the relay and compensation sweeps read it. */
  byStatusIndex: 'byStatus',
  ttlAttribute: 'expiresAt',
} as const;

/** PENDING: committed, not yet acknowledged by SQS. SENT: SQS acknowledged, consumer not yet seen. */
export type OutboxStatus = 'PENDING' | 'SENT' | 'COMPLETED' | 'EXHAUSTED';

/**
 * Producer leases table: `pk` = `worker#<workerId>`. Attributes: workerId (N), epoch (N), holder,
 * leaseUntil (epoch ms), highWater (N, the highest sequence number stamped in this epoch's stream),
 * stream (the producer stream id `<workerId>-<epoch>`), plus a history of closed streams for the auditor.
 *
 * highWater is raised in reserved blocks *before* the numbers are stamped, so while a stream is
 * open it may exceed the last stamped number. The history lives on the same item, as three maps
 * keyed by stream id (written by packages/runtime/src/adapters/dynamodb-lease-store.ts):
 * - `closedStreams`: stream -> final highWater;
 * - `closedBy`: stream -> `release` | `fenced` (final highWater = last stamped number, exact: the
 *   reserved rest is void) | `takeover` (the holder vanished; final highWater = its last
 *   reservation, so numbers above the last one delivered may never have been stamped);
 * - `voided`: stream -> list of seqs stamped but never to be delivered (never "missing").
 * On release the item keeps no `stream`/`holder` and leaseUntil = 0 (free at once).
 */
export const LEASES = {
  itemKey: (workerId: number) => `worker#${workerId}`,
} as const;

/** How a producer stream was closed (the `closedBy` map of a lease item). */
export type StreamClosure = 'release' | 'fenced' | 'takeover';

/** Control table: small items read by every consumer, e.g. the degradation level. */
export const CONTROL = {
  degradationKey: 'degradation',
  auditCheckpointKey: (producer: string) => `audit#${producer}`,
  /** The last audit report (JSON), read by `oncely status`; `-` keeps it apart from checkpoints. */
  auditReportKey: 'audit-report',
} as const;

/** How much non-core work consumers skip: `critical` skips every `nonCore` step. */
export type DegradationLevel = 'normal' | 'elevated' | 'critical';
