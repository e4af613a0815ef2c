/**
 * Consumer telemetry as CloudWatch Embedded Metric Format and JSON log lines on stdout, which Lambda
 * ships to CloudWatch Logs; CloudWatch extracts the metrics without any API call. Written directly
 * (rather than with Powertools Logger/Metrics) so the sink is injectable and nothing reads the
 * environment behind the config module's back.
 */
import type { ConsumerMetric, ConsumerTelemetry } from '../core/consumer/ports.js';
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from '../core/pipeline-metrics.js';

export interface EmfTelemetryOptions {
  /** CloudWatch namespace. @default 'Oncely' */
  readonly namespace?: string;
  /** The `service` dimension and log field. @default 'oncely-consumer' */
  readonly service?: string;
  /** Lowest level written. @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where lines go. @default process.stdout */
  readonly write?: (line: string) => void;
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
}

const LEVEL_ORDER = { debug: 0, info: 1, warn: 2, error: 3 } as const;
/** EMF allows at most 100 values per metric in one document. */
const MAX_VALUES = 100;

export class EmfTelemetry implements ConsumerTelemetry {
  private counts = new Map<ConsumerMetric, number>();
  private latencies: number[] = [];
  private readonly namespace: string;
  private readonly service: string;
  private readonly minLevel: number;
  private readonly write: (line: string) => void;
  private readonly now: () => number;

  constructor(options: EmfTelemetryOptions = {}) {
    this.namespace = options.namespace ?? METRICS_NAMESPACE;
    this.service = options.service ?? 'oncely-consumer';
    this.minLevel = LEVEL_ORDER[options.logLevel ?? 'info'];
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.now = options.now ?? Date.now;
  }

  count(metric: ConsumerMetric, value = 1): void {
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + value);
  }

  latency(milliseconds: number): void {
    this.latencies.push(milliseconds);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>): void {
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
    const counts = [...this.counts].filter(([, value]) => value > 0);
    const latencies = this.latencies;
    this.counts = new Map();
    this.latencies = [];
    for (let start = 0; start === 0 || start < latencies.length; start += MAX_VALUES) {
      const chunk = latencies.slice(start, start + MAX_VALUES);
      const metrics: Array<{ Name: string; Unit: string }> = [];
      const values: Record<string, unknown> = {};
      if (start === 0)
        for (const [name, value] of counts) {
          metrics.push({ Name: name, Unit: 'Count' });
          values[name] = value;
        }
      if (chunk.length > 0) {
        metrics.push({ Name: 'ProcessingLatency', Unit: 'Milliseconds' });
        values.ProcessingLatency = chunk;
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
