/**
 * The end-to-end benchmark: the points workload (src/workload) on the local cloud - trade service
 * -> SQS FIFO -> event source mapping -> consumer Lambda -> DynamoDB - once per variant:
 * - `oncely-transactional`: Oncely's consumer in transactional mode, the producer batching sends;
 * - `oncely-claim`: the same in claim mode;
 * - `baseline`: the usual way (examples/points/src/handlers/baseline-consumer.ts: Powertools
 *   idempotency and batch utilities; the consumer benchmark runs the same module) fed one message per
 *   send request.
 * After a discarded warm-up, the variants run `repeats` times (default 3) in rotation, so background
 * load hits them alike; each figure of a variant is the median of its runs, and the ratios against
 * the baseline come from those medians. Then each variant runs once more per payload size (1 KB
 * and 8 KB envelopes by default, `payloadEvents` orders each) to price larger messages.
 * Requests are counted where they arrive, at the local cloud's HTTP level (./http-request-meter.ts),
 * between the start of publishing and the drained queue; Lambda GB-seconds come from the local
 * runtime's invocation durations; cost from the dated prices in ./pricing.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaService, ServiceRequest } from '@oncely/local-cloud';
import { build } from 'esbuild';
import { IDEMPOTENCY_TABLE_VARIABLE, idempotencyTableInput } from '../handlers/baseline-consumer.js';
import { repoPath } from '../paths.js';
import { runPointsWorkload, type WorkloadResult, type WorkloadStage } from '../workload/points-workload.js';
import { HttpRequestMeter, type MeteredUsage, requestsOf } from './http-request-meter.js';
import { costPerMillionEvents, PRICES } from './pricing.js';

export type EndToEndVariant = 'oncely-transactional' | 'oncely-claim' | 'baseline';
export const END_TO_END_VARIANTS: readonly EndToEndVariant[] = [
  'oncely-transactional',
  'oncely-claim',
  'baseline',
];

export interface EndToEndOptions {
  /** Orders per variant. @default 5000 */
  readonly events?: number;
  /** @default 1 */
  readonly seed?: number;
  /** @default all three */
  readonly variants?: readonly EndToEndVariant[];
  /**
   * Runs of each variant, in rotation so background load hits them alike; each figure of a
   * variant is the median of its runs. @default 3
   */
  readonly repeats?: number;
  /**
   * Envelope sizes (bytes, the workload's `payloadBytes`) each variant runs at once more, to price
   * larger messages; empty: none. @default [1024, 8192]
   */
  readonly payloadSizes?: readonly number[];
  /** Orders per payload-size run. @default min(events, 2000) */
  readonly payloadEvents?: number;
  /** A short discarded run first, so the first variant does not pay for the process warming up. @default true */
  readonly warmUp?: boolean;
  readonly onPhase?: (variant: EndToEndVariant, phase: string) => void;
}

/** The goals of the issue: Oncely transactional against the baseline, from the medians. */
export const END_TO_END_GOALS = { costAtMost: 0.85, throughputAtLeast: 3 } as const;
export const DEFAULT_REPEATS = 3;
export const DEFAULT_PAYLOAD_SIZES: readonly number[] = [1024, 8192];
/** Orders per payload-size run unless `payloadEvents` says otherwise (capped at `events`). */
export const DEFAULT_PAYLOAD_EVENTS = 2000;

/** One variant at one envelope size: what its cost per million events is made of. */
export interface PayloadSizeFigures {
  readonly payloadBytes: number;
  readonly events: number;
  readonly processed: number;
  readonly eventsPerSecond: number;
  readonly sqsBillableRequestsPerEvent: number;
  readonly writeUnitsPerEvent: number;
  readonly readUnitsPerEvent: number;
  readonly lambdaGbSecondsPerMillionEvents: number;
  readonly costPerMillionEvents: CostBreakdown;
}

export interface CostBreakdown {
  readonly sqs: number;
  readonly dynamodb: number;
  readonly lambda: number;
  readonly total: number;
}

/** One run of a variant, as listed next to the medians. */
export interface RunSummary {
  readonly eventsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly costPerMillionEvents: number;
  readonly lambdaGbSecondsPerMillionEvents: number;
}

/** The figures of one variant. */
export interface VariantFigures {
  readonly variant: EndToEndVariant;
  readonly events: number;
  /** Orders applied or rejected: the work done. */
  readonly processed: number;
  /** Orders whose ledger item carries an amount. */
  readonly applied: number;
  /** Orders rejected (a ledger item with `oncely.status = 'REJECTED'`, or a REJECTED claim). */
  readonly rejected: number;
  readonly appliedTwice: number;
  readonly eventsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly samples: number };
  /** Requests per event by service (sqs, dynamodb), and SQS billable (64 KB chunk) requests per event. */
  readonly requestsPerEvent: {
    readonly sqs: number;
    readonly sqsBillable: number;
    readonly dynamodb: number;
  };
  readonly writeUnitsPerEvent: number;
  readonly readUnitsPerEvent: number;
  readonly lambda: { readonly invocations: number; readonly gbSeconds: number; readonly memoryMb: number };
  /** Consumer Lambda GB-seconds per million events (billed duration x memory). */
  readonly lambdaGbSecondsPerMillionEvents: number;
  /** Each part and the total are medians of their own (the parts need not add up to the total). */
  readonly costPerMillionEvents: CostBreakdown;
  /** Requests by operation of the median-throughput run. */
  readonly usage: MeteredUsage;
  /** Throughput of every run of this variant (each figure above is the median over the runs). */
  readonly runsEventsPerSecond?: readonly number[];
  readonly runs?: readonly RunSummary[];
  /** One run per envelope size (`payloadSizes`), in the same invocation. */
  readonly payloadSizes?: readonly PayloadSizeFigures[];
}

export interface EndToEndReport {
  readonly benchmark: 'end-to-end';
  readonly date: string;
  readonly events: number;
  readonly seed: number;
  readonly repeats: number;
  /** The payload-size runs: sizes, orders per run (fewer than `events` when `events` is large). */
  readonly payloadSizes: {
    readonly bytes: readonly number[];
    readonly events: number;
    readonly runsPerVariant: 1;
  };
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly prices: { readonly asOf: string; readonly region: string };
  readonly variants: readonly VariantFigures[];
  /**
   * Oncely transactional mode against the baseline, from the medians (claim mode in `claim*`);
   * `costVsBaselineByPayloadBytes` from the payload-size runs, keyed by size in bytes.
   */
  readonly ratios: {
    readonly costVsBaseline: number | null;
    readonly throughputVsBaseline: number | null;
    readonly claimCostVsBaseline: number | null;
    readonly claimThroughputVsBaseline: number | null;
    readonly costVsBaselineByPayloadBytes: Readonly<Record<string, number | null>>;
  };
  readonly goals: {
    /** `ratios.costVsBaseline <= costAtMost`. */
    readonly costAtMost: typeof END_TO_END_GOALS.costAtMost;
    readonly costMet: boolean | null;
    /** `ratios.throughputVsBaseline >= throughputAtLeast`. */
    readonly throughputAtLeast: typeof END_TO_END_GOALS.throughputAtLeast;
    readonly throughputMet: boolean | null;
    /** SQS requests per event of the transactional variant against the floor of 0.3. */
    readonly sqsRequestsPerEvent: number | null;
    readonly sqsFloor: 0.3;
  };
}

/** Runs every variant one after another on a fresh local cloud each, and compares them. */
export async function runEndToEndBench(options: EndToEndOptions = {}): Promise<EndToEndReport> {
  const events = options.events ?? 5000;
  const seed = options.seed ?? 1;
  const variants = options.variants ?? END_TO_END_VARIANTS;
  const repeats = Math.max(1, options.repeats ?? DEFAULT_REPEATS);
  const sizes = options.payloadSizes ?? DEFAULT_PAYLOAD_SIZES;
  const payloadEvents = Math.max(1, options.payloadEvents ?? Math.min(events, DEFAULT_PAYLOAD_EVENTS));
  const phase = (label: string) => (variant: EndToEndVariant, name: string) =>
    options.onPhase?.(variant, `${name} (${label})`);
  if (options.warmUp ?? true)
    await runVariant(variants[0] ?? 'oncely-transactional', 300, seed, phase('warm-up, discarded'));
  const runs = new Map<EndToEndVariant, VariantFigures[]>(variants.map((variant) => [variant, []]));
  for (let repeat = 0; repeat < repeats; repeat++)
    for (const variant of variants)
      runs
        .get(variant)
        ?.push(await runVariant(variant, events, seed, phase(`run ${repeat + 1} of ${repeats}`)));
  const bySize = new Map<EndToEndVariant, PayloadSizeFigures[]>(variants.map((variant) => [variant, []]));
  for (const payloadBytes of sizes)
    for (const variant of variants) {
      const run = await runVariant(variant, payloadEvents, seed, phase(`${payloadBytes} B payloads`), {
        payloadBytes,
      });
      bySize.get(variant)?.push(payloadSizeFigures(run, payloadBytes));
    }
  const figures = variants.map((variant) => ({
    ...medianFigures(runs.get(variant) ?? []),
    ...(sizes.length > 0 ? { payloadSizes: bySize.get(variant) ?? [] } : {}),
  }));
  return compareVariants(figures, {
    events,
    seed,
    repeats,
    payloadSizes: { bytes: [...sizes], events: payloadEvents, runsPerVariant: 1 },
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  });
}

/** The report around the variants' figures: ratios against the baseline and the goals. */
export function compareVariants(
  figures: readonly VariantFigures[],
  run: Pick<EndToEndReport, 'events' | 'seed' | 'repeats' | 'payloadSizes' | 'machine'>,
): EndToEndReport {
  const find = (variant: EndToEndVariant) => figures.find((figure) => figure.variant === variant);
  const baseline = find('baseline');
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? round(a / b, 3) : null;
  const transactional = find('oncely-transactional');
  const claim = find('oncely-claim');
  const costVsBaseline = ratio(
    transactional?.costPerMillionEvents.total,
    baseline?.costPerMillionEvents.total,
  );
  const throughputVsBaseline = ratio(transactional?.eventsPerSecond, baseline?.eventsPerSecond);
  const sizeCost = (figure: VariantFigures | undefined, bytes: number) =>
    figure?.payloadSizes?.find((size) => size.payloadBytes === bytes)?.costPerMillionEvents.total;
  return {
    benchmark: 'end-to-end',
    date: new Date().toISOString(),
    ...run,
    prices: { asOf: PRICES.asOf, region: PRICES.region },
    variants: figures,
    ratios: {
      costVsBaseline,
      throughputVsBaseline,
      claimCostVsBaseline: ratio(claim?.costPerMillionEvents.total, baseline?.costPerMillionEvents.total),
      claimThroughputVsBaseline: ratio(claim?.eventsPerSecond, baseline?.eventsPerSecond),
      costVsBaselineByPayloadBytes: Object.fromEntries(
        run.payloadSizes.bytes.map((bytes) => [
          String(bytes),
          ratio(sizeCost(transactional, bytes), sizeCost(baseline, bytes)),
        ]),
      ),
    },
    goals: {
      costAtMost: END_TO_END_GOALS.costAtMost,
      costMet: costVsBaseline === null ? null : costVsBaseline <= END_TO_END_GOALS.costAtMost,
      throughputAtLeast: END_TO_END_GOALS.throughputAtLeast,
      throughputMet:
        throughputVsBaseline === null ? null : throughputVsBaseline >= END_TO_END_GOALS.throughputAtLeast,
      sqsRequestsPerEvent: transactional?.requestsPerEvent.sqsBillable ?? null,
      sqsFloor: 0.3,
    },
  };
}

/**
 * A variant's figures over its runs: every number is the median of that number over the runs
 * (the upper median for an even count); the request counts by operation are those of the
 * median-throughput run.
 */
export function medianFigures(runs: readonly VariantFigures[]): VariantFigures {
  if (runs.length === 0) throw new Error('no runs to take the median of');
  const byThroughput = [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
  const middle = byThroughput[Math.floor(byThroughput.length / 2)] as VariantFigures;
  const medians = medianOf(runs as unknown as Record<string, unknown>[], ['usage', 'variant']);
  return {
    variant: middle.variant,
    ...(medians as unknown as Omit<VariantFigures, 'variant' | 'usage'>),
    usage: middle.usage,
    runsEventsPerSecond: runs.map((run) => run.eventsPerSecond),
    runs: runs.map((run) => ({
      eventsPerSecond: run.eventsPerSecond,
      latencyP50Ms: run.latencyMs.p50,
      latencyP99Ms: run.latencyMs.p99,
      costPerMillionEvents: run.costPerMillionEvents.total,
      lambdaGbSecondsPerMillionEvents: run.lambdaGbSecondsPerMillionEvents,
    })),
  };
}

/** The median of every numeric leaf over objects of one shape; other leaves from the first object. */
function medianOf(objects: readonly Record<string, unknown>[], skip: readonly string[] = []) {
  const first = objects[0] ?? {};
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    if (skip.includes(key)) continue;
    const values = objects.map((object) => object[key]);
    if (typeof value === 'number') {
      const numbers = values.filter((item): item is number => typeof item === 'number').sort((a, b) => a - b);
      result[key] = numbers[Math.floor(numbers.length / 2)] ?? value;
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      result[key] = medianOf(
        values.filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object'),
      );
    } else result[key] = value;
  }
  return result;
}

function payloadSizeFigures(run: VariantFigures, payloadBytes: number): PayloadSizeFigures {
  return {
    payloadBytes,
    events: run.events,
    processed: run.processed,
    eventsPerSecond: run.eventsPerSecond,
    sqsBillableRequestsPerEvent: run.requestsPerEvent.sqsBillable,
    writeUnitsPerEvent: run.writeUnitsPerEvent,
    readUnitsPerEvent: run.readUnitsPerEvent,
    lambdaGbSecondsPerMillionEvents: run.lambdaGbSecondsPerMillionEvents,
    costPerMillionEvents: run.costPerMillionEvents,
  };
}

async function runVariant(
  variant: EndToEndVariant,
  events: number,
  seed: number,
  onPhase: EndToEndOptions['onPhase'],
  extra: { readonly payloadBytes?: number } = {},
): Promise<VariantFigures> {
  let controlTable = '';
  const meter = new HttpRequestMeter((service, request) => countsForWorkload(service, request, controlTable));
  const invocations = { count: 0, durationMs: 0 };
  let memoryMb = 128;
  let latencies: number[] = [];
  let span = { first: Number.POSITIVE_INFINITY, last: 0 };
  let outcomes = { applied: 0, rejected: 0 };
  let metering = false;

  const result: WorkloadResult = await runPointsWorkload({
    events,
    seed,
    // Clean runs: no injected faults, no outage, no deliberate duplicates.
    faults: { transactThrottleRate: 0, outageMessages: 0 },
    duplicateRate: 0,
    poison: false,
    // Its own stack cache: a concurrent `oncely demo` re-synthesizing the shared one would pull the
    // assets from under a run.
    stackCacheDir: repoPath('.oncely/bench-stacks'),
    scaleDownTimeoutMs: 1,
    interceptors: [meter],
    ...(variant === 'baseline' ? { producerBatching: { maxBatchSize: 1 } } : {}),
    ...(extra.payloadBytes !== undefined ? { payloadBytes: extra.payloadBytes } : {}),
    onPhase(phase) {
      onPhase?.(variant, phase);
      if (phase === 'produce') {
        metering = true;
        meter.start();
      }
      if (phase === 'scale-down' || phase === 'redrive') {
        metering = false;
        meter.stop();
      }
    },
    async afterDeploy(stage) {
      controlTable = String(stage.outputs.ControlTableName ?? '');
      const lambda = stage.cloud.services.lambda as LambdaService;
      await configureVariant(variant, stage, lambda);
      memoryMb = lambda.getFunction(stage.consumerFunctionName)?.memorySize ?? memoryMb;
      lambda.onInvocation((report) => {
        if (!metering || report.functionName !== stage.consumerFunctionName || report.outcome === 'throttled')
          return;
        invocations.count++;
        // Lambda bills duration rounded up to the millisecond.
        invocations.durationMs += Math.ceil(report.durationMs);
      });
    },
    async beforeStop(stage) {
      ({ latencies, span, outcomes } = await endToEndLatencies(stage));
      // The baseline records its rejections only as idempotency results.
      if (variant === 'baseline')
        outcomes = { ...outcomes, rejected: outcomes.rejected + (await baselineRejections(stage)) };
    },
  });

  const usage = meter.usage();
  const perEvent = (value: number) => round(value / events, 4);
  const gbSeconds = (invocations.durationMs / 1000) * (memoryMb / 1024);
  const usageCounts = {
    sqsRequests: usage.sqsBillableRequests,
    dynamodbWriteUnits: usage.dynamodbWriteUnits,
    dynamodbReadUnits: usage.dynamodbReadUnits,
    lambdaInvocations: invocations.count,
    lambdaGbSeconds: gbSeconds,
  };
  const zero = {
    sqsRequests: 0,
    dynamodbWriteUnits: 0,
    dynamodbReadUnits: 0,
    lambdaInvocations: 0,
    lambdaGbSeconds: 0,
  };
  const part = (counts: Partial<typeof zero>) =>
    round(costPerMillionEvents({ ...zero, ...counts }, events, 'fifo'), 4);
  latencies.sort((a, b) => a - b);
  const seconds = Math.max(0.001, (span.last - span.first) / 1000);
  return {
    variant,
    events,
    processed: outcomes.applied + outcomes.rejected,
    applied: outcomes.applied,
    rejected: outcomes.rejected,
    appliedTwice: result.appliedTwice,
    eventsPerSecond: Number.isFinite(span.first) ? round(events / seconds, 1) : 0,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      samples: latencies.length,
    },
    requestsPerEvent: {
      sqs: perEvent(requestsOf(usage, 'sqs')),
      sqsBillable: perEvent(usage.sqsBillableRequests),
      dynamodb: perEvent(requestsOf(usage, 'dynamodb')),
    },
    writeUnitsPerEvent: perEvent(usage.dynamodbWriteUnits),
    readUnitsPerEvent: perEvent(usage.dynamodbReadUnits),
    lambda: { invocations: invocations.count, gbSeconds: round(gbSeconds, 3), memoryMb },
    lambdaGbSecondsPerMillionEvents: round((gbSeconds / events) * 1_000_000, 1),
    costPerMillionEvents: {
      sqs: part({ sqsRequests: usageCounts.sqsRequests }),
      dynamodb: part({
        dynamodbWriteUnits: usageCounts.dynamodbWriteUnits,
        dynamodbReadUnits: usageCounts.dynamodbReadUnits,
      }),
      lambda: part({ lambdaInvocations: usageCounts.lambdaInvocations, lambdaGbSeconds: gbSeconds }),
      total: round(costPerMillionEvents(usageCounts, events, 'fifo'), 4),
    },
    usage,
  };
}

/**
 * The workload's data path only: SQS and DynamoDB requests, without the runner's own queue-depth
 * sampling (GetQueueAttributes) and the degradation-level reads and writes on the control table
 * (the runner samples it; the scaler is not per-event work).
 */
function countsForWorkload(service: string, request: ServiceRequest, controlTable: string): boolean {
  if (service === 'sqs')
    return request.operation !== 'GetQueueAttributes' && request.operation !== 'GetQueueUrl';
  if (service !== 'dynamodb') return false;
  return !(controlTable && request.rawBody.includes(`"${controlTable}"`));
}

/** The Powertools idempotency table the baseline variant gets. */
const BASELINE_IDEMPOTENCY_TABLE = 'oncely-bench-idempotency';

/** Orders the baseline rejected: COMPLETED idempotency records whose stored result says `rejected`. */
async function baselineRejections(stage: WorkloadStage): Promise<number> {
  let rejected = 0;
  for (const record of await scanAll(stage, BASELINE_IDEMPOTENCY_TABLE)) {
    if (record.status !== 'COMPLETED') continue;
    const data = typeof record.data === 'string' ? safeJson(record.data) : record.data;
    if (isRecord(data) && data.rejected !== undefined) rejected++;
  }
  return rejected;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Swaps the deployed consumer for the variant: claim mode by configuration, the baseline by code. */
async function configureVariant(
  variant: EndToEndVariant,
  stage: WorkloadStage,
  lambda: LambdaService,
): Promise<void> {
  if (variant === 'oncely-transactional') return;
  const definition = lambda.getFunction(stage.consumerFunctionName);
  if (!definition) throw new Error(`no consumer function ${stage.consumerFunctionName}`);
  const common = {
    name: definition.name,
    runtime: definition.runtime,
    timeout: definition.timeout,
    memorySize: definition.memorySize,
    ...(definition.role ? { role: definition.role } : {}),
  };
  if (variant === 'oncely-claim') {
    lambda.registerFunction(
      {
        ...common,
        codeDirectory: definition.codeDirectory,
        handler: definition.handler,
        environment: { ...definition.environment, ONCELY_CONSUMER_MODE: 'claim' },
      },
      { replace: true },
    );
    return;
  }
  const table = BASELINE_IDEMPOTENCY_TABLE;
  await stage.clients.dynamodb.send(new CreateTableCommand(idempotencyTableInput(table)));
  lambda.registerFunction(
    {
      ...common,
      codeDirectory: await bundleBaseline(),
      handler: 'index.handler',
      environment: { ...definition.environment, [IDEMPOTENCY_TABLE_VARIABLE]: table },
    },
    { replace: true },
  );
}

/**
 * Bundles the baseline handler like the stack bundles its functions (CommonJS, the AWS SDK left to
 * the runtime). Inside node_modules/.cache so the runtime resolves the SDK from the project.
 */
async function bundleBaseline(): Promise<string> {
  const outdir = repoPath('node_modules/.cache/oncely/baseline-consumer');
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [repoPath('examples/points/src/handlers/baseline-consumer.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile: join(outdir, 'index.js'),
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return outdir;
}

/**
 * End-to-end latency of every applied order: from the envelope's occurredAt to the moment its
 * effect committed. Oncely: the ledger item's `oncely.completedAt` when it carries the `oncely`
 * map, else the claim's `completedAt` (claims keyed by message id); the baseline: the ledger's
 * `appliedAt`. An order counts as applied only when its ledger item has an `amount`; as rejected
 * when its ledger item says `oncely.status = 'REJECTED'` or its claim says REJECTED (both shapes,
 * whichever the consumer writes).
 */
export async function endToEndLatencies(stage: WorkloadStage): Promise<{
  latencies: number[];
  span: { first: number; last: number };
  outcomes: { applied: number; rejected: number };
}> {
  const [ledger, claims] = await Promise.all([
    scanAll(stage, String(stage.outputs.LedgerTableName)),
    scanAll(stage, String(stage.outputs.ClaimsTableName)),
  ]);
  return latenciesOf(ledger, claims);
}

/** {@link endToEndLatencies} over scanned items. */
export function latenciesOf(
  ledger: readonly Record<string, unknown>[],
  claims: readonly Record<string, unknown>[],
): {
  latencies: number[];
  span: { first: number; last: number };
  outcomes: { applied: number; rejected: number };
} {
  const completedAt = new Map<string, number>();
  const rejected = new Set<string>();
  for (const claim of claims) {
    if (typeof claim.completedAt === 'number') completedAt.set(String(claim.pk), claim.completedAt);
    if (claim.status === 'REJECTED') rejected.add(String(claim.pk));
  }
  const latencies: number[] = [];
  const span = { first: Number.POSITIVE_INFINITY, last: 0 };
  const applied = new Set<string>();
  for (const entry of ledger) {
    const marker = isRecord(entry.oncely) ? entry.oncely : undefined;
    const messageId = String(marker?.id ?? entry.messageId ?? `order:${String(entry.pk)}`);
    if (marker?.status === 'REJECTED') {
      rejected.add(messageId);
      continue;
    }
    if (entry.amount === undefined || entry.amount === null) continue;
    applied.add(String(entry.pk));
    const occurred = Date.parse(String(entry.occurredAt));
    const done =
      typeof marker?.completedAt === 'number'
        ? marker.completedAt
        : typeof entry.appliedAt === 'number'
          ? entry.appliedAt
          : completedAt.get(messageId);
    if (!Number.isFinite(occurred) || done === undefined) continue;
    latencies.push(Math.max(0, done - occurred));
    span.first = Math.min(span.first, occurred);
    span.last = Math.max(span.last, done);
  }
  return { latencies, span, outcomes: { applied: applied.size, rejected: rejected.size } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

async function scanAll(stage: WorkloadStage, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await stage.clients.documents.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
