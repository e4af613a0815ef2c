import { describe, expect, it } from 'vitest';
import {
  formatLocalCloudBench,
  judgeFlatness,
  type LocalCloudBenchReport,
  type LocalCloudSetup,
  localCloudTable,
} from '../../examples/points/src/bench/local-cloud.js';
import type { DynamoDbBenchFigures } from '../../examples/points/src/bench/local-cloud-dynamodb.js';
import { shareOf } from '../../examples/points/src/bench/sdk-job-runner.js';

describe('heap flatness judgement', () => {
  it('calls a heap that stays near its start flat', () => {
    expect(judgeFlatness([40, 42, 41, 43, 44])).toEqual({ firstMb: 40, lastMb: 44, maxMb: 44, flat: true });
  });

  it('allows growth up to half the start plus 20 MB', () => {
    expect(judgeFlatness([40, 80]).flat).toBe(true);
    expect(judgeFlatness([40, 80.1]).flat).toBe(false);
  });

  it('judges by the last checkpoint, reporting a transient peak as the max', () => {
    expect(judgeFlatness([30, 120, 35])).toEqual({ firstMb: 30, lastMb: 35, maxMb: 120, flat: true });
  });
});

describe('splitting work between client threads', () => {
  it('hands out every unit exactly once in near-equal shares', () => {
    const shares = [0, 1, 2].map((t) => shareOf(100_001, t, 3));
    expect(shares.reduce((a, b) => a + b, 0)).toBe(100_001);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });
});

function dynamo(concurrency: number, putsPerSecond: number, threads: number): DynamoDbBenchFigures {
  return {
    puts: 1000,
    concurrency,
    threads,
    seconds: 1,
    putsPerSecond,
    rejected: 0,
    p50Ms: 1,
    p99Ms: 2,
    processCpuMicrosPerPut: 500,
  };
}

function setup(threads: number, batched: number, single: number, c1: number, c16: number): LocalCloudSetup {
  const run = (mode: 'batches-of-10' | 'single', messagesPerSecond: number) => ({
    mode,
    messages: 1000,
    seconds: 1,
    messagesPerSecond,
    requestsPerSecond: 100,
    threads,
  });
  return {
    sqs: { batched: run('batches-of-10', batched), single: run('single', single) },
    dynamodbC1: dynamo(1, c1, threads),
    dynamodbC16: dynamo(16, c16, threads),
  };
}

const report: LocalCloudBenchReport = {
  date: '2026-11-25T06:00:00.000Z',
  node: 'v20.20.2',
  cpus: 2,
  loadAverage: [1.5, 1, 0.5],
  threads: 2,
  threaded: setup(2, 6012.4, 1050, 900, 3456.7),
  singleThread: setup(0, 4000, 900, 1500, 2800),
  durable: setup(2, 3006.2, 525, 450, 3111),
  memory: { peakRssMb: 250.5, gcForced: true, heapBeforeMb: 30, heapAfterMb: 40 },
  flatRun: {
    messages: 100_000,
    seconds: 20,
    messagesPerSecond: 5000,
    peakRssMb: 240,
    checkpoints: [
      { messages: 0, heapMb: 40, rssMb: 200 },
      { messages: 100_000, heapMb: 42, rssMb: 210 },
    ],
    ...judgeFlatness([40, 42]),
  },
  reference: { dynalitePutsPerSecondC16: 1900, note: 'seen earlier' },
  goals: { putsAtLeastDynalite: true, sqsBatchedAtLeast5000: true, memoryFlat: true },
};

describe('local-cloud bench table', () => {
  it('puts the threaded and single-thread figures side by side, with goals and the dynalite reference', () => {
    const lines = localCloudTable(report).split('\n');
    expect(lines).toContain('| measurement | 2 worker threads | single thread | goal |');
    expect(lines).toContain(
      '| SQS send+receive+delete, batches of 10 (msgs/s) | 6,012 | 4,000 | >= 5,000: met |',
    );
    expect(lines).toContain(
      '| DynamoDB conditional puts, concurrency 16 (puts/s) | 3,457 | 2,800 | >= dynalite: met |',
    );
    expect(lines.some((line) => line.startsWith('| dynalite in-process') && line.includes('1,900'))).toBe(
      true,
    );
    expect(lines.some((line) => line.includes('first / last / max') && line.includes('40 / 42 / 42'))).toBe(
      true,
    );
  });

  it('puts the figures with a data directory next to the memory-only ones, with the change', () => {
    const lines = localCloudTable(report).split('\n');
    expect(lines).toContain('| measurement, 2 worker threads | memory only | --data-dir | change |');
    expect(lines).toContain('| SQS send+receive+delete, batches of 10 (msgs/s) | 6,012 | 3,006 | -50% |');
    expect(lines).toContain('| DynamoDB conditional puts, concurrency 1 (puts/s) | 900 | 450 | -50% |');
    expect(lines).toContain('| DynamoDB conditional puts, concurrency 16 (puts/s) | 3,457 | 3,111 | -10% |');
  });

  it('prints the same rows as aligned plain text, without Markdown pipes', () => {
    const text = formatLocalCloudBench(report);
    expect(text).not.toContain('|');
    expect(text).toContain('Heap checkpoints (MB): 0: 40, 100000: 42');
    // Two SQS rows in the main table, two in the --data-dir one.
    expect(text.split('\n').filter((line) => line.startsWith('SQS'))).toHaveLength(4);
    expect(text).toContain('--data-dir');
  });
});
