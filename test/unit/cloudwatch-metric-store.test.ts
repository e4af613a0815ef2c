/**
 * The local CloudWatch's pure metric pieces: statistics per period, percentiles over weighted
 * values, metric math, gauges kept once per period, and retention.
 */
import { describe, expect, it } from 'vitest';
import {
  evaluateExpression,
  MetricMathError,
} from '../../packages/local-cloud/src/cloudwatch/metric-math.js';
import { MetricStore } from '../../packages/local-cloud/src/cloudwatch/metric-store.js';
import {
  computeStatistic,
  datumFromValues,
  parsePercentile,
} from '../../packages/local-cloud/src/cloudwatch/statistics.js';

const metric = {
  namespace: 'N',
  metricName: 'M',
  dimensions: [
    { Name: 'b', Value: '2' },
    { Name: 'a', Value: '1' },
  ],
};

function datum(timestamp: number, value: number) {
  return datumFromValues(timestamp, [value], undefined, 'Count')!;
}

describe('statistics', () => {
  it('weights Values by Counts for every statistic and percentile', () => {
    const data = [datumFromValues(0, [1, 2, 100], [50, 45, 5], undefined)!];
    expect(computeStatistic(data, 'SampleCount')).toBe(100);
    expect(computeStatistic(data, 'Sum')).toBe(50 + 90 + 500);
    expect(computeStatistic(data, 'Average')).toBe(6.4);
    expect(computeStatistic(data, 'Minimum')).toBe(1);
    expect(computeStatistic(data, 'Maximum')).toBe(100);
    expect(computeStatistic(data, 'p50')).toBe(1);
    expect(computeStatistic(data, 'p90')).toBe(2);
    expect(computeStatistic(data, 'p99')).toBe(100);
  });

  it('has no percentile for StatisticValues, which carry no individual values', () => {
    const data = [{ timestamp: 0, sum: 10, sampleCount: 2, minimum: 4, maximum: 6 }];
    expect(computeStatistic(data, 'Average')).toBe(5);
    expect(computeStatistic(data, 'p99')).toBeUndefined();
  });

  it.each([
    ['p99', 99],
    ['p99.9', 99.9],
    ['p0', 0],
    ['p100', 100],
    ['P99', undefined],
    ['tm99', undefined],
  ])('parses %s as %s', (text, expected) => {
    expect(parsePercentile(text)).toBe(expected);
  });
});

describe('metric math', () => {
  const series = new Map([
    [
      'errors',
      new Map([
        [0, 5],
        [60, 1],
      ]),
    ],
    [
      'calls',
      new Map([
        [0, 50],
        [60, 0],
        [120, 10],
      ]),
    ],
  ]);

  it('combines series by timestamp with operator precedence and parentheses', () => {
    expect([...evaluateExpression('100 * errors / calls', series)]).toEqual([[0, 10]]);
    expect([...evaluateExpression('(errors + calls) * 2', series)]).toEqual([
      [0, 110],
      [60, 2],
    ]);
    expect([...evaluateExpression('calls - -1', series)]).toEqual([
      [0, 51],
      [60, 1],
      [120, 11],
    ]);
  });

  it('names the unknown id or the unsupported syntax', () => {
    expect(() => evaluateExpression('m9 + 1', series)).toThrow(/Unknown metric id 'm9'/);
    expect(() => evaluateExpression('SUM(METRICS())', series)).toThrow(MetricMathError);
  });
});

describe('metric store', () => {
  it('treats dimension sets as unordered and aggregates per aligned period', () => {
    const store = new MetricStore();
    store.record(metric, datum(61_000, 3));
    store.record({ ...metric, dimensions: [...metric.dimensions].reverse() }, datum(119_000, 4));
    store.record(metric, datum(121_000, 10));
    expect(store.list()).toHaveLength(1);
    expect(store.aggregate(metric, 0, 200_000, 60_000, 'Sum')).toEqual([
      { timestamp: 60_000, value: 7 },
      { timestamp: 120_000, value: 10 },
    ]);
    expect(store.list({ dimensions: [{ Name: 'a' }] })).toHaveLength(1);
    expect(store.list({ dimensions: [{ Name: 'a', Value: 'other' }] })).toHaveLength(0);
  });

  it('keeps one gauge sample per period, the latest', () => {
    const store = new MetricStore();
    store.recordGauge(metric, datum(1_000, 5), 60_000);
    store.recordGauge(metric, datum(2_000, 7), 60_000);
    store.recordGauge(metric, datum(61_000, 9), 60_000);
    expect(store.aggregate(metric, 0, 120_000, 60_000, 'Sum')).toEqual([
      { timestamp: 0, value: 7 },
      { timestamp: 60_000, value: 9 },
    ]);
  });

  it('drops data older than the retention', () => {
    const store = new MetricStore({ retentionMs: 10_000 });
    store.record(metric, datum(0, 1));
    store.record(metric, datum(15_000, 2));
    store.prune(20_000);
    expect(store.data(metric, 0, 30_000).map((d) => d.sum)).toEqual([2]);
    store.prune(40_000);
    expect(store.list()).toHaveLength(0);
  });
});
