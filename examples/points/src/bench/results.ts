/**
 * Benchmark and chaos results on disk: JSON under examples/points/bench-results/, and the README tables
 * regenerated from them between markers (`<!-- bench:start -->` ... `<!-- bench:end -->`,
 * `<!-- chaos:start -->` ... `<!-- chaos:end -->`). Only the text between the markers is ours;
 * markers missing from README.md are appended at its end.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../paths.js';
import type { EndToEndReport } from './end-to-end.js';

export const RESULTS_DIR = repoPath('examples/points/bench-results');
const END_TO_END_RESULT = join(RESULTS_DIR, 'end-to-end-latest.json');
const CHAOS_RESULT = join(RESULTS_DIR, 'chaos-latest.json');
/** The documents whose result tables are regenerated. */
export const RESULT_DOCUMENTS: readonly string[] = [repoPath('README.md'), repoPath('docs/benchmarks.md')];

/** What the README's chaos table shows; `oncely chaos --json` prints a superset. */
export interface ChaosSummary {
  readonly events: number;
  readonly seed: number;
  readonly date: string;
  readonly seconds: number;
  readonly deliveries: number;
  readonly faultyDeliveryShare: number;
  readonly faultsInjected: Readonly<Record<string, number>>;
  readonly lost: number;
  readonly appliedTwice: number;
  readonly missingAfterAudit: number;
  readonly invariantsHold: boolean;
}

/** Writes the end-to-end report and regenerates the README table; returns the paths written. */
export function writeBenchResult(report: EndToEndReport, documents = RESULT_DOCUMENTS): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(END_TO_END_RESULT, `${JSON.stringify(report, null, 2)}\n`);
  for (const document of documents)
    replaceSection(document, 'bench', benchTable(report), '## Benchmarks (end to end, local cloud)');
  return [END_TO_END_RESULT, ...documents];
}

export function writeChaosResult(summary: ChaosSummary, documents = RESULT_DOCUMENTS): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(CHAOS_RESULT, `${JSON.stringify(summary, null, 2)}\n`);
  for (const document of documents)
    replaceSection(document, 'chaos', chaosTable(summary), '## Chaos run (every fault kind at once)');
  return [CHAOS_RESULT, ...documents];
}

/** The README's benchmark table (Markdown) for a report. */
function benchTable(report: EndToEndReport): string {
  const rows = report.variants.map((figure) =>
    [
      figure.variant,
      figure.eventsPerSecond,
      `${figure.latencyMs.p50} / ${figure.latencyMs.p99}`,
      figure.requestsPerEvent.sqsBillable,
      figure.requestsPerEvent.dynamodb,
      figure.writeUnitsPerEvent,
      figure.readUnitsPerEvent,
      figure.lambda.invocations,
      `$${figure.costPerMillionEvents.total.toFixed(2)}`,
    ].join(' | '),
  );
  const ratio = (value: number | null) => (value === null ? 'n/a' : `${value}x`);
  return [
    `Measured ${report.date.slice(0, 10)}: ${report.events} orders per variant, seed ${report.seed}, local cloud on ${report.machine.cpus} CPUs (Node ${report.machine.node}), prices of ${report.prices.asOf} (${report.prices.region}). Reproduce: \`npm run bench -- --events ${report.events}${report.repeats > 1 ? ` --repeats ${report.repeats}` : ''}\`; figures of each variant's median-throughput run.`,
    '',
    '| variant | events/s | latency p50 / p99 ms | SQS requests/event | DynamoDB requests/event | WCU/event | RCU/event | consumer invocations | cost per 1M events |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
    '',
    `Oncely transactional vs baseline: cost ${ratio(report.ratios.costVsBaseline)} (goal <= 0.5x), throughput ${ratio(report.ratios.throughputVsBaseline)} (goal >= 2x); claim mode: cost ${ratio(report.ratios.claimCostVsBaseline)}, throughput ${ratio(report.ratios.claimThroughputVsBaseline)}. SQS requests per event ${report.goals.sqsRequestsPerEvent ?? 'n/a'} (floor 0.3). Method and caveats: [docs/benchmarks.md](docs/benchmarks.md).`,
  ].join('\n');
}

export function chaosTable(summary: ChaosSummary): string {
  const faults = Object.entries(summary.faultsInjected)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  return [
    `Measured ${summary.date.slice(0, 10)}. Reproduce: \`npm run chaos -- --events ${summary.events} --seed ${summary.seed}\`.`,
    '',
    '| events | deliveries | faulty deliveries | faults injected | lost | applied twice | missing after audit | invariants | seconds |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${summary.events} | ${summary.deliveries} | ${(summary.faultyDeliveryShare * 100).toFixed(1)}% | ${faults} | ${summary.lost} | ${summary.appliedTwice} | ${summary.missingAfterAudit} | ${summary.invariantsHold ? 'hold' : 'VIOLATED'} | ${summary.seconds} |`,
  ].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`, appending the markers if absent. */
export function replaceSection(file: string, name: string, content: string, heading?: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const block = `${start}\n${content}\n${end}`;
  const next =
    from >= 0 && to > from
      ? text.slice(0, from) + block + text.slice(to + end.length)
      : `${text.trimEnd()}\n\n${heading ? `${heading}\n\n` : ''}${block}\n`;
  writeFileSync(file, next);
}

/** The end-to-end report for people. */
export function formatEndToEnd(report: EndToEndReport): string {
  const lines = [`End-to-end benchmark: ${report.events} orders per variant, seed ${report.seed}`, ''];
  for (const figure of report.variants) {
    lines.push(
      `${figure.variant}`,
      `  throughput        ${figure.eventsPerSecond} events/s (${figure.processed} of ${figure.events} applied or rejected, ${figure.appliedTwice} applied twice)`,
      `  latency           p50 ${figure.latencyMs.p50} ms, p99 ${figure.latencyMs.p99} ms (occurredAt -> commit, ${figure.latencyMs.samples} orders)`,
      `  requests/event    SQS ${figure.requestsPerEvent.sqs} (billable ${figure.requestsPerEvent.sqsBillable}), DynamoDB ${figure.requestsPerEvent.dynamodb}`,
      `  units/event       ${figure.writeUnitsPerEvent} WCU, ${figure.readUnitsPerEvent} RCU`,
      `  lambda            ${figure.lambda.invocations} invocations, ${figure.lambda.gbSeconds} GB-s at ${figure.lambda.memoryMb} MB`,
      `  cost/1M events    $${figure.costPerMillionEvents.total} (SQS ${figure.costPerMillionEvents.sqs}, DynamoDB ${figure.costPerMillionEvents.dynamodb}, Lambda ${figure.costPerMillionEvents.lambda})`,
      '',
    );
  }
  const ratio = (value: number | null) => (value === null ? 'n/a' : `${value}x`);
  lines.push(
    `Transactional vs baseline: cost ${ratio(report.ratios.costVsBaseline)} (goal <= 0.5x), throughput ${ratio(report.ratios.throughputVsBaseline)} (goal >= 2x)`,
    `Claim mode vs baseline:    cost ${ratio(report.ratios.claimCostVsBaseline)}, throughput ${ratio(report.ratios.claimThroughputVsBaseline)}`,
    `SQS requests per event (transactional): ${report.goals.sqsRequestsPerEvent ?? 'n/a'} (floor 0.3)`,
  );
  return lines.join('\n');
}
