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
  | { readonly kind: 'poison-undelivered'; readonly reason: PoisonReason; readonly delaySeconds: number };

export function isItemFailure(
  outcome: RecordOutcome,
): outcome is Extract<RecordOutcome, { kind: 'retry' | 'poison-undelivered' }> {
  return outcome.kind === 'retry' || outcome.kind === 'poison-undelivered';
}
