/**
 * The demo's time scale, shared by CloudWatch and EventBridge: with `timeScale: 30` a 60-second
 * alarm period or a `rate(1 minute)` schedule takes 2 seconds of clock time. Timestamps stay on
 * the real clock; only durations shrink.
 */
import type { Clock } from '../clock.js';

export class ScaledTime {
  private readonly base: number;

  constructor(
    readonly clock: Clock,
    /** How many times faster than real time periods and schedules run. @default 1 */
    readonly timeScale = 1,
  ) {
    if (!(timeScale > 0)) throw new Error(`timeScale must be positive, got ${timeScale}`);
    this.base = clock.now();
  }

  now(): number {
    return this.clock.now();
  }

  /** Clock milliseconds a nominal duration takes at this scale (at least 1). */
  scaled(nominalMs: number): number {
    return Math.max(1, nominalMs / this.timeScale);
  }

  /** Scheduling time: starts at the clock's time and runs `timeScale` times faster. */
  virtualNow(): number {
    return this.base + (this.clock.now() - this.base) * this.timeScale;
  }
}
