import type { DegradationLevel } from '../tables.js';
import type { DegradationReader } from './ports.js';

/**
 * The degradation level, read at most once per `ttlMs`. Every batch asks for it, and the control
 * item changes rarely, so a few seconds of staleness are a good trade for one read per batch at most.
 * A failed read keeps the last known level (or `normal`): degradation is an optimisation, and
 * failing messages because the control table is unreachable would make a backlog worse.
 */
export class CachedDegradationLevel {
  private level: DegradationLevel = 'normal';
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly reader: DegradationReader | undefined,
    private readonly now: () => number,
    private readonly ttlMs = 5_000,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  async current(): Promise<DegradationLevel> {
    if (!this.reader) return 'normal';
    const now = this.now();
    if (now - this.readAt < this.ttlMs) return this.level;
    try {
      this.level = await this.reader.read();
    } catch (error) {
      this.onError(error);
    }
    this.readAt = now;
    return this.level;
  }
}
