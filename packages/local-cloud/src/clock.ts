/** Time source of the local cloud; tests and the demo's time scale swap it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The machine's clock, the default. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock the test moves by hand: visibility timeouts, delays, leases, TTLs and alarm periods pass
 * only when it is advanced.
 *
 * @example
 * const clock = new ManualClock();
 * const cloud = await startLocalCloud({ port: 0, clock });
 * clock.advance(30_000); // 30 s later, for every service
 */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.current += ms;
  }
}
