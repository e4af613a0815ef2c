/**
 * CloudWatch Embedded Metric Format: a structured log line whose `_aws.CloudWatchMetrics`
 * directives name, per namespace, the dimension sets and metrics to extract from the line's
 * top-level members. This is how Powertools Metrics publishes from inside a Lambda function.
 */
import type { Dimension, MetricIdentity } from './metric-store.js';
import { datumFromValues, type RecordedDatum } from './statistics.js';

export interface ExtractedMetric {
  readonly metric: MetricIdentity;
  readonly datum: RecordedDatum;
}

interface Directive {
  readonly Namespace?: unknown;
  readonly Dimensions?: unknown;
  readonly Metrics?: unknown;
}

/**
 * The metrics one log line carries; empty for lines that are not EMF (plain text, other JSON) or
 * are malformed, because a log line must never break the function that wrote it.
 * Runtime prefixes before the JSON object (timestamp, request id, level) are tolerated.
 */
export function extractEmbeddedMetrics(line: string, fallbackTimestamp: number): ExtractedMetric[] {
  const start = line.indexOf('{');
  if (start === -1 || !line.includes('"_aws"')) return [];
  let document: unknown;
  try {
    document = JSON.parse(line.slice(start));
  } catch {
    return [];
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return [];
  const root = document as Record<string, unknown>;
  const aws = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const timestamp = typeof aws.Timestamp === 'number' ? aws.Timestamp : fallbackTimestamp;

  const extracted: ExtractedMetric[] = [];
  for (const directive of aws.CloudWatchMetrics as Directive[]) {
    if (typeof directive?.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets =
      Array.isArray(directive.Dimensions) && directive.Dimensions.length > 0
        ? (directive.Dimensions as unknown[]).filter(Array.isArray)
        : [[]];
    for (const definition of directive.Metrics as { Name?: unknown; Unit?: unknown }[]) {
      if (typeof definition?.Name !== 'string') continue;
      const raw = root[definition.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (value): value is number => typeof value === 'number' && Number.isFinite(value),
      );
      if (values.length === 0) continue;
      const unit = typeof definition.Unit === 'string' ? definition.Unit : undefined;
      const datum = datumFromValues(timestamp, values, undefined, unit);
      if (!datum) continue;
      for (const set of dimensionSets as unknown[][]) {
        const dimensions: Dimension[] = [];
        let complete = true;
        for (const name of set) {
          const value = typeof name === 'string' ? root[name] : undefined;
          if (typeof value !== 'string' && typeof value !== 'number') {
            // A dimension the line does not carry: CloudWatch rejects that dimension set.
            complete = false;
            break;
          }
          dimensions.push({ Name: name as string, Value: String(value) });
        }
        if (!complete) continue;
        extracted.push({
          metric: { namespace: directive.Namespace, metricName: definition.Name, dimensions },
          datum,
        });
      }
    }
  }
  return extracted;
}
