import { relative } from 'node:path';
import { attachConsole, type Command, formatTable, integerOption, positiveIntegerOption } from 'oncely';
import { allPassed, checkInvariants } from '../workload/invariants.js';
import { runPointsWorkload, type WorkloadResult } from '../workload/points-workload.js';
import { createProgressView } from '../workload/progress-view.js';
import { writeWorkloadReport } from '../workload/workload-report.js';

/** Exit status when the run finished but an invariant failed. */
const EXIT_INVARIANT_FAILED = 3;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the whole pipeline on the local cloud from the synthesized stack and check it',
  usage: `Usage: oncely demo [--events N] [--seed S] [--time-scale X] [--reports DIR] [--json] [--console]

Synthesizes the CDK stack (cached in .oncely/stacks), starts the embedded local cloud with
alarm periods and schedules accelerated, deploys the template, seeds accounts and fires a
flash-sale burst of orders from the trade service: with duplicate deliveries, poison messages,
throttled database writes and a transient outage of one account. Then it redrives the DLQ's
transient failures, runs the auditor and checks every invariant. No Docker, no AWS account.

Writes <reports>/demo.json and <reports>/demo.svg. Exit status: 0 when every invariant holds,
${EXIT_INVARIANT_FAILED} when one fails, 1 on an error.

Options:
  --events N        orders in the burst (default 20000)
  --seed S          seed of accounts, orders, duplicates and faults (default 1)
  --time-scale X    how many times faster alarm periods and schedules run (default 30)
  --reports DIR     where to write demo.json and demo.svg (default reports)
  --json            print the report as JSON on stdout instead of the verdict table
  --console         serve the live console on the local cloud and print its URL; after the
                    verdict the cloud and console stay up until Ctrl-C
  -h, --help        show this help`,
  options: {
    events: { type: 'string' },
    seed: { type: 'string' },
    'time-scale': { type: 'string' },
    reports: { type: 'string' },
    json: { type: 'boolean' },
    console: { type: 'boolean' },
  },
  async run(values) {
    const events = positiveIntegerOption(values, 'events', 20_000);
    const seed = integerOption(values, 'seed', 1);
    const timeScale = positiveIntegerOption(values, 'time-scale', 30);
    const reportsDir = (values.reports as string | undefined) ?? 'reports';
    const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);
    const live = process.stderr.isTTY === true && !ci;
    const view = createProgressView(process.stderr, { live });
    const started = Date.now();
    let consoleUrl: string | undefined;
    let exitCode: number | undefined;

    const result = await runPointsWorkload({
      events,
      seed,
      timeScale,
      onPhase: (phase, detail) => view.phase(phase, detail),
      onProgress: (sample) => view.sample(sample),
      onWarning: (message) => view.warn(message),
      ...(values.console
        ? {
            // Attached before the burst, so its charts show the whole run.
            afterDeploy: async (stage) => {
              consoleUrl = (await attachConsole(stage.cloud)).url;
              view.done();
              process.stderr.write(
                `\nConsole: ${consoleUrl}\n  open it in a browser to watch the burst; it stays up after the run until Ctrl-C\n\n`,
              );
            },
            // The verdict first, then the cloud stays up for the console until Ctrl-C.
            beforeStop: async (_stage, finished) => {
              view.done();
              exitCode = await report(finished);
              process.stderr.write(`\nThe console stays up at ${consoleUrl}; press Ctrl-C to stop.\n`);
              await interrupted();
            },
          }
        : {}),
    });
    view.done();
    return exitCode ?? (await report(result));

    async function report(result: WorkloadResult): Promise<number> {
      const wallSeconds = Math.round((Date.now() - started) / 100) / 10;
      const checks = checkInvariants(result);
      const files = await writeWorkloadReport(reportsDir, 'demo', result, checks, { wallSeconds });

      if (values.json) {
        console.log(JSON.stringify({ ...result, wallSeconds, invariants: checks, files }, null, 2));
      } else {
        console.log(renderSummary(result, wallSeconds));
        console.log('');
        console.log(
          formatTable(
            checks.map((check) => ({
              verdict: check.passed ? 'PASS' : 'FAIL',
              invariant: check.name,
              measured: check.detail,
            })),
            ['verdict', 'invariant', 'measured'],
          ),
        );
        console.log('');
        console.log(
          `Report: ${relative(process.cwd(), files.json)}  chart: ${relative(process.cwd(), files.svg)}`,
        );
        console.log(allPassed(checks) ? 'Verdict: PASS' : 'Verdict: FAIL');
      }
      return allPassed(checks) ? 0 : EXIT_INVARIANT_FAILED;
    }
  },
};

/** Resolves on Ctrl-C (SIGINT) or SIGTERM. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function renderSummary(result: WorkloadResult, wallSeconds: number): string {
  const lines = [
    `Oncely demo: ${result.produced} orders over ${result.accounts} accounts (seed ${result.seed}), ${wallSeconds} s`,
    `  stack ${result.stack.name}: ${result.stack.resources} resources deployed${result.stack.reused ? ' (cached synthesis)' : ''}`,
  ];
  for (const unsupported of result.stack.unsupported)
    lines.push(`  warning: unsupported resource ${unsupported}`);
  lines.push(
    `  applied once ${result.appliedOnce}, rejected ${result.rejected} (insufficient balance), applied twice ${result.appliedTwice}`,
    `  duplicates sent ${result.duplicatesSent}, suppressed by the claims ${result.duplicatesSuppressed}`,
    `  poison ${result.poisoned} -> DLQ with reasons; transient failures dead-lettered ${result.transientDeadLetters}, redriven ${result.redriven}`,
    `  faults: ${result.faults.transactThrottled} throttled transactions, ${result.faults.outageFailures} failed by the outage; consumer retries ${result.consumerMetrics.Retried ?? 0}`,
    `  concurrency ${result.initialConcurrency} -> ${result.peakConcurrency} -> ${result.finalConcurrency}, peak degradation ${result.peakDegradation}`,
    `  audit: missing ${result.missing}, dead-lettered ${result.audit.counts['dead-lettered']}`,
  );
  return lines.join('\n');
}
