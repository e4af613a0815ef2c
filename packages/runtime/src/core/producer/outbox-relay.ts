/**
 * The relay sweep: publishes outbox items still PENDING (the eager publish failed, or the process
 * died between commit and publish) and marks them SENT. A crash between publish and mark-sent
 * makes the next sweep publish the item again; on FIFO queues SQS drops the copy inside its
 * five-minute deduplication window (same MessageDeduplicationId), and the consumer's claim on the
 * envelope id catches it everywhere else.
 */

import { describeError, SILENT_TELEMETRY, type Telemetry } from '../telemetry.js';
import type { BatchingSender } from './batching-sender.js';
import { DEFAULT_COMPENSATION_DEADLINE_MS, envelopeOf } from './outbox-item.js';
import type { OutboxStore, ProducerClock } from './ports.js';
import { systemProducerClock } from './ports.js';
import { toQueueMessage } from './queue-message.js';
import { settleAll } from './settle-all.js';

/** What a relay sweep reads, sends through, and how patiently. */
export interface RelaySweepOptions {
  readonly store: OutboxStore;
  readonly sender: BatchingSender;
  readonly fifo: boolean;
  /** Leave items younger than this to the eager publish. @default 5_000 */
  readonly minAgeMs?: number;
  /** Items per sweep. @default 500 */
  readonly limit?: number;
  /** Failed relay attempts before an item is marked EXHAUSTED (with a metric). @default 20 */
  readonly maxAttempts?: number;
  /** Delay before retrying a failed item; doubles per attempt. @default 10_000 */
  readonly retryBaseMs?: number;
  /** After SENT, compensation checks the claim this much later. @default 300_000 */
  readonly compensationDeadlineMs?: number;
  readonly clock?: ProducerClock;
  /** Counts and logs; flushed at the end of every sweep. @default SILENT_TELEMETRY */
  readonly telemetry?: Telemetry;
}

/** What one relay sweep did. */
export interface RelaySweepReport {
  readonly examined: number;
  readonly published: number;
  readonly failed: number;
  readonly exhausted: number;
}

/**
 * Publishes PENDING outbox items that are due and marks them SENT; a failed item is retried with backoff, then EXHAUSTED.
 *
 * @example
 * const { published } = await relayPendingOutbox({ store, sender, fifo: false, minAgeMs: 5_000 });
 */
export async function relayPendingOutbox(options: RelaySweepOptions): Promise<RelaySweepReport> {
  const clock = options.clock ?? systemProducerClock;
  const now = clock.now();
  const maxAttempts = options.maxAttempts ?? 20;
  const telemetry = options.telemetry ?? SILENT_TELEMETRY;
  const items = await options.store.listByStatus(
    'PENDING',
    now - (options.minAgeMs ?? 5_000),
    options.limit ?? 500,
  );
  const due = items.filter((item) => item.nextAttemptAt <= now);
  let published = 0;
  let failed = 0;
  let exhausted = 0;
  try {
    await settleAll(due, async (item) => {
      try {
        await options.sender.send(toQueueMessage(envelopeOf(item), options.fifo));
      } catch (error) {
        failed += 1;
        const attempts = item.attempts + 1;
        const giveUp = attempts >= maxAttempts;
        if (giveUp) exhausted += 1;
        telemetry.log(
          giveUp ? 'error' : 'warn',
          giveUp ? 'outbox item exhausted' : 'outbox relay send failed',
          {
            id: item.id,
            attempts,
            error: describeError(error),
          },
        );
        await options.store.update(item.id, 'PENDING', {
          attempts,
          nextAttemptAt: clock.now() + (options.retryBaseMs ?? 10_000) * 2 ** Math.min(attempts - 1, 10),
          ...(giveUp ? { status: 'EXHAUSTED' } : {}),
        });
        return;
      }
      const sentAt = clock.now();
      await options.store.update(item.id, 'PENDING', {
        status: 'SENT',
        sentAt,
        attempts: 0,
        nextAttemptAt: sentAt + (options.compensationDeadlineMs ?? DEFAULT_COMPENSATION_DEADLINE_MS),
      });
      published += 1;
    });
  } finally {
    // Counted even when some items failed, so the metric never hides behind an error.
    telemetry.count('OutboxRelayExhausted', exhausted);
    telemetry.count('OutboxRelayed', published);
    telemetry.count('OutboxRelayFailed', failed);
    telemetry.flush();
  }
  return { examined: due.length, published, failed, exhausted };
}
