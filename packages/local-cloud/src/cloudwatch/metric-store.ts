/**
 * In-memory time series of the local CloudWatch: datums per metric identity (namespace, name,
 * dimension set), bounded in age and count so a long demo cannot grow without limit.
 */
import type { StateJournal } from '../protocol.js';
import { computeStatistic, type RecordedDatum } from './statistics.js';

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

export interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted by name: CloudWatch treats a metric's dimension set as unordered. */
  readonly dimensions: readonly Dimension[];
}

export interface MetricStoreOptions {
  /** Datums older than this (clock milliseconds) are dropped. @default 3 hours */
  readonly retentionMs?: number;
  /** Per metric. @default 20_000 */
  readonly maxDatumsPerMetric?: number;
}

/** A serialisable copy of the store, for `--data-dir`. */
export interface MetricStoreSnapshot {
  readonly series: { readonly metric: MetricIdentity; readonly data: RecordedDatum[] }[];
}

export interface Datapoint {
  /** Start of the period, milliseconds. */
  readonly timestamp: number;
  readonly value: number;
}

interface Series {
  readonly metric: MetricIdentity;
  data: RecordedDatum[];
}

export function normalizeDimensions(dimensions: readonly Dimension[] | undefined): Dimension[] {
  return [...(dimensions ?? [])]
    .map(({ Name, Value }) => ({ Name, Value }))
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export function metricKey(metric: MetricIdentity): string {
  return JSON.stringify([metric.namespace, metric.metricName, normalizeDimensions(metric.dimensions)]);
}

/** What the store records for --data-dir: each datum as it is recorded. */
export type MetricRecord =
  | { readonly t: 'datum'; readonly metric: MetricIdentity; readonly datum: RecordedDatum }
  | {
      readonly t: 'gauge';
      readonly metric: MetricIdentity;
      readonly datum: RecordedDatum;
      readonly periodMs: number;
    };

export class MetricStore {
  /** Records every datum (--data-dir); replay calls `record` and `recordGauge` with none attached. */
  journal: StateJournal | undefined;
  private readonly series = new Map<string, Series>();
  private readonly retentionMs: number;
  private readonly maxDatums: number;

  constructor(options: MetricStoreOptions = {}) {
    this.retentionMs = options.retentionMs ?? 3 * 3600_000;
    this.maxDatums = options.maxDatumsPerMetric ?? 20_000;
  }

  record(metric: MetricIdentity, datum: RecordedDatum): void {
    this.journal?.record({ t: 'datum', metric, datum } satisfies MetricRecord);
    this.insert(metric, datum);
  }

  private insert(metric: MetricIdentity, datum: RecordedDatum): void {
    const key = metricKey(metric);
    let series = this.series.get(key);
    if (!series) {
      series = { metric: { ...metric, dimensions: normalizeDimensions(metric.dimensions) }, data: [] };
      this.series.set(key, series);
    }
    const data = series.data;
    // Keep the series sorted by timestamp; datums nearly always arrive in order.
    let index = data.length;
    while (index > 0 && data[index - 1]!.timestamp > datum.timestamp) index--;
    data.splice(index, 0, datum);
    if (data.length > this.maxDatums) data.splice(0, data.length - this.maxDatums);
  }

  /**
   * Records a gauge sample: within one period only the latest sample is kept, so a gauge sampled
   * many times per period still reads as one value (as AWS publishes queue gauges once per period).
   */
  recordGauge(metric: MetricIdentity, datum: RecordedDatum, periodMs: number): void {
    this.journal?.record({ t: 'gauge', metric, datum, periodMs } satisfies MetricRecord);
    const series = this.series.get(metricKey(metric));
    const last = series?.data[series.data.length - 1];
    if (series && last && Math.floor(last.timestamp / periodMs) === Math.floor(datum.timestamp / periodMs)) {
      series.data[series.data.length - 1] = datum;
      return;
    }
    this.insert(metric, datum);
  }

  /** Drops datums older than the retention, relative to `now`. */
  prune(now: number): void {
    const oldest = now - this.retentionMs;
    for (const [key, series] of this.series) {
      const keep = series.data.findIndex((datum) => datum.timestamp >= oldest);
      if (keep === -1) this.series.delete(key);
      else if (keep > 0) series.data.splice(0, keep);
    }
  }

  /**
   * Metrics matching a filter; a dimension filter without a value matches any value, and
   * `exactDimensions` requires the metric to have exactly the given dimension set.
   */
  list(
    filter: {
      namespace?: string;
      metricName?: string;
      dimensions?: readonly { Name: string; Value?: string }[];
      exactDimensions?: boolean;
    } = {},
  ): MetricIdentity[] {
    const result: MetricIdentity[] = [];
    for (const { metric } of this.series.values()) {
      if (filter.namespace !== undefined && metric.namespace !== filter.namespace) continue;
      if (filter.metricName !== undefined && metric.metricName !== filter.metricName) continue;
      const wanted = filter.dimensions ?? [];
      if (filter.exactDimensions && wanted.length !== metric.dimensions.length) continue;
      const matches = wanted.every((want) =>
        metric.dimensions.some(
          (have) => have.Name === want.Name && (want.Value === undefined || have.Value === want.Value),
        ),
      );
      if (matches) result.push(metric);
    }
    return result;
  }

  /** Datums of one metric (exact dimension set) in `[start, end)`. */
  data(metric: MetricIdentity, start: number, end: number): RecordedDatum[] {
    const series = this.series.get(metricKey(metric));
    if (!series) return [];
    return series.data.filter((datum) => datum.timestamp >= start && datum.timestamp < end);
  }

  /**
   * One statistic per period in `[start, end)`, periods aligned to multiples of `periodMs` since
   * the epoch as CloudWatch aligns them; periods without data are absent.
   */
  aggregate(
    metric: MetricIdentity,
    start: number,
    end: number,
    periodMs: number,
    statistic: string,
  ): Datapoint[] {
    const points: Datapoint[] = [];
    for (const [timestamp, data] of this.periods(metric, start, end, periodMs)) {
      const value = computeStatistic(data, statistic);
      if (value !== undefined) points.push({ timestamp, value });
    }
    return points;
  }

  /** Datums of one metric in `[start, end)` grouped by period start, periods in ascending order. */
  periods(metric: MetricIdentity, start: number, end: number, periodMs: number): [number, RecordedDatum[]][] {
    const buckets = new Map<number, RecordedDatum[]>();
    for (const datum of this.data(metric, start, end)) {
      const bucket = Math.floor(datum.timestamp / periodMs) * periodMs;
      let list = buckets.get(bucket);
      if (!list) {
        list = [];
        buckets.set(bucket, list);
      }
      list.push(datum);
    }
    return [...buckets].sort((a, b) => a[0] - b[0]);
  }

  snapshot(since: number): MetricStoreSnapshot {
    return {
      series: [...this.series.values()]
        .map((series) => ({ metric: series.metric, data: series.data.filter((d) => d.timestamp >= since) }))
        .filter((series) => series.data.length > 0),
    };
  }

  restore(snapshot: MetricStoreSnapshot): void {
    this.series.clear();
    for (const { metric, data } of snapshot.series ?? []) {
      for (const datum of data) this.insert(metric, datum);
    }
  }
}
