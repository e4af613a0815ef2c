/**
 * The compensation sweep, the second half of the two-way acknowledgement: an item SQS accepted
 * (SENT) counts as done only once the consumer's claim says COMPLETED or REJECTED. Items without
 * such a claim by their deadline are published again, a bounded number of times; then they are
 * marked EXHAUSTED and a metric fires so that a human looks.
 *
 * Re-sends carry a fresh MessageDeduplicationId (`<id>-c<attempt>`): on FIFO queues the original
 * id would be swallowed by the five-minute deduplication window. The envelope id is unchanged, so
 * the consumer's claim still applies the event at most once.
 */

import { PIPELINE_METRICS } from '../pipeline-metrics.js';
import { describeError, SILENT_TELEMETRY, type Telemetry } from '../telemetry.js';
import type { BatchingSender } from './batching-sender.js';
import { DEFAULT_COMPENSATION_DEADLINE_MS, envelopeOf } from './outbox-item.js';
import type { ClaimStatusReader, OutboxItem, OutboxStore, ProducerClock } from './ports.js';
import { systemProducerClock } from './ports.js';
import { toQueueMessage } from './queue-message.js';
import { settleAll } from './settle-all.js';

/** What a compensation sweep reads, sends through, and how patiently. */
export interface CompensationSweepOptions {
  readonly store: OutboxStore;
  readonly claims: ClaimStatusReader;
  readonly sender: BatchingSender;
  readonly fifo: boolean;
  /** An item is overdue this long after it was sent (and again this long after each re-send). @default 300_000 */
  readonly deadlineMs?: number;
  /** Re-sends per item before it is marked EXHAUSTED. @default 3 */
  readonly maxAttempts?: number;
  /** Items per sweep. @default 500 */
  readonly limit?: number;
  readonly clock?: ProducerClock;
  /** Counts and logs; flushed at the end of every sweep. @default SILENT_TELEMETRY */
  readonly telemetry?: Telemetry;
}

/** What one compensation sweep did. */
export interface CompensationReport {
  readonly examined: number;
  /** The consumer acknowledged them (claim COMPLETED or REJECTED); marked COMPLETED. */
  readonly acknowledged: number;
  readonly republished: number;
  readonly exhausted: number;
  /** Re-sends SQS refused even after retries; the next sweep tries them again. */
  readonly failed: number;
}

/**
 * Sweeps SENT outbox items older than the deadline.
 *
 * @example
 * const report = await compensateUnacknowledged({ store, claims, sender, fifo: false, deadlineMs: 300_000 });
 */
export async function compensateUnacknowledged(
  options: CompensationSweepOptions,
): Promise<CompensationReport> {
  const clock = options.clock ?? systemProducerClock;
  const now = clock.now();
  const deadlineMs = options.deadlineMs ?? DEFAULT_COMPENSATION_DEADLINE_MS;
  const items = await options.store.listByStatus('SENT', now - deadlineMs, options.limit ?? 500);
  // First re-send: the deadline counts from the send. Later ones: from the previous re-send, as
  // recorded in nextAttemptAt by this sweep (with its own deadline).
  const due = (item: OutboxItem) =>
    item.attempts === 0 ? (item.sentAt ?? item.createdAt) + deadlineMs <= now : item.nextAttemptAt <= now;
  return compensateItems(items, options, due);
}

/**
 * Re-publishes specific envelopes from the outbox/send log, e.g. ids the auditor reported missing.
 * Items the consumer already acknowledged are only marked COMPLETED.
 *
 * @example
 * const { republished, notFound } = await republishFromOutbox(missingIds, { store, claims, sender, fifo: false });
 */
export async function republishFromOutbox(
  ids: readonly string[],
  options: CompensationSweepOptions,
): Promise<CompensationReport & { notFound: string[] }> {
  const stored = await options.store.get(ids);
  const found = new Set(stored.map((item) => item.id));
  // PENDING items are the relay's; COMPLETED and EXHAUSTED ones need no (automatic) re-send.
  const report = await compensateItems(
    stored.filter((item) => item.status === 'SENT'),
    options,
    () => true,
  );
  return { ...report, notFound: ids.filter((id) => !found.has(id)) };
}

async function compensateItems(
  items: readonly OutboxItem[],
  options: CompensationSweepOptions,
  due: (item: OutboxItem) => boolean,
): Promise<CompensationReport> {
  const clock = options.clock ?? systemProducerClock;
  const deadlineMs = options.deadlineMs ?? DEFAULT_COMPENSATION_DEADLINE_MS;
  const maxAttempts = options.maxAttempts ?? 3;
  const telemetry = options.telemetry ?? SILENT_TELEMETRY;
  const statuses = items.length > 0 ? await options.claims.statuses(items.map(statusQuery)) : new Map();
  let acknowledged = 0;
  let republished = 0;
  let exhausted = 0;
  let failed = 0;
  try {
    await settleAll(items, async (item) => {
      const claim = statuses.get(item.id);
      if (claim === 'COMPLETED' || claim === 'REJECTED') {
        if (await options.store.update(item.id, 'SENT', { status: 'COMPLETED', outcome: claim }))
          acknowledged += 1;
        return;
      }
      if (!due(item)) return;
      if (item.attempts >= maxAttempts) {
        if (await options.store.update(item.id, 'SENT', { status: 'EXHAUSTED' })) exhausted += 1;
        return;
      }
      const attempt = item.attempts + 1;
      const envelope = envelopeOf(item);
      try {
        await options.sender.send(toQueueMessage(envelope, options.fifo, `${envelope.id}-c${attempt}`));
      } catch (error) {
        // The next sweep tries again (attempts unchanged); said out loud, since this is the last
        // line of defence against a lost message.
        failed += 1;
        telemetry.log('error', 'compensation re-send failed', {
          id: item.id,
          attempt,
          error: describeError(error),
        });
        return;
      }
      await options.store.update(item.id, 'SENT', {
        attempts: attempt,
        nextAttemptAt: clock.now() + deadlineMs,
      });
      republished += 1;
    });
  } finally {
    // Counted even when some items failed, so the metric never hides behind an error.
    telemetry.count(PIPELINE_METRICS.compensationExhausted, exhausted);
    telemetry.count('CompensationRepublished', republished);
    telemetry.count('CompensationSendFailed', failed);
    telemetry.flush();
  }
  return { examined: items.length, acknowledged, republished, exhausted, failed };
}

function statusQuery(item: OutboxItem): { id: string; producer: string; seq: number } {
  const { producer, seq } = envelopeOf(item);
  return { id: item.id, producer, seq };
}
