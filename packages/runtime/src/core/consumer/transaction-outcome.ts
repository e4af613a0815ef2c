import type { TransactionWrite } from '../transaction-write.js';
import type { CancellationReason } from './ports.js';

/**
 * What a cancelled TransactWriteItems means. DynamoDB reports one reason per action, in request
 * order: `None` for actions that were fine, `ConditionalCheckFailed`, `TransactionConflict`,
 * `ThrottlingError`, `ProvisionedThroughputExceeded`, ...
 */
export type CancellationVerdict =
  /** The claim's condition failed: another delivery got there first (look at `existing`). */
  | { readonly kind: 'claim-taken'; readonly reason: CancellationReason }
  /** A business condition failed: recorded as REJECTED, never retried. */
  | { readonly kind: 'rejected'; readonly reason: string }
  /** Contention, throttling or anything unexpected: retry later. */
  | { readonly kind: 'retry'; readonly reason: string };

/**
 * Classifies cancellation reasons. `hasClaim` says whether the first action is the claim.
 * A contended claim is retried even if a business condition also failed, because the business
 * state may belong to the concurrent delivery of the same message.
 */
export function classifyCancellation(
  reasons: readonly CancellationReason[],
  writes: readonly TransactionWrite[],
  hasClaim: boolean,
): CancellationVerdict {
  const offset = hasClaim ? 1 : 0;
  if (hasClaim) {
    const claim = reasons[0];
    if (claim?.code === 'ConditionalCheckFailed') return { kind: 'claim-taken', reason: claim };
    if (claim && claim.code !== 'None') return { kind: 'retry', reason: claim.code };
  }
  for (let index = offset; index < reasons.length; index += 1) {
    if (reasons[index]?.code === 'ConditionalCheckFailed')
      return { kind: 'rejected', reason: writes[index - offset]?.rejectionReason ?? 'condition-failed' };
  }
  const failed = reasons.find((reason) => reason.code !== 'None');
  return { kind: 'retry', reason: failed?.code ?? 'TransactionCanceled' };
}
