/**
 * `oncely chaos`: the points workload with every fault kind on, then redrive, audit and
 * compensation, then the invariants (bench/chaos.ts). Exits 1 when any invariant is violated.
 */

import { type Command, positiveIntegerOption, progress } from 'oncely';
import { type ChaosReport, runChaos } from '../bench/chaos.js';
import { writeChaosResult } from '../bench/results.js';

export const chaosCommand: Command = {
  name: 'chaos',
  summary: 'Run the workload under injected faults and check nothing is lost or applied twice',
  usage: `Usage: oncely chaos [--events N] [--seed S] [--write] [--json]

Runs the points workload on the local cloud with every fault kind on - HTTP 5xx, throttling,
added latency and lost acknowledgements on the data path, consumer crashes after the commit and
timeouts, duplicate deliveries, throttled transactions and an account outage - then redrives,
audits and compensates, and checks: every order applied exactly once or rejected, no negative
balance, every poison message in the DLQ with its reason, every produced (producer, seq)
accounted for, nothing missing after the audit. Exits 1 on any violation.

Options:
  --events N   orders (default 2000)
  --seed S     seed of the workload and of every fault (default 7)
  --write      record the run in examples/points/bench-results/chaos-latest.json and the README
               table
  --json       one JSON object on stdout
  -h, --help   show this help`,
  options: {
    events: { type: 'string' },
    seed: { type: 'string' },
    write: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(values) {
    let lastReported = -1;
    const report = await runChaos({
      events: positiveIntegerOption(values, 'events', 2000),
      seed: positiveIntegerOption(values, 'seed', 7),
      onPhase: (phase, detail) => progress(`chaos: ${phase}${detail ? ` (${detail})` : ''}`),
      onProgress(sample) {
        // One line every ten seconds or so: long runs show how far they got.
        if (Math.floor(sample.t) % 10 !== 0 || Math.floor(sample.t) === lastReported) return;
        lastReported = Math.floor(sample.t);
        progress(
          `chaos: t=${lastReported}s ${sample.phase} produced ${sample.produced}, consumed ${sample.consumed}, backlog ${sample.backlog}, DLQ ${sample.dlq}, concurrency ${sample.concurrency}`,
        );
      },
    });
    if (values.write === true) progress(`wrote ${writeChaosResult(summaryOf(report)).join(', ')}`);
    console.log(values.json === true ? JSON.stringify(report) : formatChaos(report));
    return report.invariantsHold ? 0 : 1;
  },
};

function summaryOf(report: ChaosReport) {
  const {
    invariants: _invariants,
    httpFaultsByService: _byService,
    workload: _workload,
    ...summary
  } = report;
  return summary;
}

function formatChaos(report: ChaosReport): string {
  const faults = Object.entries(report.faultsInjected).map(([kind, count]) => `${kind} ${count}`);
  return [
    `Chaos run: ${report.events} orders, seed ${report.seed}, ${report.seconds} s`,
    `  deliveries         ${report.deliveries} (${(report.faultyDeliveryShare * 100).toFixed(1)}% touched by a fault)`,
    `  faults injected    ${faults.join(', ')}`,
    `  lost               ${report.lost}`,
    `  applied twice      ${report.appliedTwice}`,
    `  missing after audit ${report.missingAfterAudit}`,
    '',
    ...report.invariants.map((check) => `  ${check.passed ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`),
    '',
    report.invariantsHold ? 'All invariants hold.' : 'INVARIANTS VIOLATED.',
  ].join('\n');
}
