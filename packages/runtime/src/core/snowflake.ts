/**
 * Snowflake ids: 64-bit, time-ordered, unique without coordination once each generator holds a
 * distinct worker id (the producer leases one, see producer/lease-keeper.ts).
 *
 * ```
 *  63 62                                         22 21        12 11          0
 * +--+--------------------------------------------+------------+-------------+
 * | 0|  milliseconds since SNOWFLAKE_EPOCH (41 b) | worker (10)| sequence(12)|
 * +--+--------------------------------------------+------------+-------------+
 * ```
 * 41 bits of milliseconds last about 69.7 years from the epoch (until 2095-09). The sign bit stays
 * zero so the id also fits a signed 64-bit integer. Ids travel as decimal strings because JSON
 * numbers lose precision above 2^53.
 */

/** The custom epoch: 2026-01-01T00:00:00.000Z. Changing it would break the ordering of existing ids. */
export const SNOWFLAKE_EPOCH_MS = Date.UTC(2026, 0, 1);
export const WORKER_ID_BITS = 10;
export const SEQUENCE_BITS = 12;
export const TIMESTAMP_BITS = 41;
export const MAX_WORKER_ID = (1 << WORKER_ID_BITS) - 1;
export const MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1;
const MAX_TIMESTAMP = 2 ** TIMESTAMP_BITS - 1;
const TIMESTAMP_SHIFT = BigInt(WORKER_ID_BITS + SEQUENCE_BITS);

/** Time source of a generator; tests inject a fake one. */
export interface SnowflakeClock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Blocks (synchronously) until `now()` reaches `ms`. Generation is synchronous so that it can
   * reach millions of ids per second; the waits it needs are at most a few milliseconds.
   */
  waitUntil(ms: number): void;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** The system clock: sleeps the thread for longer waits, spins for the last millisecond. */
export const systemSnowflakeClock: SnowflakeClock = {
  now: () => Date.now(),
  waitUntil(ms) {
    for (let now = Date.now(); now < ms; now = Date.now()) {
      // Atomics.wait parks the thread without burning CPU; nothing ever notifies this cell.
      if (ms - now > 1) Atomics.wait(sleepCell, 0, 0, ms - now - 1);
    }
  },
};

/** The clock stepped back further than the generator is willing to wait out. */
export class ClockMovedBackwardsError extends Error {
  override readonly name = 'ClockMovedBackwardsError';
  constructor(
    /** How far the clock is behind the last id's timestamp, in milliseconds. */
    readonly rollbackMs: number,
    readonly thresholdMs: number,
  ) {
    super(
      `Clock moved backwards by ${rollbackMs} ms (more than the ${thresholdMs} ms the generator waits out); ` +
        'refusing to generate ids that could repeat',
    );
  }
}

/** The clock is outside the 41-bit range the epoch allows (before 2026 or after 2095). */
export class SnowflakeTimeRangeError extends Error {
  override readonly name = 'SnowflakeTimeRangeError';
}

/** Options of {@link SnowflakeGenerator}. */
export interface SnowflakeGeneratorOptions {
  /** 0..1023, unique among live generators (lease it; see LeaseKeeper). */
  readonly workerId: number;
  /** @default systemSnowflakeClock */
  readonly clock?: SnowflakeClock;
  /**
   * A clock rollback up to this many milliseconds is waited out; a larger one throws
   * ClockMovedBackwardsError. NTP slews small corrections; a large step means something is wrong.
   * @default 50
   */
  readonly maxRollbackWaitMs?: number;
  /** @default SNOWFLAKE_EPOCH_MS */
  readonly epochMs?: number;
}

/**
 * Generates strictly increasing Snowflake ids for one worker id.
 *
 * @example
 * const ids = new SnowflakeGenerator({ workerId: 7 });
 * ids.next(); // '7398798839191040000'
 */
export class SnowflakeGenerator {
  readonly workerId: number;
  private readonly clock: SnowflakeClock;
  private readonly maxRollbackWaitMs: number;
  private readonly epochMs: number;
  private readonly workerBits: number;
  private lastMs = -1;
  private sequence = 0;

  constructor(options: SnowflakeGeneratorOptions) {
    const { workerId } = options;
    if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER_ID)
      throw new RangeError(`workerId must be an integer in 0..${MAX_WORKER_ID}, got ${workerId}`);
    this.workerId = workerId;
    this.clock = options.clock ?? systemSnowflakeClock;
    this.maxRollbackWaitMs = options.maxRollbackWaitMs ?? 50;
    this.epochMs = options.epochMs ?? SNOWFLAKE_EPOCH_MS;
    this.workerBits = workerId << SEQUENCE_BITS;
  }

  /** The next id as a decimal string (the envelope's form). */
  next(): string {
    return this.nextBigInt().toString();
  }

  /** The next id; strictly greater than every id this generator returned before. */
  nextBigInt(): bigint {
    let now = this.clock.now();
    if (now < this.lastMs) now = this.waitOutRollback(now);
    if (now === this.lastMs) {
      if (this.sequence === MAX_SEQUENCE) {
        // 4,096 ids in this millisecond already: the only unique continuation is a later millisecond.
        this.clock.waitUntil(this.lastMs + 1);
        now = this.clock.now();
        if (now <= this.lastMs) now = this.waitOutRollback(now);
        this.sequence = 0;
      } else {
        this.sequence += 1;
      }
    } else {
      this.sequence = 0;
    }
    const elapsed = now - this.epochMs;
    if (elapsed < 0 || elapsed > MAX_TIMESTAMP)
      throw new SnowflakeTimeRangeError(
        `Clock ${new Date(now).toISOString()} is outside the Snowflake range of epoch ${new Date(this.epochMs).toISOString()}`,
      );
    this.lastMs = now;
    return (BigInt(elapsed) << TIMESTAMP_SHIFT) | BigInt(this.workerBits | this.sequence);
  }

  /** Waits until the clock is past the last id's millisecond again, or throws if that is too far. */
  private waitOutRollback(now: number): number {
    const rollbackMs = this.lastMs - now;
    if (rollbackMs > this.maxRollbackWaitMs)
      throw new ClockMovedBackwardsError(rollbackMs, this.maxRollbackWaitMs);
    this.clock.waitUntil(this.lastMs + 1);
    const after = this.clock.now();
    if (after <= this.lastMs) {
      // The clock went back again while we waited; never hand out an id from a used millisecond.
      return this.waitOutRollback(after);
    }
    return after;
  }
}

export interface DecodedSnowflake {
  /** Milliseconds since the Unix epoch. */
  readonly timestampMs: number;
  readonly time: Date;
  readonly workerId: number;
  readonly sequence: number;
}

/**
 * Splits an id into its time, worker id and sequence; for tools and the auditor.
 *
 * @example
 * const { workerId, timestampMs } = decodeSnowflake('123456789012345678');
 */
export function decodeSnowflake(id: string | bigint, epochMs = SNOWFLAKE_EPOCH_MS): DecodedSnowflake {
  const value = typeof id === 'bigint' ? id : parseSnowflake(id);
  const low = Number(value & ((1n << TIMESTAMP_SHIFT) - 1n));
  const timestampMs = Number(value >> TIMESTAMP_SHIFT) + epochMs;
  return {
    timestampMs,
    time: new Date(timestampMs),
    workerId: low >>> SEQUENCE_BITS,
    sequence: low & MAX_SEQUENCE,
  };
}

function parseSnowflake(id: string): bigint {
  if (!/^\d{1,20}$/.test(id)) throw new TypeError(`Not a decimal Snowflake id: ${JSON.stringify(id)}`);
  const value = BigInt(id);
  if (value >= 1n << 63n) throw new RangeError(`Snowflake id out of 63-bit range: ${id}`);
  return value;
}

/** Orders two ids numerically (string comparison is wrong when their lengths differ). */
export function compareSnowflakes(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
