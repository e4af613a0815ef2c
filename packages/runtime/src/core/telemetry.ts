/**
 * The one port every Oncely component reports through: structured log lines and metrics. In Lambda
 * the adapter (`EmfTelemetry` in `@oncely/runtime/aws`) writes both as JSON lines on stdout, and
 * CloudWatch turns the metric lines (Embedded Metric Format) into metrics without an API call.
 */

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** CloudWatch units the runtime's metrics use. */
export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

/**
 * Structured logs and metrics. Metrics are gathered in memory and written by `flush`: the consumer
 * flushes once per batch, every other component at the end of each operation (a publish, a sweep,
 * an audit run), so a long-lived process never holds metrics back.
 */
export interface Telemetry {
  /** Adds `value` (default 1) to a counter. A counter whose total is zero is not written. */
  count(metric: string, value?: number): void;
  /** Records one value of a metric, e.g. a latency or a gauge. Written even when it is zero. */
  record(metric: string, value: number, unit: MetricUnit): void;
  /** One structured log line. Fields never hold message payloads unless the caller opted in. */
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Writes the metrics gathered since the last flush. */
  flush(): void;
}

/** Telemetry that discards everything: the default where nobody asked for telemetry. */
export const SILENT_TELEMETRY: Telemetry = {
  count() {},
  record() {},
  log() {},
  flush() {},
};

/** An error as one line of text for logs: `Name: message`. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Reports a failure that is survivable but must not go unseen (a lease renewal, a stream close, a
 * compensation send): an `error` log line with the failure, and one count of `metric`, written at
 * once because the process may not reach its next flush.
 */
export function reportFailure(
  telemetry: Telemetry,
  metric: string,
  message: string,
  error: unknown,
  fields: Readonly<Record<string, unknown>> = {},
): void {
  telemetry.count(metric);
  telemetry.log('error', message, { ...fields, metric, error: describeError(error) });
  telemetry.flush();
}
