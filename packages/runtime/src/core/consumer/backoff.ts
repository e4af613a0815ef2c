/** Settings of the retry backoff. */
export interface BackoffSettings {
  /** Delay scale for the first retry, in seconds. @default 2 */
  readonly baseSeconds: number;
  /** Upper bound of any delay, in seconds (SQS allows at most 43,200). @default 900 */
  readonly capSeconds: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseSeconds: 2, capSeconds: 900 };

/** SQS's largest visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Exponential backoff with full jitter: a uniform delay in `[0, min(cap, base * 2^(n-1))]` where n
 * is the delivery's ApproximateReceiveCount. Full jitter spreads retries of a burst that failed
 * together, so they do not come back together.
 */
export function retryDelaySeconds(
  receiveCount: number,
  settings: BackoffSettings,
  random: () => number,
): number {
  const attempt = Math.max(1, Math.floor(receiveCount));
  // 2^30 already exceeds any cap; stop there so the exponent cannot overflow.
  const ceiling = Math.min(settings.capSeconds, settings.baseSeconds * 2 ** Math.min(attempt - 1, 30));
  const delay = Math.floor(random() * (ceiling + 1));
  return Math.max(0, Math.min(delay, ceiling, MAX_VISIBILITY_SECONDS));
}
