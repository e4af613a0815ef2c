import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../../examples/points/src/workload/invariants.js';
import type { WorkloadResult } from '../../examples/points/src/workload/points-workload.js';
import {
  expectedOutcome,
  plannedOrders,
  planWorkload,
  replayedOutcome,
  type WorkloadPlan,
} from '../../examples/points/src/workload/workload-plan.js';

describe('planWorkload', () => {
  it('is reproducible from its seed', () => {
    expect(planWorkload({ events: 500, seed: 3 })).toEqual(planWorkload({ events: 500, seed: 3 }));
    expect(planWorkload({ events: 500, seed: 3 })).not.toEqual(planWorkload({ events: 500, seed: 4 }));
  });

  it('puts each account at most once in a wave, so waves keep every account in order', () => {
    const plan = planWorkload({ events: 2_000, seed: 1 });
    expect(plannedOrders(plan)).toHaveLength(2_000);
    for (const wave of plan.waves) {
      const accounts = wave.map((order) => order.accountId);
      expect(new Set(accounts).size).toBe(accounts.length);
    }
    // Within an account, plan order is the order ids' order (they are numbered as generated).
    const seen = new Map<string, string>();
    for (const order of plannedOrders(plan)) {
      const previous = seen.get(order.accountId);
      if (previous) expect(order.orderId > previous).toBe(true);
      seen.set(order.accountId, order.orderId);
    }
  });

  it('gives the outage account a balance that covers all its orders', () => {
    const plan = planWorkload({ events: 5_000, seed: 9 });
    const outage = plan.accounts.find((account) => account.accountId === plan.outageAccountId)!;
    const spend = plannedOrders(plan)
      .filter((order) => order.accountId === plan.outageAccountId)
      .reduce((sum, order) => sum + order.amount, 0);
    expect(outage.initialBalance).toBeGreaterThanOrEqual(spend);
  });
});

describe('expectedOutcome', () => {
  const plan: WorkloadPlan = {
    accounts: [{ accountId: 'a', initialBalance: 10 }],
    waves: [
      [{ orderId: 'o1', accountId: 'a', amount: 6 }],
      [{ orderId: 'o2', accountId: 'a', amount: 5 }],
      [{ orderId: 'o3', accountId: 'a', amount: 4 }],
    ],
    duplicateIndexes: [],
    poisons: [],
    outageAccountId: 'none',
  };

  it('rejects an order larger than the balance left at its turn and goes on with the next', () => {
    const outcome = expectedOutcome(plan);
    expect([...outcome.rejected]).toEqual(['o2']);
    expect(outcome.finalBalances.get('a')).toBe(0);
  });
});

describe('replayedOutcome', () => {
  const plan: WorkloadPlan = {
    accounts: [{ accountId: 'a', initialBalance: 10 }],
    waves: [
      [{ orderId: 'o1', accountId: 'a', amount: 6 }],
      [{ orderId: 'o2', accountId: 'a', amount: 5 }],
      [{ orderId: 'o3', accountId: 'a', amount: 4 }],
    ],
    duplicateIndexes: [],
    poisons: [],
    outageAccountId: 'none',
  };

  it('equals the in-order model when the orders were decided in publishing order', () => {
    const outcome = replayedOutcome(
      plan,
      new Map([
        ['o1', 1],
        ['o2', 2],
        ['o3', 3],
      ]),
    );
    expect(outcome.rejected).toEqual(expectedOutcome(plan).rejected);
    expect(outcome.finalBalances).toEqual(expectedOutcome(plan).finalBalances);
    expect(outcome.late.size).toBe(0);
  });

  it('deducts a redriven order where it was decided, behind later orders, and names it late', () => {
    // o1 used up its receives, o2 and o3 went ahead, o1 came back with the redrive.
    const outcome = replayedOutcome(
      plan,
      new Map([
        ['o2', 2],
        ['o3', 3],
        ['o1', 9],
      ]),
    );
    expect([...outcome.rejected]).toEqual(['o1']);
    expect(outcome.finalBalances.get('a')).toBe(1);
    expect([...outcome.late]).toEqual(['o1']);
  });

  it('keeps publishing order on equal decision times and does not call an undecided order late', () => {
    const outcome = replayedOutcome(
      plan,
      new Map([
        ['o2', 5],
        ['o1', 5],
      ]),
    );
    expect([...outcome.rejected]).toEqual(['o2']);
    expect(outcome.late.size).toBe(0);
  });
});

describe('checkInvariants', () => {
  const passing: WorkloadResult = {
    events: 10,
    seed: 1,
    timeScale: 30,
    accounts: 2,
    stack: { name: 'Oncely', reused: true, resources: 58, unsupported: [] },
    produced: 10,
    duplicatesSent: 1,
    appliedOnce: 8,
    appliedTwice: 0,
    duplicatesSuppressed: 1,
    rejected: 2,
    expectedRejected: 2,
    rejectionMismatches: 0,
    reorderedByRedrive: 0,
    reorderedUnexplained: 0,
    unaccounted: 0,
    poisoned: 1,
    poisons: [{ kind: 'body-not-json', expectedReason: 'body-not-json', dlqReason: 'body-not-json' }],
    inDlq: 1,
    transientDeadLetters: 0,
    redriven: 0,
    missing: 0,
    audit: {
      counts: { 'in-flight': 0, queued: 0, 'dead-lettered': 0, unsent: 0, missing: 0 },
      republished: 0,
      unrecoverable: 0,
    },
    balancesConsistent: true,
    balanceProblems: [],
    negativeBalances: 0,
    initialConcurrency: 2,
    peakConcurrency: 10,
    finalConcurrency: 2,
    peakBacklog: 5_000,
    lowestBacklogStep: 1_000,
    peakDegradation: 'normal',
    faults: { transactThrottled: 0, outageFailures: 0 },
    consumerMetrics: {},
    durations: {},
    drained: true,
    timeline: [],
  };

  it('passes a run where every figure holds', () => {
    expect(checkInvariants(passing).filter((check) => !check.passed)).toEqual([]);
  });

  it('fails the scaling check when the scaler never ran, and says the backlog was too small', () => {
    const failed = checkInvariants({ ...passing, peakConcurrency: 2, peakBacklog: 300 }).filter(
      (check) => !check.passed,
    );
    expect(failed.map((check) => check.name)).toEqual(['backlog alarm scaled the consumer up']);
    expect(failed[0]?.detail).toContain('below the lowest alarm step (1000)');
  });

  it('fails on a second application, a missing message, or a rejection the model does not expect', () => {
    const names = (result: WorkloadResult) =>
      checkInvariants(result)
        .filter((check) => !check.passed)
        .map((check) => check.name);
    expect(names({ ...passing, appliedTwice: 1 })).toEqual(['nothing applied twice']);
    expect(names({ ...passing, missing: 1 })).toEqual(['auditor finds nothing missing']);
    expect(names({ ...passing, rejectionMismatches: 2 })).toEqual(['rejections match the in-order model']);
    // Reordering (by a redrive, a producer retry or the relay) is replayed by the model, not failed.
    expect(names({ ...passing, reorderedByRedrive: 3 })).toEqual([]);
    expect(names({ ...passing, reorderedUnexplained: 1 })).toEqual([]);
  });
});
