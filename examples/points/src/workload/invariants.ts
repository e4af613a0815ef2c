/**
 * The verdict on a workload run: each invariant of the mission, judged on the measured result
 * alone, so the demo, a chaos run and the tests apply the same rules.
 */
import type { WorkloadResult } from './points-workload.js';

export interface InvariantCheck {
  readonly name: string;
  readonly passed: boolean;
  /** What was measured, in words. */
  readonly detail: string;
}

/** Judges every invariant; none is skipped. */
export function checkInvariants(result: WorkloadResult): InvariantCheck[] {
  const check = (name: string, passed: boolean, detail: string): InvariantCheck => ({ name, passed, detail });
  const poisonsMissing = result.poisons.filter((poison) => poison.dlqReason !== poison.expectedReason);
  return [
    check(
      'queue drained',
      result.drained,
      result.drained ? 'every message was consumed' : 'the queue still held messages when the run gave up',
    ),
    check(
      'every order applied once or rejected',
      result.appliedOnce + result.rejected === result.produced && result.unaccounted === 0,
      `${result.appliedOnce} applied + ${result.rejected} rejected of ${result.produced} produced, ${result.unaccounted} unaccounted`,
    ),
    check(
      'nothing applied twice',
      result.appliedTwice === 0,
      `${result.appliedTwice} second applications; ${result.duplicatesSuppressed} duplicate deliveries suppressed (${result.duplicatesSent} sent on purpose)`,
    ),
    // Every decision must match the model replayed in the order the consumer decided. Orders of one
    // account can be decided out of plan order for reasons outside the consumer (a redrive, a
    // producer retry or relay sending an order after a later one), so reordering is reported, not
    // failed: what the consumer controls is that each decision was right for the order it saw.
    check(
      'rejections match the in-order model',
      result.rejectionMismatches === 0 && result.rejected === result.expectedRejected,
      `${result.rejected} rejected, ${result.expectedRejected} expected, ${result.rejectionMismatches} differ; ` +
        `${result.reorderedByRedrive} decided behind later orders after a redrive, ${result.reorderedUnexplained} after a producer retry or relay`,
    ),
    check(
      'balances consistent',
      result.balancesConsistent,
      result.balancesConsistent
        ? `initial - ledger == final == model for all ${result.accounts} accounts, none negative`
        : `${result.negativeBalances} negative; ${result.balanceProblems.slice(0, 3).join('; ')}`,
    ),
    check(
      'poison messages in the DLQ with their reasons',
      poisonsMissing.length === 0 && result.poisoned === result.poisons.length,
      poisonsMissing.length === 0
        ? `${result.poisoned} of ${result.poisons.length}: ${result.poisons.map((poison) => poison.expectedReason).join(', ')}`
        : `missing: ${poisonsMissing.map((poison) => poison.expectedReason).join(', ')}`,
    ),
    check(
      'only poison left in the DLQ after the redrive',
      result.inDlq === result.poisons.length,
      `${result.inDlq} in the DLQ, ${result.redriven} redriven after the transient outage`,
    ),
    check(
      'auditor finds nothing missing',
      result.missing === 0,
      `missing ${result.missing}, dead-lettered ${result.audit.counts['dead-lettered']}, queued ${result.audit.counts.queued}`,
    ),
    check(
      'backlog alarm scaled the consumer up',
      result.peakConcurrency > result.initialConcurrency,
      `maximum concurrency ${result.initialConcurrency} -> peak ${result.peakConcurrency} -> ${result.finalConcurrency}` +
        (result.peakBacklog < result.lowestBacklogStep
          ? `; the backlog peaked at ${result.peakBacklog}, below the lowest alarm step (${result.lowestBacklogStep}): run more events`
          : ''),
    ),
    check(
      'scaled back down after the burst',
      result.finalConcurrency <= result.initialConcurrency,
      `final maximum concurrency ${result.finalConcurrency} (floor ${result.initialConcurrency})`,
    ),
  ];
}

/** True when every check passed. */
export function allPassed(checks: readonly InvariantCheck[]): boolean {
  return checks.every((check) => check.passed);
}
