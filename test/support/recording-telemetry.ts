/** A Telemetry that keeps what it is given, for tests to assert on. */
import type { Telemetry } from '../../packages/runtime/src/core/telemetry.js';

export class RecordingTelemetry implements Telemetry {
  readonly counts = new Map<string, number>();
  readonly recorded = new Map<string, number[]>();
  readonly logs: Array<{ level: string; message: string; fields: Readonly<Record<string, unknown>> }> = [];
  flushes = 0;

  count(metric: string, value = 1): void {
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + value);
  }
  record(metric: string, value: number): void {
    this.recorded.set(metric, [...(this.recorded.get(metric) ?? []), value]);
  }
  log(level: string, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.logs.push({ level, message, fields });
  }
  flush(): void {
    this.flushes += 1;
  }
  get(metric: string): number {
    return this.counts.get(metric) ?? 0;
  }
}
