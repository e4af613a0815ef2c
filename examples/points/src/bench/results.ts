/**
 * Benchmark and chaos results on disk: JSON under examples/points/bench-results/, and the README tables
 * regenerated from them between markers (`<!-- bench:start -->` ... `<!-- bench:end -->`,
 * `<!-- chaos:start -->` ... `<!-- chaos:end -->`). Only the text between the markers is ours;
 * markers missing from README.md are appended at its end.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../paths.js';
import {
  DEFAULT_PAYLOAD_SIZES,
  DEFAULT_REPEATS,
  type EndToEndReport,
  type VariantFigures,
} from './end-to-end.js';

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

/** The command that reproduces a report (its defaults left out). */
export function reproduceCommand(report: EndToEndReport): string {
  const sizes = report.payloadSizes.bytes;
  const defaultSizes =
    sizes.length === DEFAULT_PAYLOAD_SIZES.length &&
    sizes.every((size, i) => size === DEFAULT_PAYLOAD_SIZES[i]);
  return [
    `npm run bench -- --events ${report.events}`,
    report.seed !== 1 ? ` --seed ${report.seed}` : '',
    report.repeats !== DEFAULT_REPEATS ? ` --repeats ${report.repeats}` : '',
    defaultSizes ? '' : ` --payload-sizes ${sizes.length > 0 ? sizes.join(',') : 'none'}`,
    sizes.length > 0 ? ` --payload-events ${report.payloadSizes.events}` : '',
  ].join('');
}

/** Cost per million events at one payload size, or n/a when that size was not run. */
function sizeCost(figure: VariantFigures, bytes: number): string {
  const size = figure.payloadSizes?.find((entry) => entry.payloadBytes === bytes);
  return size ? `$${size.costPerMillionEvents.total.toFixed(2)}` : 'n/a';
}

function kilobytes(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} B`;
}

/** The README's benchmark table (Markdown) for a report. */
export function benchTable(report: EndToEndReport): string {
  const sizes = report.payloadSizes.bytes;
  const rows = report.variants.map((figure) =>
    [
      figure.variant,
      figure.eventsPerSecond,
      `${figure.latencyMs.p50} / ${figure.latencyMs.p99}`,
      figure.requestsPerEvent.sqsBillable,
      figure.requestsPerEvent.dynamodb,
      figure.writeUnitsPerEvent,
      figure.readUnitsPerEvent,
      figure.lambdaGbSecondsPerMillionEvents,
      `$${figure.costPerMillionEvents.total.toFixed(2)}`,
      ...sizes.map((bytes) => sizeCost(figure, bytes)),
    ].join(' | '),
  );
  const ratio = (value: number | null | undefined) =>
    value === null || value === undefined ? 'n/a' : `${value}x`;
  const header = [
    'variant',
    'events/s',
    'latency p50 / p99 ms',
    'SQS requests/event',
    'DynamoDB requests/event',
    'WCU/event',
    'RCU/event',
    'Lambda GB-s per 1M events',
    'cost per 1M events',
    ...sizes.map((bytes) => `cost per 1M at ${kilobytes(bytes)}`),
  ];
  const sizeNote =
    sizes.length > 0
      ? ` The ${sizes.map(kilobytes).join(' and ')} columns: one run per variant with envelopes padded to that size, ${report.payloadSizes.events} orders each${report.payloadSizes.events < report.events ? ' (fewer than the main runs)' : ''}; Oncely transactional vs baseline there: ${sizes.map((bytes) => `${ratio(report.ratios.costVsBaselineByPayloadBytes[String(bytes)])} at ${kilobytes(bytes)}`).join(', ')}.`
      : '';
  return [
    `Measured ${report.date.slice(0, 10)}: ${report.events} orders per variant, seed ${report.seed}, local cloud on ${report.machine.cpus} CPUs (Node ${report.machine.node}), prices of ${report.prices.asOf} (${report.prices.region}). Each figure is the median of ${report.repeats} run${report.repeats === 1 ? '' : 's'} per variant, in rotation after a discarded warm-up.`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row} |`),
    '',
    `Goals, Oncely transactional vs the baseline: cost <= ${report.goals.costAtMost}x (measured ${ratio(report.ratios.costVsBaseline)}), throughput >= ${report.goals.throughputAtLeast}x (measured ${ratio(report.ratios.throughputVsBaseline)}); claim mode: cost ${ratio(report.ratios.claimCostVsBaseline)}, throughput ${ratio(report.ratios.claimThroughputVsBaseline)}. SQS requests per event ${report.goals.sqsRequestsPerEvent ?? 'n/a'} (floor 0.3).${sizeNote} Reproduce: \`${reproduceCommand(report)}\`. Method and caveats: [docs/benchmarks.md](docs/benchmarks.md).`,
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
  const lines = [
    `End-to-end benchmark: ${report.events} orders per variant, seed ${report.seed}, median of ${report.repeats} run(s) per variant`,
    '',
  ];
  for (const figure of report.variants) {
    lines.push(
      `${figure.variant}`,
      `  throughput        ${figure.eventsPerSecond} events/s (${figure.processed} of ${figure.events} applied or rejected, ${figure.appliedTwice} applied twice; runs ${(figure.runsEventsPerSecond ?? []).join(', ')})`,
      `  latency           p50 ${figure.latencyMs.p50} ms, p99 ${figure.latencyMs.p99} ms (occurredAt -> commit, ${figure.latencyMs.samples} orders)`,
      `  requests/event    SQS ${figure.requestsPerEvent.sqs} (billable ${figure.requestsPerEvent.sqsBillable}), DynamoDB ${figure.requestsPerEvent.dynamodb}`,
      `  units/event       ${figure.writeUnitsPerEvent} WCU, ${figure.readUnitsPerEvent} RCU`,
      `  lambda            ${figure.lambda.invocations} invocations, ${figure.lambda.gbSeconds} GB-s at ${figure.lambda.memoryMb} MB (${figure.lambdaGbSecondsPerMillionEvents} GB-s per 1M events)`,
      `  cost/1M events    $${figure.costPerMillionEvents.total} (SQS ${figure.costPerMillionEvents.sqs}, DynamoDB ${figure.costPerMillionEvents.dynamodb}, Lambda ${figure.costPerMillionEvents.lambda})`,
      ...(figure.payloadSizes ?? []).map(
        (size) =>
          `  at ${kilobytes(size.payloadBytes).padEnd(14)} $${size.costPerMillionEvents.total} per 1M (${size.sqsBillableRequestsPerEvent} SQS billable requests/event, ${size.writeUnitsPerEvent} WCU/event, ${size.lambdaGbSecondsPerMillionEvents} GB-s per 1M; ${size.events} orders, one run)`,
      ),
      '',
    );
  }
  const ratio = (value: number | null | undefined) =>
    value === null || value === undefined ? 'n/a' : `${value}x`;
  const sizes = report.payloadSizes.bytes;
  lines.push(
    `Transactional vs baseline: cost ${ratio(report.ratios.costVsBaseline)} (goal <= ${report.goals.costAtMost}x), throughput ${ratio(report.ratios.throughputVsBaseline)} (goal >= ${report.goals.throughputAtLeast}x)`,
    `Claim mode vs baseline:    cost ${ratio(report.ratios.claimCostVsBaseline)}, throughput ${ratio(report.ratios.claimThroughputVsBaseline)}`,
    ...(sizes.length > 0
      ? [
          `By payload size (transactional vs baseline cost): ${sizes.map((bytes) => `${kilobytes(bytes)} ${ratio(report.ratios.costVsBaselineByPayloadBytes[String(bytes)])}`).join(', ')} (${report.payloadSizes.events} orders per run${report.payloadSizes.events < report.events ? `, fewer than the ${report.events} of the main runs` : ''})`,
        ]
      : []),
    `SQS requests per event (transactional): ${report.goals.sqsRequestsPerEvent ?? 'n/a'} (floor 0.3)`,
    `Reproduce: ${reproduceCommand(report)}`,
  );
  return lines.join('\n');
}
