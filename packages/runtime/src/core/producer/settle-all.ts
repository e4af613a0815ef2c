/** Waiting for a sweep's per-item work so that one failing item never abandons the others. */

/**
 * Runs `work` for every item and waits for all of them; afterwards rethrows the first failure (an
 * AggregateError when several failed), so a scheduled sweep still reports that it failed.
 */
export async function settleAll<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map(work));
  const errors = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as unknown] : [],
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} of ${items.length} items failed`);
}
