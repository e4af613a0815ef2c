import type { PoisonReason } from './ports.js';

/** What became of one record. The first four are acknowledged; the last two are item failures. */
export type RecordOutcome =
  | { readonly kind: 'processed' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'poisoned'; readonly reason: PoisonReason }
  | {
      readonly kind: 'retry';
      readonly reason: string;
      /** Visibility timeout to set before the retry; undefined leaves the queue's own. */
      readonly delaySeconds: number | undefined;
    }
  | { readonly kind: 'poison-undelivered'; readonly reason: PoisonReason; readonly delaySeconds: number }
  /**
   * Too large to copy to the DLQ with its reason: the reason is recorded there, and the message is
   * failed at once, again and again, until SQS's redrive policy moves it (body intact) to the DLQ.
   */
  | { readonly kind: 'poison-left-for-redrive'; readonly reason: PoisonReason; readonly delaySeconds: 0 };

type ItemFailure = Extract<
  RecordOutcome,
  { kind: 'retry' | 'poison-undelivered' | 'poison-left-for-redrive' }
>;

export function isItemFailure(outcome: RecordOutcome): outcome is ItemFailure {
  return (
    outcome.kind === 'retry' ||
    outcome.kind === 'poison-undelivered' ||
    outcome.kind === 'poison-left-for-redrive'
  );
}

/**
 * True when an outcome holds the rest of its FIFO message group back. A poison message left for
 * SQS's redrive is never applied and its reason is in the DLQ, so, like one the DLQ took, it does
 * not (holding the group would spend the receives of the messages behind it too, and dead-letter
 * them without a reason).
 */
export function holdsGroupBack(outcome: RecordOutcome): boolean {
  return isItemFailure(outcome) && outcome.kind !== 'poison-left-for-redrive';
}

/** The outcome of a message behind a failed one in its FIFO group: retried with the same delay. */
export function behindFailure(failure: RecordOutcome): RecordOutcome {
  // Same delay as the failed message: a FIFO group stays locked while any of it is in flight.
  const delaySeconds = 'delaySeconds' in failure ? failure.delaySeconds : undefined;
  return { kind: 'retry', reason: 'earlier-message-in-group-failed', delaySeconds };
}
