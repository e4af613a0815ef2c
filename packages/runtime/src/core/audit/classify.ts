/**
 * Classification of an overdue message: where is it, if not consumed? The rule is "no false
 * positives": a message is `missing` only when every place it could still be was ruled out.
 */
import type { Classification, OutboxRecord, QueueSighting } from './audit-model.js';

/** What the auditor learned about one overdue message. */
export interface Evidence {
  /** Epoch ms since which the message is overdue (see OpenSeq.since). */
  readonly since: number;
  readonly now: number;
  readonly outbox: OutboxRecord | undefined;
  readonly seenInSource: boolean;
  readonly seenInDeadLetter: boolean;
  /** What the peeks saw; a queue that could not be inspected is an incomplete sighting. */
  readonly source: QueueSighting;
  readonly deadLetter: QueueSighting;
}

/** `consumed` means the outbox already records the consumer's acknowledgement. */
export function classify(evidence: Evidence): Classification | 'consumed' {
  if (evidence.seenInDeadLetter) return 'dead-lettered';
  if (evidence.seenInSource) return 'queued';
  const outboxStatus = evidence.outbox?.status;
  if (outboxStatus === 'COMPLETED') return 'consumed';
  if (outboxStatus === 'PENDING') return 'unsent';
  // A queue the peek could not see completely may still hold it - until its retention period has
  // passed, after which SQS itself has deleted every message that old.
  const age = evidence.now - evidence.since;
  for (const queue of [evidence.source, evidence.deadLetter]) {
    if (!queue.complete && age < queue.retentionMs) return 'in-flight';
  }
  return 'missing';
}
