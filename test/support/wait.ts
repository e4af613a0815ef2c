/**
 * Waits for a condition with a deadline, for tests that observe another process or the local
 * cloud's background work (event source mappings, schedules). Polls without sleeping on a fixed
 * delay the test depends on: the deadline only bounds a failure, and its message says what was
 * awaited. A check returns false for "not yet" and throws to fail at once. Never use it to let time pass; drive time through an injected clock instead.
 */
import { setTimeout as delay } from 'node:timers/promises';

export async function waitFor(
  what: string,
  deadlineMs: number,
  check: () => boolean | Promise<boolean>,
  pollMs = 100,
): Promise<void> {
  const started = Date.now();
  // A check that throws fails the wait at once: "not yet" is `false`, not an error.
  while (!(await check())) {
    if (Date.now() - started > deadlineMs)
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await delay(pollMs);
  }
}
