/**
 * The chaos run: the points workload (src/workload) with every fault kind on at once, then redrive,
 * audit and compensation, then the invariants. Faults, each by rate and reproducible from the seed:
 * - HTTP level (local/faults/http-faults.ts) on the data path - the source queue's requests
 *   (producer sends, the event source mapping's receives and deletes, the consumer's visibility
 *   changes) and the consumer's DynamoDB requests: 5xx, throttling, added latency, lost
 *   acknowledgements;
 * - runtime (local/faults/runtime-faults.ts): the consumer crashes after its commit, or hangs
 *   until its timeout;
 * - duplicate deliveries: the workload re-sends envelopes with fresh deduplication ids;
 * - the workload's own: throttled transactions and an outage of one account (DLQ, then redrive).
 * To make redeliveries come back within seconds, the consumer's timeout is lowered to 2 s and the
 * queue's visibility timeout to 12 s (6x, as the stack sets it) once the stack is deployed.
 */
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { LambdaService, RequestInterceptor, ServiceRequest, ServiceResponse } from '@oncely/local-cloud';
import {
  HttpFaultInjector,
  type HttpFaultRates,
  type RuntimeFaultRates,
  RuntimeFaults,
} from '@oncely/local-cloud';
import { repoPath } from '../paths.js';
import { allPassed, checkInvariants, type InvariantCheck } from '../workload/invariants.js';
import {
  type ProgressSample,
  runPointsWorkload,
  type WorkloadPhase,
  type WorkloadResult,
} from '../workload/points-workload.js';
import type { ChaosSummary } from './results.js';

export interface ChaosOptions {
  readonly events: number;
  readonly seed: number;
  /** @default {@link DEFAULT_HTTP_RATES} */
  readonly http?: HttpFaultRates;
  /** @default {@link DEFAULT_RUNTIME_RATES} */
  readonly runtime?: RuntimeFaultRates;
  /** Share of orders delivered twice. @default 0.05 */
  readonly duplicateRate?: number;
  /** @default 0.02 */
  readonly transactThrottleRate?: number;
  /**
   * Receives before SQS moves a message to the DLQ. The stack's default, not the demo's 2: with
   * faults on every layer two failed deliveries in a row happen hundreds of times in 100,000
   * orders, and a redriven message comes back behind its account's later orders, which changes
   * which orders the balance can still cover (the in-order model check would fail although no
   * order is lost or applied twice). @default 5
   */
  readonly maxReceiveCount?: number;
  /** Messages of the outage account to dead-letter and redrive; 0: no outage. @default 2 */
  readonly outageMessages?: number;
  /** @default 10 minutes, or 30 ms per event when longer */
  readonly drainTimeoutMs?: number;
  /** Where the synthesized stack is cached. @default .oncely/chaos-stacks (not shared with `oncely demo`) */
  readonly stackCacheDir?: string;
  readonly onPhase?: (phase: WorkloadPhase, detail?: string) => void;
  readonly onProgress?: (sample: ProgressSample) => void;
}

const DEFAULT_HTTP_RATES: HttpFaultRates = {
  serverError: 0.01,
  throttle: 0.01,
  latency: 0.02,
  latencyMs: 20,
  lostAck: 0.01,
};
const DEFAULT_RUNTIME_RATES: RuntimeFaultRates = { crash: 0.03, timeout: 0.01 };

/** `oncely chaos --json`: the summary plus every invariant and the raw workload figures. */
export interface ChaosReport extends ChaosSummary {
  readonly invariants: readonly InvariantCheck[];
  readonly httpFaultsByService: Readonly<Record<string, number>>;
  readonly workload: Omit<WorkloadResult, 'timeline'>;
}

/** Invariants of the demo that are about scaling, not about loss or duplication. */
const SCALING_CHECKS = new Set(['backlog alarm scaled the consumer up', 'scaled back down after the burst']);
const CHAOS_FUNCTION_TIMEOUT_SECONDS = 2;

/** Runs the workload under every fault kind and judges the invariants. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const startedAt = Date.now();
  const http = new DataPathFaults(options.seed, options.http ?? DEFAULT_HTTP_RATES);
  const runtime = new RuntimeFaults({
    seed: options.seed,
    rates: options.runtime ?? DEFAULT_RUNTIME_RATES,
    workDir: repoPath('node_modules/.cache/oncely/runtime-faults'),
  });
  let deliveries = 0;
  let readDeliveries = () => 0;

  const result = await runPointsWorkload({
    events: options.events,
    seed: options.seed,
    duplicateRate: options.duplicateRate ?? 0.05,
    settings: { maxReceiveCount: options.maxReceiveCount ?? 5 },
    faults: {
      transactThrottleRate: options.transactThrottleRate ?? 0.02,
      outageMessages: options.outageMessages ?? 2,
    },
    drainTimeoutMs: options.drainTimeoutMs ?? Math.max(600_000, options.events * 30),
    stackCacheDir: options.stackCacheDir ?? repoPath('.oncely/chaos-stacks'),
    // Scaling is the demo's subject; here a short wait is enough.
    scaleDownTimeoutMs: 1,
    interceptors: [http],
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    onPhase(phase, detail) {
      if (phase === 'produce') http.enable();
      // Faults end before the redrive: the verification runs on a healthy cloud.
      if (phase === 'redrive') {
        http.disable();
        runtime.uninstall();
      }
      options.onPhase?.(phase, detail);
    },
    async afterDeploy(stage) {
      const queueUrl = String(stage.outputs.QueueUrl);
      http.target(queueUrl, [
        String(stage.outputs.ClaimsTableName),
        String(stage.outputs.AccountsTableName),
        String(stage.outputs.LedgerTableName),
      ]);
      const lambda = stage.cloud.services.lambda as LambdaService;
      const definition = lambda.getFunction(stage.consumerFunctionName);
      if (!definition) throw new Error(`no consumer function ${stage.consumerFunctionName}`);
      lambda.registerFunction(
        {
          name: definition.name,
          codeDirectory: definition.codeDirectory,
          handler: definition.handler,
          runtime: definition.runtime,
          timeout: CHAOS_FUNCTION_TIMEOUT_SECONDS,
          memorySize: definition.memorySize,
          environment: definition.environment,
          ...(definition.role ? { role: definition.role } : {}),
        },
        { replace: true },
      );
      await stage.clients.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: queueUrl,
          Attributes: { VisibilityTimeout: String(6 * CHAOS_FUNCTION_TIMEOUT_SECONDS) },
        }),
      );
      runtime.install(lambda, stage.consumerFunctionName);
      const mappingId = String(stage.outputs.EventSourceMappingId);
      readDeliveries = () => lambda.mappingStats(mappingId).messagesReceived;
    },
    async beforeStop() {
      deliveries = readDeliveries();
    },
  });
  runtime.close();

  const invariants = checkInvariants(result).filter((check) => !SCALING_CHECKS.has(check.name));
  invariants.push({
    name: 'no negative balance',
    passed: result.negativeBalances === 0,
    detail: `${result.negativeBalances} negative balances`,
  });
  const faultsInjected: Record<string, number> = {
    ...http.injector.injected,
    crash: runtime.injected.crash,
    timeout: runtime.injected.timeout,
    duplicate: result.duplicatesSent,
    transactThrottle: result.faults.transactThrottled,
    outage: result.faults.outageFailures,
  };
  // Deliveries a fault touched: every message of a crashed or abandoned invocation, every
  // duplicate, and one per failed data-path request (latency alone is not a failure).
  const faulty =
    runtime.recordsAffected +
    result.duplicatesSent +
    http.injector.injected.serverError +
    http.injector.injected.throttle +
    http.injector.injected.lostAck +
    result.faults.transactThrottled +
    result.faults.outageFailures;
  const { timeline: _timeline, ...workload } = result;
  return {
    events: result.events,
    seed: result.seed,
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - startedAt) / 1000),
    deliveries,
    faultyDeliveryShare: deliveries > 0 ? Math.round((faulty / deliveries) * 1000) / 1000 : 0,
    faultsInjected,
    lost: result.unaccounted,
    appliedTwice: result.appliedTwice,
    missingAfterAudit: result.missing,
    invariantsHold: allPassed(invariants),
    invariants,
    httpFaultsByService: http.byService,
    workload,
  };
}

/**
 * HTTP faults on the data path only: requests naming the source queue or one of the consumer's
 * tables. The runner's own sampling, the producer's lease and the DLQ tooling stay healthy, so a
 * failed run means a broken pipeline, not a broken harness.
 */
class DataPathFaults implements RequestInterceptor {
  readonly injector: HttpFaultInjector;
  readonly byService: Record<string, number> = {};
  private markers: Buffer[] = [];
  private enabled = false;

  constructor(seed: number, rates: HttpFaultRates) {
    this.injector = new HttpFaultInjector({ seed, rates });
  }

  target(queueUrl: string, tables: readonly string[]): void {
    this.markers = [queueUrl, ...tables].map((name) => Buffer.from(JSON.stringify(name)));
  }

  enable(): void {
    this.enabled = true;
  }

  disable(): void {
    this.enabled = false;
    this.injector.disable();
  }

  private applies(request: ServiceRequest, service: string): boolean {
    if (!this.enabled || (service !== 'sqs' && service !== 'dynamodb')) return false;
    if (request.operation === 'GetQueueAttributes') return false;
    return this.markers.some((marker) => request.rawBody.includes(marker));
  }

  async before(request: ServiceRequest, service: string): Promise<ServiceResponse | undefined> {
    if (!this.applies(request, service)) return undefined;
    const before = this.total();
    const response = await this.injector.before(request, service);
    this.count(service, before);
    return response;
  }

  after(request: ServiceRequest, service: string, response: ServiceResponse): ServiceResponse {
    if (!this.applies(request, service)) return response;
    const before = this.total();
    const result = this.injector.after(request, service, response);
    this.count(service, before);
    return result;
  }

  private total(): number {
    return Object.values(this.injector.injected).reduce((sum, count) => sum + count, 0);
  }

  private count(service: string, before: number): void {
    const added = this.total() - before;
    if (added > 0) this.byService[service] = (this.byService[service] ?? 0) + added;
  }
}
