/**
 * Counter metrics as CloudWatch Embedded Metric Format lines: in Lambda, a JSON line on stdout
 * becomes a metric without any API call.
 */
import type { ProducerMetrics } from './ports.js';

export interface EmfMetricsOptions {
  readonly namespace: string;
  /** Where each line goes. @default console.log */
  readonly write?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** Added to every line, e.g. `{ service: 'trade' }`. @default {} */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** A ProducerMetrics that writes one EMF line per count. */
export function emfMetrics(options: EmfMetricsOptions): ProducerMetrics {
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  return {
    count(name, value, extra = {}) {
      const dimensions = { ...options.dimensions, ...extra };
      write(
        JSON.stringify({
          _aws: {
            Timestamp: now(),
            CloudWatchMetrics: [
              {
                Namespace: options.namespace,
                Dimensions: [Object.keys(dimensions)],
                Metrics: [{ Name: name, Unit: 'Count' }],
              },
            ],
          },
          ...dimensions,
          [name]: value,
        }),
      );
    },
  };
}
