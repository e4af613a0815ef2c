/**
 * Statistics over recorded metric data: what CloudWatch computes for one period of one metric
 * (Sum, Average, Minimum, Maximum, SampleCount and percentiles such as p99).
 */

/** One PutMetricData datum (or one EMF value) as recorded. */
export interface RecordedDatum {
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly sum: number;
  readonly sampleCount: number;
  readonly minimum: number;
  readonly maximum: number;
  /** `[value, count]` pairs when individual values are known (not for StatisticValues); percentiles need them. */
  readonly samples?: readonly (readonly [number, number])[];
  readonly unit?: string;
}

export type StatisticName = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount';

export const STATISTIC_NAMES: readonly StatisticName[] = [
  'Sum',
  'Average',
  'Minimum',
  'Maximum',
  'SampleCount',
];

/** `p99`, `p50`, `p99.9`: the percentile as a number, or undefined for anything else. */
export function parsePercentile(statistic: string): number | undefined {
  const match = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(statistic);
  if (!match) return undefined;
  const value = Number(match[1]);
  return value >= 0 && value <= 100 ? value : undefined;
}

export function isSupportedStatistic(statistic: string): boolean {
  return (
    (STATISTIC_NAMES as readonly string[]).includes(statistic) || parsePercentile(statistic) !== undefined
  );
}

/** Builds a datum from PutMetricData's `Value` or `Values`/`Counts`. */
export function datumFromValues(
  timestamp: number,
  values: readonly number[],
  counts: readonly number[] | undefined,
  unit: string | undefined,
): RecordedDatum | undefined {
  const samples = values.map((value, index) => [value, counts?.[index] ?? 1] as const);
  const weighted = samples.filter(([, count]) => count > 0);
  if (weighted.length === 0) return undefined;
  let sum = 0;
  let sampleCount = 0;
  for (const [value, count] of weighted) {
    sum += value * count;
    sampleCount += count;
  }
  return {
    timestamp,
    sum,
    sampleCount,
    minimum: Math.min(...weighted.map(([value]) => value)),
    maximum: Math.max(...weighted.map(([value]) => value)),
    samples: weighted,
    ...(unit ? { unit } : {}),
  };
}

/** One statistic over the data of one period; undefined when it cannot be computed (no data, or a percentile without samples). */
export function computeStatistic(data: readonly RecordedDatum[], statistic: string): number | undefined {
  if (data.length === 0) return undefined;
  switch (statistic) {
    case 'Sum':
      return data.reduce((total, datum) => total + datum.sum, 0);
    case 'SampleCount':
      return data.reduce((total, datum) => total + datum.sampleCount, 0);
    case 'Average': {
      const count = data.reduce((total, datum) => total + datum.sampleCount, 0);
      return count === 0 ? undefined : data.reduce((total, datum) => total + datum.sum, 0) / count;
    }
    case 'Minimum':
      return Math.min(...data.map((datum) => datum.minimum));
    case 'Maximum':
      return Math.max(...data.map((datum) => datum.maximum));
  }
  const percentile = parsePercentile(statistic);
  if (percentile === undefined) return undefined;
  const samples = data.flatMap((datum) => datum.samples ?? []);
  if (samples.length === 0) return undefined;
  return weightedPercentile(samples, percentile);
}

/** Nearest-rank percentile over `[value, count]` pairs. */
function weightedPercentile(samples: readonly (readonly [number, number])[], percentile: number): number {
  const sorted = [...samples].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, count]) => sum + count, 0);
  const rank = Math.max(1, Math.ceil((percentile / 100) * total));
  let seen = 0;
  for (const [value, count] of sorted) {
    seen += count;
    if (seen >= rank) return value;
  }
  return sorted[sorted.length - 1]![0];
}
