import { describe, expect, it } from 'vitest';
import {
  compareVariants,
  END_TO_END_GOALS,
  type EndToEndReport,
  type EndToEndVariant,
  latenciesOf,
  medianFigures,
  type VariantFigures,
} from '../../examples/points/src/bench/end-to-end.js';
import { benchTable, formatEndToEnd, reproduceCommand } from '../../examples/points/src/bench/results.js';
import { parsePayloadSizes } from '../../examples/points/src/commands/bench.js';

const OCCURRED = '2026-12-01T10:00:00.000Z';
const T0 = Date.parse(OCCURRED);

function figures(variant: EndToEndVariant, eventsPerSecond: number, cost: number, p50 = 100): VariantFigures {
  return {
    variant,
    events: 1000,
    processed: 1000,
    applied: 990,
    rejected: 10,
    appliedTwice: 0,
    eventsPerSecond,
    latencyMs: { p50, p99: p50 * 3, samples: 990 },
    requestsPerEvent: { sqs: 0.1, sqsBillable: 0.1, dynamodb: 1 },
    writeUnitsPerEvent: 2,
    readUnitsPerEvent: 0,
    lambda: { invocations: 100, gbSeconds: 1, memoryMb: 512 },
    lambdaGbSecondsPerMillionEvents: 1000,
    costPerMillionEvents: { sqs: 0.05, dynamodb: cost - 0.1, lambda: 0.05, total: cost },
    usage: {
      requests: { [`sqs:run-${eventsPerSecond}`]: 1 },
      sqsBillableRequests: 1,
      dynamodbWriteUnits: 1,
      dynamodbReadUnits: 0,
    },
  };
}

const MACHINE = { cpus: 2, node: 'v20' };

describe('end-to-end bench: latencies and outcomes from the ledger', () => {
  it('reads the Oncely marker when present, the claims table otherwise, and appliedAt for the baseline', () => {
    const ledger = [
      // The coming shape: the completion time and id in the `oncely` map.
      {
        pk: 'o1',
        amount: 5,
        occurredAt: OCCURRED,
        messageId: 'm1',
        oncely: { id: 'm1', status: 'COMPLETED', completedAt: T0 + 40 },
      },
      // Today's shape: the time is the claim's completedAt.
      { pk: 'o2', amount: 5, occurredAt: OCCURRED, messageId: 'm2' },
      // The baseline's shape.
      { pk: 'o3', amount: 5, occurredAt: OCCURRED, messageId: 'm3', appliedAt: T0 + 10 },
      // A rejection in the ledger: no amount, not applied, no latency sample.
      { pk: 'o4', occurredAt: OCCURRED, oncely: { id: 'm4', status: 'REJECTED', completedAt: T0 + 5 } },
    ];
    const claims = [
      { pk: 'm1', status: 'COMPLETED', completedAt: T0 + 999 },
      { pk: 'm2', status: 'COMPLETED', completedAt: T0 + 20 },
      // A rejection in the claims table (today's shape), and the same one seen twice.
      { pk: 'm5', status: 'REJECTED', completedAt: T0 + 7 },
      { pk: 'm4', status: 'REJECTED', completedAt: T0 + 5 },
    ];
    const { latencies, span, outcomes } = latenciesOf(ledger, claims);
    expect(latencies.sort((a, b) => a - b)).toEqual([10, 20, 40]);
    expect(span).toEqual({ first: T0, last: T0 + 40 });
    expect(outcomes).toEqual({ applied: 3, rejected: 2 });
  });
});

describe('end-to-end bench: medians and ratios', () => {
  it('takes every figure as the median over the runs and keeps each run', () => {
    const median = medianFigures([
      figures('baseline', 30, 4, 300),
      figures('baseline', 10, 6, 100),
      figures('baseline', 20, 5, 500),
    ]);
    expect(median.variant).toBe('baseline');
    expect(median.eventsPerSecond).toBe(20);
    expect(median.costPerMillionEvents.total).toBe(5);
    expect(median.latencyMs).toMatchObject({ p50: 300, p99: 900 });
    expect(median.runsEventsPerSecond).toEqual([30, 10, 20]);
    expect(median.runs).toHaveLength(3);
    // Request counts by operation are those of the median-throughput run.
    expect(median.usage.requests).toEqual({ 'sqs:run-20': 1 });
  });

  it('compares transactional with the baseline under the exact key names, against 0.85x and 3x', () => {
    const size = (total: number, payloadBytes: number) => ({
      payloadBytes,
      events: 500,
      processed: 500,
      eventsPerSecond: 10,
      sqsBillableRequestsPerEvent: 0.2,
      writeUnitsPerEvent: 2,
      readUnitsPerEvent: 0,
      lambdaGbSecondsPerMillionEvents: 900,
      costPerMillionEvents: { sqs: 0.1, dynamodb: total - 0.2, lambda: 0.1, total },
    });
    const report = compareVariants(
      [
        { ...figures('oncely-transactional', 90, 4), payloadSizes: [size(4, 1024), size(6, 8192)] },
        { ...figures('oncely-claim', 60, 5) },
        { ...figures('baseline', 30, 5), payloadSizes: [size(5, 1024), size(10, 8192)] },
      ],
      {
        events: 1000,
        seed: 1,
        repeats: 3,
        payloadSizes: { bytes: [1024, 8192], events: 500, runsPerVariant: 1 },
        machine: MACHINE,
      },
    );
    expect(report.ratios).toEqual({
      costVsBaseline: 0.8,
      throughputVsBaseline: 3,
      claimCostVsBaseline: 1,
      claimThroughputVsBaseline: 2,
      costVsBaselineByPayloadBytes: { '1024': 0.8, '8192': 0.6 },
    });
    expect(report.goals).toMatchObject({
      costAtMost: 0.85,
      costMet: true,
      throughputAtLeast: 3,
      throughputMet: true,
    });
    expect(END_TO_END_GOALS).toEqual({ costAtMost: 0.85, throughputAtLeast: 3 });
  });
});

describe('end-to-end bench: the README table and the text report', () => {
  const report: EndToEndReport = compareVariants(
    [
      {
        ...figures('oncely-transactional', 90, 4),
        payloadSizes: [
          {
            payloadBytes: 1024,
            events: 500,
            processed: 500,
            eventsPerSecond: 10,
            sqsBillableRequestsPerEvent: 0.2,
            writeUnitsPerEvent: 2,
            readUnitsPerEvent: 0,
            lambdaGbSecondsPerMillionEvents: 900,
            costPerMillionEvents: { sqs: 0.1, dynamodb: 3.8, lambda: 0.1, total: 4 },
          },
        ],
      },
      figures('baseline', 30, 5),
    ],
    {
      events: 5000,
      seed: 1,
      repeats: 3,
      payloadSizes: { bytes: [1024, 8192], events: 2000, runsPerVariant: 1 },
      machine: MACHINE,
    },
  );

  it('has GB-s and per-size cost columns and states the goals and the reproduce command', () => {
    const table = benchTable(report);
    expect(table).toContain(
      '| variant | events/s | latency p50 / p99 ms | SQS requests/event | DynamoDB requests/event | WCU/event | RCU/event | Lambda GB-s per 1M events | cost per 1M events | cost per 1M at 1 KB | cost per 1M at 8 KB |',
    );
    expect(table).toContain(
      '| oncely-transactional | 90 | 100 / 300 | 0.1 | 1 | 2 | 0 | 1000 | $4.00 | $4.00 | n/a |',
    );
    expect(table).toContain('| baseline | 30 | 100 / 300 | 0.1 | 1 | 2 | 0 | 1000 | $5.00 | n/a | n/a |');
    expect(table).toContain('cost <= 0.85x (measured 0.8x), throughput >= 3x (measured 3x)');
    expect(table).toContain('median of 3 runs');
    expect(table).toContain('2000 orders each (fewer than the main runs)');
    expect(table).toContain('Reproduce: `npm run bench -- --events 5000 --payload-events 2000`');
  });

  it('prints the payload-size runs and the goals in the text report', () => {
    const text = formatEndToEnd(report);
    expect(text).toContain('at 1 KB');
    expect(text).toContain('(goal <= 0.85x)');
    expect(text).toContain('(goal >= 3x)');
    expect(text).toContain('2000 orders per run, fewer than the 5000 of the main runs');
  });

  it('names non-default settings in the reproduce command', () => {
    expect(
      reproduceCommand({
        ...report,
        seed: 7,
        repeats: 5,
        payloadSizes: { bytes: [], events: 2000, runsPerVariant: 1 },
      }),
    ).toBe('npm run bench -- --events 5000 --seed 7 --repeats 5 --payload-sizes none');
  });
});

describe('oncely bench --payload-sizes', () => {
  it('defaults to 1 KB and 8 KB, accepts a list or none, and rejects other values', () => {
    expect(parsePayloadSizes(undefined)).toEqual([1024, 8192]);
    expect(parsePayloadSizes('2048, 65536')).toEqual([2048, 65536]);
    expect(parsePayloadSizes('none')).toEqual([]);
    expect(() => parsePayloadSizes('1kb')).toThrow(/positive whole number/);
  });
});
