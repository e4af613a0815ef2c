import { describe, expect, it } from 'vitest';
import {
  ClockMovedBackwardsError,
  compareSnowflakes,
  decodeSnowflake,
  MAX_SEQUENCE,
  SNOWFLAKE_EPOCH_MS,
  type SnowflakeClock,
  SnowflakeGenerator,
  SnowflakeTimeRangeError,
} from '../../packages/runtime/src/core/snowflake.js';

/** A clock that only moves when told to, or when the generator waits on it. */
class FakeClock implements SnowflakeClock {
  readonly waits: number[] = [];
  /** Readings to return before `current` (simulates the clock jumping around). */
  readonly script: number[] = [];
  constructor(public current = SNOWFLAKE_EPOCH_MS + 1_000) {}
  now(): number {
    return this.script.shift() ?? this.current;
  }
  waitUntil(ms: number): void {
    this.waits.push(ms);
    if (this.current < ms) this.current = ms;
  }
}

describe('SnowflakeGenerator', () => {
  it('encodes time, worker id and sequence and decodes them back', () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0, 123));
    const ids = new SnowflakeGenerator({ workerId: 513, clock });
    ids.next();
    const second = decodeSnowflake(ids.next());
    expect(second).toMatchObject({ timestampMs: clock.current, workerId: 513, sequence: 1 });
    expect(second.time.toISOString()).toBe('2026-11-25T10:00:00.123Z');
  });

  it('returns strictly increasing ids while the clock stands still and moves on', () => {
    const clock = new FakeClock();
    const ids = new SnowflakeGenerator({ workerId: 1, clock });
    let previous = ids.nextBigInt();
    for (let i = 0; i < 20_000; i++) {
      if (i % 1_000 === 0) clock.current += 1;
      const next = ids.nextBigInt();
      expect(next > previous).toBe(true);
      previous = next;
    }
  });

  it('hands out 4,096 ids in one millisecond and then waits for the next millisecond', () => {
    const clock = new FakeClock();
    const start = clock.current;
    const ids = new SnowflakeGenerator({ workerId: 3, clock });
    const decoded = Array.from({ length: MAX_SEQUENCE + 1 }, () => decodeSnowflake(ids.next()));
    expect(new Set(decoded.map((d) => d.sequence)).size).toBe(4_096);
    expect(decoded.every((d) => d.timestampMs === start)).toBe(true);
    expect(clock.waits).toEqual([]);

    const overflow = decodeSnowflake(ids.next());
    expect(clock.waits).toEqual([start + 1]);
    expect(overflow).toMatchObject({ timestampMs: start + 1, sequence: 0 });
  });

  it('waits out a small clock rollback without repeating an id', () => {
    const clock = new FakeClock();
    const ids = new SnowflakeGenerator({ workerId: 9, clock, maxRollbackWaitMs: 10 });
    const before = ids.nextBigInt();
    const last = clock.current;
    clock.current -= 5;
    const after = ids.nextBigInt();
    expect(clock.waits).toEqual([last + 1]);
    expect(after > before).toBe(true);
    expect(decodeSnowflake(after).timestampMs).toBe(last + 1);
  });

  it('keeps waiting when the clock steps back again during the wait', () => {
    const clock = new FakeClock();
    const ids = new SnowflakeGenerator({ workerId: 9, clock, maxRollbackWaitMs: 10 });
    const before = ids.nextBigInt();
    const last = clock.current;
    // First reading is 3 ms back; after the first wait the clock reads the old millisecond again.
    clock.script.push(last - 3, last);
    const after = ids.nextBigInt();
    expect(after > before).toBe(true);
    expect(clock.waits.length).toBe(2);
  });

  it('throws ClockMovedBackwardsError for a rollback beyond the threshold and recovers afterwards', () => {
    const clock = new FakeClock();
    const ids = new SnowflakeGenerator({ workerId: 9, clock, maxRollbackWaitMs: 10 });
    const before = ids.nextBigInt();
    clock.current -= 11;
    expect(() => ids.next()).toThrow(ClockMovedBackwardsError);
    // Caught outside a try/catch, so the details are checked even if the second call stopped throwing.
    const error = captureError(() => ids.next());
    expect(error).toMatchObject({ name: 'ClockMovedBackwardsError', rollbackMs: 11, thresholdMs: 10 });
    expect(clock.waits).toEqual([]);
    clock.current += 12;
    expect(ids.nextBigInt() > before).toBe(true);
  });

  it('never repeats an id across many generators with distinct worker ids', () => {
    const clock = new FakeClock();
    const generators = Array.from(
      { length: 64 },
      (_, workerId) => new SnowflakeGenerator({ workerId, clock }),
    );
    const seen = new Set<string>();
    for (let round = 0; round < 500; round++) {
      if (round % 50 === 0) clock.current += 1;
      for (const generator of generators) seen.add(generator.next());
    }
    expect(seen.size).toBe(64 * 500);
  });

  it('rejects worker ids outside 0..1023 and clocks outside the 41-bit range', () => {
    expect(() => new SnowflakeGenerator({ workerId: 1024 })).toThrow(RangeError);
    expect(() => new SnowflakeGenerator({ workerId: -1 })).toThrow(RangeError);
    const early = new SnowflakeGenerator({ workerId: 0, clock: new FakeClock(SNOWFLAKE_EPOCH_MS - 1) });
    expect(() => early.next()).toThrow(SnowflakeTimeRangeError);
  });

  it('orders decimal ids numerically, not lexically', () => {
    expect(compareSnowflakes('99', '100')).toBeLessThan(0);
    expect(compareSnowflakes('100', '100')).toBe(0);
    expect(compareSnowflakes('101', '100')).toBeGreaterThan(0);
  });

  it('rejects malformed ids in the decoder', () => {
    expect(() => decodeSnowflake('12a')).toThrow(TypeError);
    expect(() => decodeSnowflake((1n << 63n).toString())).toThrow(RangeError);
  });

  it('generates on the system clock without waiting for rollbacks that never happen', () => {
    const ids = new SnowflakeGenerator({ workerId: 1023 });
    const batch = Array.from({ length: 10_000 }, () => ids.nextBigInt());
    for (let i = 1; i < batch.length; i++) expect(batch[i]! > batch[i - 1]!).toBe(true);
    expect(decodeSnowflake(batch[0]!).workerId).toBe(1023);
  });
});

/** What `action` throws, or undefined when it returns. */
function captureError(action: () => unknown): unknown {
  try {
    action();
    return undefined;
  } catch (error) {
    return error;
  }
}
