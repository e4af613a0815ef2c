/**
 * Runs the points workload on the embedded local cloud, from the real synthesized stack: deploy,
 * seed accounts, publish a burst of orders as the trade service (with duplicates, poison messages
 * and injected consumer faults), let the deployed consumer, alarms and scaler work, redrive what
 * failed transiently, audit, and measure everything. `oncely demo` presents the result; a chaos or
 * bench command can run the same workload with other options. Invariants are judged separately
 * (checkInvariants in ./invariants.ts).
 */
import { GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type PipelineSettingsInput, parsePipelineSettings } from '@oncely/cdk';
import type { LambdaService } from '@oncely/local-cloud';
import {
  type DeploySummary,
  deployTemplate,
  type LocalCloud,
  type RequestInterceptor,
  startLocalCloud,
} from '@oncely/local-cloud';
import type { AuditReport, Envelope } from '@oncely/runtime';
import { runAudit, SILENT_TELEMETRY, toQueueMessage } from '@oncely/runtime';
import {
  type AwsClients,
  createAuditDependencies,
  createAwsClients,
  createProducer,
  DynamoDbDegradationReader,
  LOCAL_CREDENTIALS,
  listDeadLetters,
  MAX_RECEIVE_COUNT_REASON,
  type Producer,
  type ProducerOptions,
  redriveSelected,
  type SqsPublisher,
} from '@oncely/runtime/aws';
import { CLAIM_ATTRIBUTE, type DegradationLevel } from '@oncely/runtime/contract';
import { POINTS_DEDUCT } from '../domain/points-deduct.js';
import { synthesizedStack } from './stack-cache.js';
import { WorkloadFaults } from './workload-faults.js';
import {
  type PlannedOrder,
  plannedOrders,
  planWorkload,
  replayedOutcome,
  type WorkloadPlan,
} from './workload-plan.js';

export interface WorkloadFaultSettings {
  /** Probability that a TransactWriteItems request is throttled. @default 0.02 */
  readonly transactThrottleRate?: number;
  /** Messages of the outage account to push into the DLQ by a transient outage; 0: no outage. @default 2 */
  readonly outageMessages?: number;
}

export interface PointsWorkloadOptions {
  /** Orders in the burst. */
  readonly events: number;
  readonly seed: number;
  readonly faults?: WorkloadFaultSettings;
  /** How many times faster alarm periods and schedules run. @default 30 */
  readonly timeScale?: number;
  /** Share of orders sent a second time. @default 0.02 */
  readonly duplicateRate?: number;
  /** Stack settings over cdk.json's (e.g. lower backlog steps for a small run). */
  readonly settings?: PipelineSettingsInput;
  /** Where synthesized stacks are cached. @default .oncely/stacks */
  readonly stackCacheDir?: string;
  /** Milliseconds between progress samples. @default 500 */
  readonly sampleEveryMs?: number;
  /** Give up waiting for the queue to drain after this long. @default max(300_000, 30 ms per order) */
  readonly drainTimeoutMs?: number;
  /** Wait this long for the scaler to return to the floor once the queue is empty. @default 60_000 */
  readonly scaleDownTimeoutMs?: number;
  readonly onProgress?: (sample: ProgressSample) => void;
  /** Deployment warnings: unsupported resource types, unresolved placeholders. */
  readonly onWarning?: (message: string) => void;
  /** A phase starts (synthesize, deploy, seed, produce, drain, redrive, audit, verify). */
  readonly onPhase?: (phase: WorkloadPhase, detail?: string) => void;
  // --- Extension points for `oncely bench` and `oncely chaos` (bench/, local/faults/) ---
  /** More interceptors (metering, HTTP faults); they see requests before the workload's own faults. */
  readonly interceptors?: readonly RequestInterceptor[];
  /** Runs once the stack is deployed, before seeding: e.g. swap the consumer's code or mode. */
  readonly afterDeploy?: (stage: WorkloadStage) => Promise<void>;
  /**
   * Runs after the result is measured, before the cloud stops: extra measurements, or (`oncely demo
   * --console`) keeping the cloud up for a person to look at.
   */
  readonly beforeStop?: (stage: WorkloadStage, result: WorkloadResult) => Promise<void>;
  /** The trade service's batching (e.g. `{ maxBatchSize: 1 }`: one message per request). */
  readonly producerBatching?: ProducerOptions['batching'];
  /** Send the poison messages (a benchmark of clean traffic turns them off). @default true */
  readonly poison?: boolean;
  /**
   * Pad each order's payload with a `memo` string so its envelope is about this many bytes (e.g.
   * 1024 or 8192, to price larger messages). The handler ignores the memo. @default no padding
   */
  readonly payloadBytes?: number;
}

/** The running cloud and deployed stack, for the extension hooks. */
export interface WorkloadStage {
  readonly cloud: LocalCloud;
  readonly clients: AwsClients;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The function the event source mapping invokes. */
  readonly consumerFunctionName: string;
}

/** One interceptor that runs `interceptors` in order; an early response goes back through the earlier ones. */
function chainInterceptors(interceptors: readonly RequestInterceptor[]): RequestInterceptor {
  const after = async (
    upTo: number,
    request: Parameters<NonNullable<RequestInterceptor['before']>>[0],
    service: string,
    response: Awaited<ReturnType<NonNullable<RequestInterceptor['after']>>>,
  ) => {
    let current = response;
    for (let index = upTo - 1; index >= 0; index--) {
      const interceptor = interceptors[index];
      if (interceptor?.after) current = await interceptor.after(request, service, current);
    }
    return current;
  };
  return {
    async before(request, service) {
      for (const [index, interceptor] of interceptors.entries()) {
        const early = await interceptor.before?.(request, service);
        if (early) return after(index, request, service, early);
      }
      return undefined;
    },
    after: (request, service, response) => after(interceptors.length, request, service, response),
  };
}

export type WorkloadPhase =
  | 'synthesize'
  | 'start'
  | 'deploy'
  | 'seed'
  | 'produce'
  | 'drain'
  | 'scale-down'
  | 'redrive'
  | 'audit'
  | 'verify';

/** One point of the timeline. */
export interface ProgressSample {
  /** Seconds since the burst started. */
  readonly t: number;
  readonly phase: WorkloadPhase;
  /** Orders published so far. */
  readonly produced: number;
  /** Messages the consumer finished with (deleted from the queue: applied, rejected, duplicate, poison). */
  readonly consumed: number;
  /** Visible plus in-flight messages in the source queue. */
  readonly backlog: number;
  readonly visible: number;
  /** The mapping's maximum concurrency (what the scaler sets). */
  readonly concurrency: number;
  /** Consumer invocations running now. */
  readonly inFlight: number;
  readonly dlq: number;
  readonly degradation: DegradationLevel;
}

export interface PoisonResult {
  readonly kind: string;
  readonly expectedReason: string;
  /** The reason the message carries in the DLQ; undefined when it is not there. */
  readonly dlqReason: string | undefined;
}

/** Everything a workload run measured. */
export interface WorkloadResult {
  readonly events: number;
  readonly seed: number;
  readonly timeScale: number;
  readonly accounts: number;
  readonly stack: {
    readonly name: string;
    readonly reused: boolean;
    readonly resources: number;
    readonly unsupported: readonly string[];
  };
  /** Orders the trade service published. */
  readonly produced: number;
  /** Envelopes sent a second time with a fresh deduplication id. */
  readonly duplicatesSent: number;
  /** Orders with exactly one ledger entry (deducted once). */
  readonly appliedOnce: number;
  /** COMPLETED deduction claims without their own ledger entry: a deduction applied a second time. */
  readonly appliedTwice: number;
  /** Deliveries the claims turned away as duplicates (consumer's Duplicates metric). */
  readonly duplicatesSuppressed: number;
  /** Orders rejected by the points service (insufficient balance). */
  readonly rejected: number;
  readonly expectedRejected: number;
  /**
   * Rejections that differ from the reference model (either way): each account's orders deducted in
   * the order they were decided, which is the publishing order unless a redrive reordered them.
   */
  readonly rejectionMismatches: number;
  /** Orders decided behind later orders of their account because they were dead-lettered and redriven. */
  readonly reorderedByRedrive: number;
  /** Orders decided behind later orders of their account without having been dead-lettered: a bug. */
  readonly reorderedUnexplained: number;
  /** Orders neither applied nor rejected. */
  readonly unaccounted: number;
  /** Poison messages sent, and the consumer's Poisoned metric. */
  readonly poisoned: number;
  readonly poisons: readonly PoisonResult[];
  /** Messages in the DLQ at the end (the poison ones stay). */
  readonly inDlq: number;
  /** Messages that reached the DLQ through the transient outage. */
  readonly transientDeadLetters: number;
  readonly redriven: number;
  /** The auditor's missing count after the run. */
  readonly missing: number;
  readonly audit: Pick<AuditReport, 'counts' | 'republished' | 'unrecoverable'>;
  readonly balancesConsistent: boolean;
  readonly balanceProblems: readonly string[];
  readonly negativeBalances: number;
  readonly initialConcurrency: number;
  readonly peakConcurrency: number;
  /** Highest backlog (visible + in flight) sampled. */
  readonly peakBacklog: number;
  /** Visible messages at which the lowest backlog alarm (and so the scaler) fires. */
  readonly lowestBacklogStep: number;
  readonly finalConcurrency: number;
  readonly peakDegradation: DegradationLevel;
  readonly faults: {
    readonly transactThrottled: number;
    readonly outageFailures: number;
  };
  /** Consumer metrics summed over the run (Processed, Duplicates, Rejected, Poisoned, Retried). */
  readonly consumerMetrics: Readonly<Record<string, number>>;
  readonly durations: Readonly<Record<string, number>>;
  readonly drained: boolean;
  readonly timeline: readonly ProgressSample[];
}

/**
 * Stack settings of a workload run over cdk.json's:
 * - two receives before the DLQ instead of five: SQS time is not accelerated, and the consumer's
 *   retry backoff (2 s, doubling) would make a transient failure take a minute to reach the DLQ;
 * - the scheduled sweeps and audits every hour of stack time (2 minutes at time scale 30) instead
 *   of every few minutes: with accelerated schedules the auditor would re-read the whole claims
 *   history every few seconds, on the same two cores as the burst. The run audits at the end.
 */
export const WORKLOAD_SETTINGS: PipelineSettingsInput = {
  maxReceiveCount: 2,
  auditIntervalMinutes: 60,
  compensationIntervalMinutes: 60,
  relayIntervalMinutes: 10,
};

const LEVEL_ORDER: readonly DegradationLevel[] = ['normal', 'elevated', 'critical'];
const CONSUMER_METRICS = ['Processed', 'Duplicates', 'Rejected', 'Poisoned', 'Retried'] as const;

/** Runs the workload end to end on a fresh local cloud and returns what it measured. */
export async function runPointsWorkload(options: PointsWorkloadOptions): Promise<WorkloadResult> {
  const timeScale = options.timeScale ?? 30;
  const durations: Record<string, number> = {};
  const phaseStarted = { name: 'synthesize' as WorkloadPhase, at: Date.now() };
  const finish = () => {
    const seconds = (Date.now() - phaseStarted.at) / 1000;
    durations[phaseStarted.name] = Math.round(((durations[phaseStarted.name] ?? 0) + seconds) * 10) / 10;
  };
  const enter = (phase: WorkloadPhase, detail?: string) => {
    finish();
    phaseStarted.name = phase;
    phaseStarted.at = Date.now();
    options.onPhase?.(phase, detail);
  };

  options.onPhase?.('synthesize');
  const stack = synthesizedStack({
    ...(options.stackCacheDir ? { dir: options.stackCacheDir } : {}),
    settings: { ...WORKLOAD_SETTINGS, ...options.settings },
  });
  const plan = planWorkload({
    events: options.events,
    seed: options.seed,
    ...(options.duplicateRate !== undefined ? { duplicateRate: options.duplicateRate } : {}),
  });
  const outageMessages = options.faults?.outageMessages ?? 2;
  const faults = new WorkloadFaults({
    seed: options.seed,
    transactThrottleRate: options.faults?.transactThrottleRate ?? 0.02,
    ...(outageMessages > 0 ? { outageAccountId: plan.outageAccountId } : {}),
  });

  enter('start', stack.reused ? 'reused the cached stack' : 'synthesized');
  const interceptor = options.interceptors?.length
    ? chainInterceptors([...options.interceptors, faults])
    : faults;
  const cloud = await startLocalCloud({ port: 0, monitoring: { timeScale }, interceptor });
  const clients = createAwsClients({
    region: 'us-east-1',
    endpoint: cloud.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    enter('deploy');
    const summary = await deployTemplate(cloud, stack.template, {
      assetDir: stack.assetDir,
      stackName: stack.stackName,
    });
    const mapping = (cloud.services.lambda as LambdaService)
      .listEventSourceMappings()
      .find((candidate) => candidate.uuid === summary.outputs.EventSourceMappingId);
    const stage: WorkloadStage = {
      cloud,
      clients,
      outputs: summary.outputs,
      consumerFunctionName: mapping?.functionName ?? '',
    };
    for (const entry of summary.unsupported) options.onWarning?.(entry.warning);
    for (const warning of summary.warnings) options.onWarning?.(warning);
    await options.afterDeploy?.(stage);
    const result = await new WorkloadRun(cloud, clients, summary, plan, faults, options, {
      timeScale,
      outageMessages,
      lowestBacklogStep: parsePipelineSettings(stack.settings).backlogSteps.elevated.visibleMessages,
      enter,
      finish,
      durations,
      stack: {
        name: stack.stackName,
        reused: stack.reused,
        resources: Object.keys(summary.resources).length,
        unsupported: summary.unsupported.map((entry) => `${entry.logicalId} (${entry.type})`),
      },
    }).run();
    await options.beforeStop?.(stage, result);
    return result;
  } finally {
    clients.destroy();
    await cloud.stop();
  }
}

interface RunContext {
  readonly timeScale: number;
  readonly outageMessages: number;
  readonly lowestBacklogStep: number;
  readonly enter: (phase: WorkloadPhase, detail?: string) => void;
  /** Records the duration of the last phase. */
  readonly finish: () => void;
  readonly durations: Record<string, number>;
  readonly stack: WorkloadResult['stack'];
}

/** One run's state: resources, counters and the sampler. */
class WorkloadRun {
  private readonly queueUrl: string;
  private readonly dlqUrl: string;
  private readonly tables: Record<'claims' | 'outbox' | 'leases' | 'control' | 'accounts' | 'ledger', string>;
  private readonly mappingId: string;
  private readonly lambda: LambdaService;
  private readonly degradation: DynamoDbDegradationReader;
  private readonly timeline: ProgressSample[] = [];
  private phase: WorkloadPhase = 'seed';
  private produced = 0;
  private startedAt = Date.now();
  private sampling: Promise<void> | undefined;
  private stopSampling = false;
  private transientDeadLetters = 0;
  /** Envelope ids of the messages that used up their receives, as the redrive found them. */
  private readonly redrivenEnvelopes = new Set<string>();

  constructor(
    cloud: LocalCloud,
    private readonly clients: AwsClients,
    summary: DeploySummary,
    private readonly plan: WorkloadPlan,
    private readonly faults: WorkloadFaults,
    private readonly options: PointsWorkloadOptions,
    private readonly context: RunContext,
  ) {
    const output = (key: string) => {
      const value = summary.outputs[key];
      if (typeof value !== 'string' || !value) throw new Error(`the deployed stack has no output ${key}`);
      return value;
    };
    this.queueUrl = output('QueueUrl');
    this.dlqUrl = output('DeadLetterQueueUrl');
    this.tables = {
      claims: output('ClaimsTableName'),
      outbox: output('OutboxTableName'),
      leases: output('LeasesTableName'),
      control: output('ControlTableName'),
      accounts: output('AccountsTableName'),
      ledger: output('LedgerTableName'),
    };
    this.mappingId = output('EventSourceMappingId');
    this.lambda = cloud.services.lambda as LambdaService;
    this.degradation = new DynamoDbDegradationReader(clients.documents, this.tables.control);
  }

  async run(): Promise<WorkloadResult> {
    const { enter } = this.context;
    const initialConcurrency = this.lambda.mappingStats(this.mappingId).concurrencyLimit;

    enter(
      'seed',
      `${this.context.stack.resources} resources deployed, ${this.plan.accounts.length} accounts`,
    );
    this.phase = 'seed';
    await this.seedAccounts();

    enter('produce');
    this.phase = 'produce';
    this.startedAt = Date.now();
    this.sampling = this.sampleLoop();
    const outageOrders = plannedOrders(this.plan).filter(
      (order) => order.accountId === this.plan.outageAccountId,
    ).length;
    if (this.context.outageMessages > 0 && outageOrders > 0) this.faults.startOutage();
    const published = await this.produce();

    enter('drain');
    this.phase = 'drain';
    const drained = await this.waitUntil(() => this.drainedNow(), this.drainTimeoutMs());

    enter('scale-down');
    this.phase = 'scale-down';
    await this.waitUntil(
      async () => this.lambda.mappingStats(this.mappingId).concurrencyLimit <= initialConcurrency,
      this.options.scaleDownTimeoutMs ?? 60_000,
    );

    enter('redrive');
    this.phase = 'redrive';
    this.faults.disable();
    const transient = (await listDeadLetters(this.clients.sqs, this.dlqUrl, 1000)).filter(
      (letter) => letter.reason === MAX_RECEIVE_COUNT_REASON,
    );
    this.transientDeadLetters = transient.length;
    for (const letter of transient) if (letter.envelopeId) this.redrivenEnvelopes.add(letter.envelopeId);
    const redrive = await redriveSelected(this.clients.sqs, this.dlqUrl, {
      reason: MAX_RECEIVE_COUNT_REASON,
      holdSeconds: 30,
    });
    if (redrive.moved > 0) await this.waitUntil(() => this.drainedNow(), this.drainTimeoutMs());

    enter('audit');
    this.phase = 'audit';
    const audit = await runAudit(
      createAuditDependencies(this.clients, {
        claimsTable: this.tables.claims,
        outboxTable: this.tables.outbox,
        leasesTable: this.tables.leases,
        controlTable: this.tables.control,
        queueUrl: this.queueUrl,
        deadLetterQueueUrl: this.dlqUrl,
      }),
      // Everything is settled: no grace period, and one run reads the whole history.
      { graceSeconds: 0, fromSeq: 0, maxClaimsPerStream: this.plan.waves.flat().length * 2 + 100 },
    );

    enter('verify');
    this.phase = 'verify';
    this.stopSampling = true;
    await this.sampling;
    await this.sample();
    const result = await this.measure(published, audit, redrive.moved, initialConcurrency, drained);
    this.context.finish();
    return result;
  }

  private async seedAccounts(): Promise<void> {
    const items = this.plan.accounts.map((account) => ({
      PutRequest: { Item: { pk: account.accountId, balance: account.initialBalance } },
    }));
    for (let index = 0; index < items.length; index += 25) {
      let pending: unknown[] = items.slice(index, index + 25);
      while (pending.length > 0) {
        const result = await this.clients.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tables.accounts]: pending as never } }),
        );
        pending = result.UnprocessedItems?.[this.tables.accounts] ?? [];
      }
    }
  }

  /** Publishes the burst as the trade service: direct mode, key = account, one wave at a time. */
  private async produce(): Promise<Map<string, string>> {
    const producer = createProducer({
      clients: this.clients,
      // The workload checks every outcome itself; producer log lines would only interleave with its view.
      telemetry: SILENT_TELEMETRY,
      queueUrl: this.queueUrl,
      leasesTable: this.tables.leases,
      outboxTable: this.tables.outbox,
      ...(this.options.producerBatching ? { batching: this.options.producerBatching } : {}),
    });
    const orderOfEnvelope = new Map<string, string>();
    const envelopes: Envelope[] = [];
    const duplicates = new Set(this.plan.duplicateIndexes);
    let offset = 0;
    try {
      for (const [waveIndex, wave] of this.plan.waves.entries()) {
        const sent = await Promise.all(
          wave.map((order) =>
            producer.publish({
              type: POINTS_DEDUCT,
              payload: padPayload(
                { accountId: order.accountId, amount: order.amount, orderId: order.orderId },
                this.options.payloadBytes,
              ),
              key: order.accountId,
            }),
          ),
        );
        sent.forEach(({ envelope }, index) => {
          envelopes[offset + index] = envelope;
          orderOfEnvelope.set(envelope.id, (wave[index] as PlannedOrder).orderId);
        });
        this.produced += wave.length;
        // Duplicate deliveries: envelopes of the previous wave again, with a fresh deduplication
        // id so SQS lets them through and only the consumer's claims can stop them.
        const previous = this.plan.waves[waveIndex - 1];
        if (previous)
          await this.sendDuplicates(
            producer.parts.publisher,
            envelopes,
            offset - previous.length,
            offset,
            duplicates,
          );
        if (waveIndex === Math.floor(this.plan.waves.length / 2) && this.options.poison !== false)
          await this.sendPoison(producer);
        offset += wave.length;
      }
      const last = this.plan.waves.at(-1) ?? [];
      await this.sendDuplicates(
        producer.parts.publisher,
        envelopes,
        offset - last.length,
        offset,
        duplicates,
      );
    } finally {
      // Flushes, then releasing closes the producer stream with its exact last seq, so the audit judges the tail.
      await producer.close();
    }
    return orderOfEnvelope;
  }

  private duplicatesSent = 0;

  private async sendDuplicates(
    publisher: SqsPublisher,
    envelopes: readonly Envelope[],
    from: number,
    to: number,
    duplicates: ReadonlySet<number>,
  ): Promise<void> {
    const messages = [];
    for (let index = Math.max(0, from); index < to; index++) {
      const envelope = envelopes[index];
      if (envelope && duplicates.has(index))
        messages.push(toQueueMessage(envelope, true, `${envelope.id}-dup`));
    }
    for (let index = 0; index < messages.length; index += 10) {
      const failures = await publisher.sendBatch(messages.slice(index, index + 10));
      if (failures.length > 0) throw new Error(`duplicate send failed: ${failures[0]?.code}`);
    }
    this.duplicatesSent += messages.length;
  }

  private poisonsSent = 0;

  /** One message of each poison kind; the consumer must dead-letter each with its reason. */
  private async sendPoison(producer: Producer): Promise<void> {
    for (const poison of this.plan.poisons) {
      switch (poison.kind) {
        case 'body-not-json':
        case 'envelope-invalid': {
          const body =
            poison.kind === 'body-not-json' ? 'ORDER#42;points=100' : JSON.stringify({ order: 42 });
          await this.clients.sqs.send(
            new SendMessageCommand({
              QueueUrl: this.queueUrl,
              MessageBody: body,
              MessageGroupId: `poison-${poison.kind}`,
              MessageDeduplicationId: `poison-${poison.kind}-${this.options.seed}`,
            }),
          );
          break;
        }
        case 'unknown-type':
          await producer.publish({
            type: 'points.refund',
            payload: { accountId: 'account-0001', amount: 5 },
            key: 'poison',
          });
          break;
        case 'payload-invalid':
          await producer.publish({
            type: POINTS_DEDUCT,
            payload: { accountId: 'account-0001', amount: -5, orderId: 'order-poison' },
            key: 'poison',
          });
          break;
      }
      this.poisonsSent++;
    }
  }

  private async queueDepth(url: string): Promise<{ visible: number; inFlight: number }> {
    const { Attributes: attributes = {} } = await this.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** At least five minutes, and 30 ms per order beyond that (the local cloud does ~500/s). */
  private drainTimeoutMs(): number {
    return this.options.drainTimeoutMs ?? Math.max(300_000, this.options.events * 30);
  }

  private async drainedNow(): Promise<boolean> {
    const depth = await this.queueDepth(this.queueUrl);
    return (
      depth.visible + depth.inFlight === 0 &&
      this.lambda.mappingStats(this.mappingId).inFlight === 0 &&
      !this.faults.outageActive
    );
  }

  private async waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let confirmations = 0;
    while (Date.now() < deadline) {
      // Twice in a row: a message can be between the queue and the function for a moment.
      confirmations = (await condition()) ? confirmations + 1 : 0;
      if (confirmations >= 2) return true;
      await sleep(250);
    }
    return false;
  }

  private async sampleLoop(): Promise<void> {
    const every = this.options.sampleEveryMs ?? 500;
    let lastDeadLetterCheck = 0;
    while (!this.stopSampling) {
      await this.sample().catch(() => {});
      if (this.faults.outageActive && Date.now() - lastDeadLetterCheck > 1000) {
        lastDeadLetterCheck = Date.now();
        await this.checkOutage().catch(() => {});
      }
      await sleep(every);
    }
  }

  /** Ends the outage once enough of its messages reached the DLQ (or it lasted too long). */
  private async checkOutage(): Promise<void> {
    const letters = await listDeadLetters(this.clients.sqs, this.dlqUrl, 100);
    this.transientDeadLetters = letters.filter((letter) => letter.reason === MAX_RECEIVE_COUNT_REASON).length;
    const tooLong = Date.now() - this.startedAt > 120_000;
    // Once everything else is consumed there is nothing more for the outage to show.
    const last = this.timeline.at(-1);
    const idle = this.phase !== 'produce' && last !== undefined && last.visible === 0;
    if (this.transientDeadLetters >= this.context.outageMessages || tooLong || idle) this.faults.endOutage();
  }

  private async sample(): Promise<void> {
    const [depth, dlq, degradation] = await Promise.all([
      this.queueDepth(this.queueUrl),
      this.queueDepth(this.dlqUrl),
      this.degradation.read(),
    ]);
    const mapping = this.lambda.mappingStats(this.mappingId);
    const sample: ProgressSample = {
      t: Math.round((Date.now() - this.startedAt) / 100) / 10,
      phase: this.phase,
      produced: this.produced,
      consumed: mapping.messagesDeleted,
      backlog: depth.visible + depth.inFlight,
      visible: depth.visible,
      concurrency: mapping.concurrencyLimit,
      inFlight: mapping.inFlight,
      dlq: dlq.visible + dlq.inFlight,
      degradation,
    };
    this.timeline.push(sample);
    this.options.onProgress?.(sample);
  }

  private async scanAll(table: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.clients.documents.send(
        new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async consumerMetrics(): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const name of CONSUMER_METRICS) {
      totals[name] = 0;
      const { Metrics: metrics = [] } = await this.clients.cloudwatch.send(
        new ListMetricsCommand({ MetricName: name }),
      );
      for (const metric of metrics) {
        const { Datapoints: points = [] } = await this.clients.cloudwatch.send(
          new GetMetricStatisticsCommand({
            Namespace: metric.Namespace,
            MetricName: name,
            Dimensions: metric.Dimensions,
            StartTime: new Date(this.startedAt - 3_600_000),
            EndTime: new Date(Date.now() + 60_000),
            Period: 86_400,
            Statistics: ['Sum'],
          }),
        );
        totals[name] += points.reduce((sum, point) => sum + (point.Sum ?? 0), 0);
      }
    }
    return totals;
  }

  private async measure(
    orderOfEnvelope: ReadonlyMap<string, string>,
    audit: AuditReport,
    redriven: number,
    initialConcurrency: number,
    drained: boolean,
  ): Promise<WorkloadResult> {
    const [ledger, accounts, claims, deadLetters, consumerMetrics] = await Promise.all([
      this.scanAll(this.tables.ledger),
      this.scanAll(this.tables.accounts),
      this.scanAll(this.tables.claims),
      listDeadLetters(this.clients.sqs, this.dlqUrl, 1000),
      this.consumerMetrics(),
    ]);
    const orders = plannedOrders(this.plan);

    const ledgerByOrder = new Map<string, number>();
    const ledgerSumByAccount = new Map<string, number>();
    const rejectedOrders = new Set<string>();
    const decidedAt = new Map<string, number>();
    const redrivenOrders = new Set<string>();
    for (const entry of ledger) {
      const orderId = String(entry.pk);
      // Transactional mode: the claim rides on the ledger entry; a rejected order's entry holds
      // only the claim (no amount).
      const claim = ledgerClaim(entry);
      if (claim?.completedAt !== undefined) decidedAt.set(orderId, claim.completedAt);
      if (claim?.id && this.redrivenEnvelopes.has(claim.id)) redrivenOrders.add(orderId);
      if (entry.amount === undefined) {
        if (claim?.status === 'REJECTED') rejectedOrders.add(orderId);
        continue;
      }
      ledgerByOrder.set(orderId, (ledgerByOrder.get(orderId) ?? 0) + 1);
      const account = String(entry.accountId);
      ledgerSumByAccount.set(account, (ledgerSumByAccount.get(account) ?? 0) + Number(entry.amount));
    }
    let appliedTwice = 0;
    for (const claim of claims) {
      // Claim mode (and handlers without claimOn): one claims-table item per message.
      if (claim.type !== POINTS_DEDUCT) continue;
      const orderId = orderOfEnvelope.get(String(claim.pk));
      const completedAt = Number(claim.completedAt);
      if (
        orderId &&
        Number.isFinite(completedAt) &&
        (claim.status === 'COMPLETED' || claim.status === 'REJECTED')
      )
        decidedAt.set(orderId, completedAt);
      if (orderId && this.redrivenEnvelopes.has(String(claim.pk))) redrivenOrders.add(orderId);
      if (claim.status === 'REJECTED' && orderId) rejectedOrders.add(orderId);
      if (claim.status === 'COMPLETED' && orderId && !ledgerByOrder.has(orderId)) appliedTwice++;
    }
    let appliedOnce = 0;
    let unaccounted = 0;
    for (const order of orders) {
      const entries = ledgerByOrder.get(order.orderId) ?? 0;
      if (entries === 1) appliedOnce++;
      if (entries > 1) appliedTwice += entries - 1;
      if (entries === 0 && !rejectedOrders.has(order.orderId)) unaccounted++;
    }
    // The reference model in the order the orders were decided; see replayedOutcome.
    const expected = replayedOutcome(this.plan, decidedAt);
    const reorderedByRedrive = [...expected.late].filter((orderId) => redrivenOrders.has(orderId)).length;
    let rejectionMismatches = 0;
    for (const orderId of expected.rejected) if (!rejectedOrders.has(orderId)) rejectionMismatches++;
    for (const orderId of rejectedOrders) if (!expected.rejected.has(orderId)) rejectionMismatches++;

    const balanceProblems: string[] = [];
    let negativeBalances = 0;
    const finalBalances = new Map(accounts.map((item) => [String(item.pk), Number(item.balance)]));
    for (const account of this.plan.accounts) {
      const final = finalBalances.get(account.accountId);
      const spent = ledgerSumByAccount.get(account.accountId) ?? 0;
      if (final === undefined) {
        balanceProblems.push(`${account.accountId}: account missing`);
        continue;
      }
      if (final < 0) negativeBalances++;
      if (account.initialBalance - spent !== final)
        balanceProblems.push(
          `${account.accountId}: initial ${account.initialBalance} - ledger ${spent} != final ${final}`,
        );
      const model = expected.finalBalances.get(account.accountId);
      if (model !== final)
        balanceProblems.push(`${account.accountId}: final ${final}, reference model ${model}`);
    }

    const poisons: PoisonResult[] = this.plan.poisons.map((poison) => ({
      kind: poison.kind,
      expectedReason: poison.reason,
      dlqReason: deadLetters.find((letter) => letter.reason === poison.reason)?.reason,
    }));
    const peak = this.timeline.reduce((max, sample) => Math.max(max, sample.concurrency), initialConcurrency);
    const peakDegradation = this.timeline.reduce<DegradationLevel>(
      (max, sample) =>
        LEVEL_ORDER.indexOf(sample.degradation) > LEVEL_ORDER.indexOf(max) ? sample.degradation : max,
      'normal',
    );
    return {
      events: orders.length,
      seed: this.options.seed,
      timeScale: this.context.timeScale,
      accounts: this.plan.accounts.length,
      stack: this.context.stack,
      produced: this.produced,
      duplicatesSent: this.duplicatesSent,
      appliedOnce,
      appliedTwice,
      duplicatesSuppressed: consumerMetrics.Duplicates ?? 0,
      rejected: rejectedOrders.size,
      expectedRejected: expected.rejected.size,
      rejectionMismatches,
      reorderedByRedrive,
      reorderedUnexplained: expected.late.size - reorderedByRedrive,
      unaccounted,
      poisoned: this.poisonsSent,
      poisons,
      inDlq: deadLetters.length,
      transientDeadLetters: this.transientDeadLetters,
      redriven,
      missing: audit.counts.missing,
      audit: { counts: audit.counts, republished: audit.republished, unrecoverable: audit.unrecoverable },
      balancesConsistent: balanceProblems.length === 0 && negativeBalances === 0,
      balanceProblems: balanceProblems.slice(0, 20),
      negativeBalances,
      initialConcurrency,
      peakConcurrency: peak,
      peakBacklog: this.timeline.reduce((max, sample) => Math.max(max, sample.backlog), 0),
      lowestBacklogStep: this.context.lowestBacklogStep,
      finalConcurrency: this.lambda.mappingStats(this.mappingId).concurrencyLimit,
      peakDegradation,
      faults: { transactThrottled: this.faults.throttled, outageFailures: this.faults.outageFailures },
      consumerMetrics,
      durations: this.context.durations,
      drained,
      timeline: this.timeline,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Envelope fields around the payload (id, type, producer, seq, key, occurredAt, ...), in bytes. */
const ENVELOPE_OVERHEAD_BYTES = 230;

/** Adds a `memo` so the order's envelope is about `bytes` long; unchanged without a size. */
export function padPayload<T extends object>(payload: T, bytes: number | undefined): T {
  if (bytes === undefined) return payload;
  const used = JSON.stringify(payload).length + ENVELOPE_OVERHEAD_BYTES + ',"memo":""'.length;
  return { ...payload, memo: 'x'.repeat(Math.max(0, bytes - used)) };
}

/** The claim a ledger entry carries (transactional mode, `claimOn`), if any. */
function ledgerClaim(
  entry: Record<string, unknown>,
): { id?: string; status?: string; completedAt?: number } | undefined {
  const claim = entry[CLAIM_ATTRIBUTE];
  if (claim === null || typeof claim !== 'object') return undefined;
  const { id, status, completedAt } = claim as Record<string, unknown>;
  return {
    ...(typeof id === 'string' ? { id } : {}),
    ...(typeof status === 'string' ? { status } : {}),
    ...(typeof completedAt === 'number' ? { completedAt } : {}),
  };
}
