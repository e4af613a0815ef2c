/**
 * The Telemetry port as CloudWatch Embedded Metric Format and JSON log lines on stdout, which Lambda
 * ships to CloudWatch Logs; CloudWatch extracts the metrics without any API call (and the local
 * cloud does the same with the function logs it captures). Written directly rather than with
 * Powertools Logger/Metrics so the sink is injectable and nothing reads the environment behind the
 * config module's back. Every metric carries one dimension, `service`, as the stack's alarms expect.
 */
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from '../core/pipeline-metrics.js';
import type { LogLevel, MetricUnit, Telemetry } from '../core/telemetry.js';

/** Options of {@link EmfTelemetry}. */
export interface EmfTelemetryOptions {
  /** CloudWatch namespace of the metrics. @default 'Oncely' */
  readonly namespace?: string;
  /** The `service` dimension of every metric and the `service` field of every log line. @default 'oncely' */
  readonly service?: string;
  /** Lowest level written. @default 'info' */
  readonly logLevel?: LogLevel;
  /** Where lines go. @default one line per write on process.stdout */
  readonly write?: (line: string) => void;
  /** Epoch ms, for timestamps. @default Date.now */
  readonly now?: () => number;
}

const LEVEL_ORDER = { debug: 0, info: 1, warn: 2, error: 3 } as const;
/** EMF allows at most 100 values per metric in one document. */
const MAX_VALUES = 100;

/**
 * Telemetry as EMF metric documents and JSON log lines.
 *
 * @example
 * const telemetry = new EmfTelemetry({ namespace: 'Shop', service: 'inventory' });
 * telemetry.count('Processed');
 * telemetry.record('ProcessingLatency', 12, 'Milliseconds');
 * telemetry.flush(); // one EMF line: {"_aws":{...},"service":"inventory","Processed":1,"ProcessingLatency":[12]}
 */
export class EmfTelemetry implements Telemetry {
  private counts = new Map<string, number>();
  private recorded = new Map<string, { unit: MetricUnit; values: number[] }>();
  private readonly namespace: string;
  private readonly service: string;
  private readonly minLevel: number;
  private readonly write: (line: string) => void;
  private readonly now: () => number;

  constructor(options: EmfTelemetryOptions = {}) {
    this.namespace = options.namespace ?? METRICS_NAMESPACE;
    this.service = options.service ?? 'oncely';
    this.minLevel = LEVEL_ORDER[options.logLevel ?? 'info'];
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.now = options.now ?? Date.now;
  }

  count(metric: string, value = 1): void {
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + value);
  }

  record(metric: string, value: number, unit: MetricUnit): void {
    const series = this.recorded.get(metric);
    if (series) series.values.push(value);
    else this.recorded.set(metric, { unit, values: [value] });
  }

  log(level: LogLevel, message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    if (LEVEL_ORDER[level] < this.minLevel) return;
    this.write(
      JSON.stringify({
        level: level.toUpperCase(),
        message,
        service: this.service,
        timestamp: new Date(this.now()).toISOString(),
        ...fields,
      }),
    );
  }

  flush(): void {
    const counts = [...this.counts].filter(([, value]) => value !== 0);
    const recorded = [...this.recorded];
    this.counts = new Map();
    this.recorded = new Map();
    const longest = Math.max(0, ...recorded.map(([, series]) => series.values.length));
    // Counters go in the first document; recorded series spread over as many as 100 values allow.
    for (let start = 0; start === 0 || start < longest; start += MAX_VALUES) {
      const metrics: Array<{ Name: string; Unit: MetricUnit }> = [];
      const values: Record<string, number | number[]> = {};
      if (start === 0)
        for (const [name, value] of counts) {
          metrics.push({ Name: name, Unit: 'Count' });
          values[name] = value;
        }
      for (const [name, series] of recorded) {
        const chunk = series.values.slice(start, start + MAX_VALUES);
        if (chunk.length === 0) continue;
        metrics.push({ Name: name, Unit: series.unit });
        values[name] = chunk;
      }
      if (metrics.length === 0) return;
      this.write(
        JSON.stringify({
          _aws: {
            Timestamp: this.now(),
            CloudWatchMetrics: [
              { Namespace: this.namespace, Dimensions: [[SERVICE_DIMENSION]], Metrics: metrics },
            ],
          },
          [SERVICE_DIMENSION]: this.service,
          ...values,
        }),
      );
    }
  }
}
