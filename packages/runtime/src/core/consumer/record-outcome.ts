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
