/**
 * A small `oncely chaos`: 400 orders on the deployed stack with every fault kind on (HTTP 5xx,
 * throttling, latency and lost acknowledgements on the data path, crashes after the commit,
 * timeouts, duplicates, throttled transactions, an outage), then redrive and audit. Fault counts
 * depend on how requests interleave; the invariants must hold whatever they are.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type ChaosReport, runChaos } from '../../examples/points/src/bench/chaos.js';
import { repoPath as projectPath } from '../../examples/points/src/paths.js';

let report: ChaosReport;

beforeAll(async () => {
  report = await runChaos({
    events: 400,
    seed: 17,
    // Higher runtime rates than the CLI's so that a run of about fifty invocations sees both kinds.
    runtime: { crash: 0.1, timeout: 0.05 },
    // Three receives, not the stack's five: the outage account's messages reach the DLQ after 6 s of
    // consumer backoff instead of 30 s, and three failed deliveries in a row stay unlikely.
    maxReceiveCount: 3,
    stackCacheDir: projectPath('.oncely/test-chaos-cdk.out'),
  });
}, 240_000);

describe('oncely chaos (400 orders, seed 17)', () => {
  it('injects every HTTP fault kind, runtime faults and duplicates', () => {
    for (const kind of ['serverError', 'throttle', 'latency', 'lostAck', 'duplicate'])
      expect(report.faultsInjected[kind], kind).toBeGreaterThan(0);
    expect((report.faultsInjected.crash ?? 0) + (report.faultsInjected.timeout ?? 0)).toBeGreaterThan(0);
    expect(report.faultyDeliveryShare).toBeGreaterThan(0.05);
  });

  it('loses nothing and applies nothing twice', () => {
    expect(report.lost).toBe(0);
    expect(report.appliedTwice).toBe(0);
    expect(report.missingAfterAudit).toBe(0);
    expect(report.workload.appliedOnce + report.workload.rejected).toBe(400);
  });

  it('keeps every invariant: balances, poison in the DLQ with its reason, nothing missing', () => {
    expect(report.invariants.filter((check) => !check.passed)).toEqual([]);
    expect(report.invariantsHold).toBe(true);
    expect(report.workload.negativeBalances).toBe(0);
  });
});
