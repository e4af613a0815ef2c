/**
 * A small `oncely demo`: the synthesized stack deployed into the local cloud, 300 orders with
 * duplicates, poison messages, throttled transactions and a transient outage, then redrive and
 * audit. Asserts the same invariants the demo prints, and the report's fields.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../examples/points/src/workload/invariants.js';
import {
  runPointsWorkload,
  type WorkloadResult,
} from '../../examples/points/src/workload/points-workload.js';
import { writeWorkloadReport } from '../../examples/points/src/workload/workload-report.js';

const EVENTS = 300;
let result: WorkloadResult;
let reportsDir: string;

beforeAll(async () => {
  reportsDir = mkdtempSync(join(tmpdir(), 'oncely-demo-test-'));
  result = await runPointsWorkload({
    events: EVENTS,
    seed: 11,
    // A 300-order burst never reaches the default 1,000-message step, so the steps are scaled down.
    settings: {
      backlogSteps: {
        elevated: { visibleMessages: 40, maximumConcurrency: 6, degradation: 'normal' },
        high: { visibleMessages: 150, maximumConcurrency: 10, degradation: 'elevated' },
        critical: { visibleMessages: 5_000, maximumConcurrency: 20, degradation: 'critical' },
      },
    },
  });
  // Synthesis, deploy and the burst; the deadline only bounds a failure on a loaded machine.
}, 600_000);
afterAll(() => {
  rmSync(reportsDir, { recursive: true, force: true });
});

describe('oncely demo workload (300 orders on the deployed stack)', () => {
  it('applies every order exactly once or rejects it, and nothing twice', () => {
    expect(result.produced).toBe(EVENTS);
    expect(result.appliedOnce + result.rejected).toBe(EVENTS);
    expect(result.unaccounted).toBe(0);
    expect(result.appliedTwice).toBe(0);
  });

  it('rejects exactly the orders the in-order reference model rejects', () => {
    expect(result.rejected).toBeGreaterThan(0);
    expect(result.rejected).toBe(result.expectedRejected);
    expect(result.rejectionMismatches).toBe(0);
  });

  it('keeps every balance equal to its initial balance minus its ledger, never negative', () => {
    expect(result.balanceProblems).toEqual([]);
    expect(result.negativeBalances).toBe(0);
    expect(result.balancesConsistent).toBe(true);
  });

  it('suppresses every duplicate delivery through the claims', () => {
    expect(result.duplicatesSent).toBeGreaterThan(0);
    expect(result.duplicatesSuppressed).toBeGreaterThanOrEqual(result.duplicatesSent);
  });

  it('dead-letters each poison message with its reason and redrives only the transient failures', () => {
    expect(result.poisons.map((poison) => poison.dlqReason)).toEqual(
      result.poisons.map((poison) => poison.expectedReason),
    );
    expect(result.redriven).toBeGreaterThan(0);
    expect(result.inDlq).toBe(result.poisons.length);
  });

  it('audits with nothing missing', () => {
    expect(result.missing).toBe(0);
    expect(result.audit.counts['dead-lettered']).toBe(2);
  });

  it('scales consumer concurrency up on the backlog alarm and back down', () => {
    expect(result.peakConcurrency).toBeGreaterThan(result.initialConcurrency);
    expect(result.finalConcurrency).toBe(result.initialConcurrency);
  });

  it('passes every invariant check', () => {
    const failed = checkInvariants(result).filter((check) => !check.passed);
    expect(failed).toEqual([]);
  });

  it('writes a JSON report with the figures and timeline, and an SVG chart', async () => {
    const files = await writeWorkloadReport(reportsDir, 'demo', result, checkInvariants(result));
    const report = JSON.parse(readFileSync(files.json, 'utf8')) as Record<string, unknown>;
    for (const field of [
      'produced',
      'appliedOnce',
      'appliedTwice',
      'duplicatesSuppressed',
      'rejected',
      'poisoned',
      'inDlq',
      'redriven',
      'missing',
      'balancesConsistent',
      'initialConcurrency',
      'peakConcurrency',
      'timeline',
      'invariants',
    ])
      expect(report).toHaveProperty(field);
    expect(report.verdict).toBe('PASS');
    expect((report.timeline as unknown[]).length).toBeGreaterThan(0);
    expect(readFileSync(files.svg, 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>$/);
  });
});
