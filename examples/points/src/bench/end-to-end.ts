/**
 * The end-to-end benchmark: the points workload (src/workload) on the local cloud - trade service
 * -> SQS FIFO -> event source mapping -> consumer Lambda -> DynamoDB - once per variant:
 * - `oncely-transactional`: Oncely's consumer in transactional mode, the producer batching sends;
 * - `oncely-claim`: the same in claim mode;
 * - `baseline`: the usual way (packages/runtime/src/handlers/baseline-consumer.ts: Powertools idempotency and
 *   batch utilities) fed one message per send request.
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
   * Runs of each variant, in rotation so background load hits them alike; each variant reports
   * its median-throughput run. @default 1
   */
  readonly repeats?: number;
  /** A short discarded run first, so the first variant does not pay for the process warming up. @default true */
  readonly warmUp?: boolean;
  readonly onPhase?: (variant: EndToEndVariant, phase: string) => void;
}

/** The figures of one variant. */
export interface VariantFigures {
  readonly variant: EndToEndVariant;
  readonly events: number;
  /** Orders applied once or rejected: the work done. */
  readonly processed: number;
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
  readonly costPerMillionEvents: {
    readonly sqs: number;
    readonly dynamodb: number;
    readonly lambda: number;
    readonly total: number;
  };
  readonly usage: MeteredUsage;
  /** Throughput of every run of this variant (the figures are those of the median run). */
  readonly runsEventsPerSecond?: readonly number[];
}

export interface EndToEndReport {
  readonly benchmark: 'end-to-end';
  readonly date: string;
  readonly events: number;
  readonly seed: number;
  readonly repeats: number;
  readonly machine: { readonly cpus: number; readonly node: string };
  readonly prices: { readonly asOf: string; readonly region: string };
  readonly variants: readonly VariantFigures[];
  /** Oncely transactional mode against the baseline (claim mode in `claimVsBaseline`). */
  readonly ratios: {
    readonly costVsBaseline: number | null;
    readonly throughputVsBaseline: number | null;
    readonly claimCostVsBaseline: number | null;
    readonly claimThroughputVsBaseline: number | null;
  };
  readonly goals: {
    readonly costAtMostHalf: boolean | null;
    readonly throughputAtLeastDouble: boolean | null;
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
  if (options.warmUp ?? true)
    await runVariant(variants[0] ?? 'oncely-transactional', 300, seed, options.onPhase);
  const runs = new Map<EndToEndVariant, VariantFigures[]>(variants.map((variant) => [variant, []]));
  for (let repeat = 0; repeat < Math.max(1, options.repeats ?? 1); repeat++)
    for (const variant of variants)
      runs.get(variant)?.push(await runVariant(variant, events, seed, options.onPhase));
  const figures = variants.map((variant) => {
    const sorted = [...(runs.get(variant) ?? [])].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] as VariantFigures;
    return { ...median, runsEventsPerSecond: (runs.get(variant) ?? []).map((run) => run.eventsPerSecond) };
  });
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
  return {
    benchmark: 'end-to-end',
    date: new Date().toISOString(),
    events,
    seed,
    repeats: Math.max(1, options.repeats ?? 1),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    prices: { asOf: PRICES.asOf, region: PRICES.region },
    variants: figures,
    ratios: {
      costVsBaseline,
      throughputVsBaseline,
      claimCostVsBaseline: ratio(claim?.costPerMillionEvents.total, baseline?.costPerMillionEvents.total),
      claimThroughputVsBaseline: ratio(claim?.eventsPerSecond, baseline?.eventsPerSecond),
    },
    goals: {
      costAtMostHalf: costVsBaseline === null ? null : costVsBaseline <= 0.5,
      throughputAtLeastDouble: throughputVsBaseline === null ? null : throughputVsBaseline >= 2,
      sqsRequestsPerEvent: transactional?.requestsPerEvent.sqsBillable ?? null,
      sqsFloor: 0.3,
    },
  };
}

async function runVariant(
  variant: EndToEndVariant,
  events: number,
  seed: number,
  onPhase: EndToEndOptions['onPhase'],
): Promise<VariantFigures> {
  let controlTable = '';
  const meter = new HttpRequestMeter((service, request) => countsForWorkload(service, request, controlTable));
  const invocations = { count: 0, durationMs: 0 };
  let memoryMb = 128;
  let latencies: number[] = [];
  let span = { first: Number.POSITIVE_INFINITY, last: 0 };
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
      ({ latencies, span } = await endToEndLatencies(stage));
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
    processed: result.appliedOnce + result.rejected,
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
  const table = 'oncely-bench-idempotency';
  await stage.clients.dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    }),
  );
  lambda.registerFunction(
    {
      ...common,
      codeDirectory: await bundleBaseline(),
      handler: 'index.handler',
      environment: { ...definition.environment, ONCELY_IDEMPOTENCY_TABLE: table },
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
 * effect committed (the claim's completedAt for Oncely, the ledger's appliedAt for the baseline).
 */
async function endToEndLatencies(
  stage: WorkloadStage,
): Promise<{ latencies: number[]; span: { first: number; last: number } }> {
  const [ledger, claims] = await Promise.all([
    scanAll(stage, String(stage.outputs.LedgerTableName)),
    scanAll(stage, String(stage.outputs.ClaimsTableName)),
  ]);
  const completedAt = new Map<string, number>();
  for (const claim of claims)
    if (typeof claim.completedAt === 'number') completedAt.set(String(claim.pk), claim.completedAt);
  const latencies: number[] = [];
  const span = { first: Number.POSITIVE_INFINITY, last: 0 };
  for (const entry of ledger) {
    const occurred = Date.parse(String(entry.occurredAt));
    const done =
      typeof entry.appliedAt === 'number' ? entry.appliedAt : completedAt.get(String(entry.messageId));
    if (!Number.isFinite(occurred) || done === undefined) continue;
    latencies.push(Math.max(0, done - occurred));
    span.first = Math.min(span.first, occurred);
    span.last = Math.max(span.last, done);
  }
  return { latencies, span };
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
