/**
 * The console's memory of the run: every `sampleEveryMs` it reads each deployed stack as `oncely
 * status` does (the same `readStatus` and `queueStatus`, never peeking: a peek is a receive and
 * would count towards a message's maxReceiveCount) and keeps the samples, so a page opened late
 * still draws the whole run. Running invocations are the local Lambda's own counters: no AWS API
 * reports them per mapping.
 */
import { GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import type { LambdaService, LocalCloud } from '@oncely/local-cloud';
import type { AwsClients } from '@oncely/runtime/aws';
import { type PipelineStatus, type QueueStatus, queueStatus, readStatus } from '../commands/status.js';
import { resourcesOfType, type StackDirectory, type StackEntry } from './stacks.js';

export interface QueueSample extends QueueStatus {
  /** The queue's logical id in the stack. */
  readonly id: string;
}

export interface MappingSample {
  readonly id: string;
  readonly uuid: string;
  readonly state: string | undefined;
  /** ScalingConfig.MaximumConcurrency as GetEventSourceMapping reports it (what the scaler sets). */
  readonly maximumConcurrency: number | undefined;
  /** Invocations of the mapping running now. */
  readonly running: number;
}

export interface StackSample {
  /** Epoch ms. */
  readonly t: number;
  /** What `oncely status --json --no-peek --stack NAME` prints now; pipeline stacks only. */
  readonly status: PipelineStatus | undefined;
  readonly queues: readonly QueueSample[];
  readonly mappings: readonly MappingSample[];
  /** Why this sample is incomplete, when it is. */
  readonly error?: string;
}

export type SampleListener = (stack: string, sample: StackSample) => void;

export interface SamplerOptions {
  /** @default 1000 */
  readonly sampleEveryMs?: number;
  /** Samples kept per stack; older ones are thinned to every other one. @default 3600 */
  readonly historyLimit?: number;
}

export class Sampler {
  private readonly history = new Map<string, StackSample[]>();
  private readonly listeners = new Set<SampleListener>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  readonly sampleEveryMs: number;
  private readonly historyLimit: number;

  constructor(
    private readonly cloud: LocalCloud,
    private readonly directory: StackDirectory,
    private readonly clients: AwsClients,
    options: SamplerOptions = {},
  ) {
    this.sampleEveryMs = Math.max(50, options.sampleEveryMs ?? 1000);
    this.historyLimit = Math.max(100, options.historyLimit ?? 3600);
  }

  /** Takes the first sample, then one every `sampleEveryMs` (never two at once). */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    return this.running ?? Promise.resolve();
  }

  onSample(listener: SampleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  samples(stack: string, since = 0): readonly StackSample[] {
    const samples = this.history.get(stack) ?? [];
    return since > 0 ? samples.filter((sample) => sample.t > since) : samples;
  }

  latest(stack: string): StackSample | undefined {
    return this.history.get(stack)?.at(-1);
  }

  /** Epoch ms of the first sample of any stack: where the console's charts start. */
  firstSampleAt(): number | undefined {
    let first: number | undefined;
    for (const samples of this.history.values()) {
      const t = samples[0]?.t;
      if (t !== undefined && (first === undefined || t < first)) first = t;
    }
    return first;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.sampleEveryMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const run = (async () => {
      try {
        await this.directory.refresh();
      } catch {
        // The endpoint is stopping, or answered badly once: the known stacks are still sampled.
      }
      await Promise.all(
        this.directory.list().map(async (stack) => {
          const sample = await this.sample(stack);
          if (this.stopped) return;
          this.record(stack.name, sample);
          for (const listener of this.listeners) {
            try {
              listener(stack.name, sample);
            } catch (error) {
              console.error('oncely console: a sample listener failed', error);
            }
          }
        }),
      );
    })();
    this.running = run;
    await run;
  }

  private record(stack: string, sample: StackSample): void {
    let samples = this.history.get(stack);
    if (!samples) {
      samples = [];
      this.history.set(stack, samples);
    }
    samples.push(sample);
    if (samples.length > this.historyLimit) {
      // Thin the older half: the whole run stays drawable, recent samples stay dense.
      const half = Math.floor(samples.length / 2);
      const thinned = samples.slice(0, half).filter((_, index) => index % 2 === 0);
      this.history.set(stack, [...thinned, ...samples.slice(half)]);
    }
  }

  /** One sample of a stack, now. */
  async sample(stack: StackEntry): Promise<StackSample> {
    const t = Date.now();
    const errors: string[] = [];
    let status: PipelineStatus | undefined;
    if (stack.pipeline) {
      try {
        status = await readStatus(stack.pipeline, false);
      } catch (error) {
        errors.push(`status: ${(error as Error).message}`);
      }
    }
    const queueIds = new Map(
      resourcesOfType(stack, 'AWS::SQS::Queue').map((queue) => [queue.physicalId, queue.logicalId]),
    );
    const known = new Map<string, QueueStatus>();
    if (status) {
      known.set(status.queue.url, status.queue);
      if (status.deadLetterQueue) known.set(status.deadLetterQueue.url, status.deadLetterQueue);
    }
    const queues = await Promise.all(
      [...queueIds].map(async ([url, id]): Promise<QueueSample | undefined> => {
        try {
          const counts =
            known.get(url) ?? (await queueStatus(this.clients.sqs, this.clients.cloudwatch, url, false));
          return { ...counts, id };
        } catch (error) {
          errors.push(`${id}: ${(error as Error).message}`);
          return undefined;
        }
      }),
    );
    const lambda = this.cloud.services.lambda as LambdaService | undefined;
    const mappings = await Promise.all(
      stack.architecture.mappings.map(async (mapping): Promise<MappingSample | undefined> => {
        if (!mapping.uuid) return undefined;
        let running = 0;
        try {
          running = lambda?.mappingStats(mapping.uuid).inFlight ?? 0;
        } catch {
          // Deleted since the stack was read.
        }
        const fromStatus =
          status?.eventSourceMapping?.id === mapping.uuid ? status.eventSourceMapping : undefined;
        if (fromStatus) {
          return {
            id: mapping.id,
            uuid: mapping.uuid,
            state: fromStatus.state,
            maximumConcurrency: fromStatus.maximumConcurrency,
            running,
          };
        }
        try {
          const described = await this.clients.lambda.send(
            new GetEventSourceMappingCommand({ UUID: mapping.uuid }),
          );
          return {
            id: mapping.id,
            uuid: mapping.uuid,
            state: described.State,
            maximumConcurrency: described.ScalingConfig?.MaximumConcurrency,
            running,
          };
        } catch (error) {
          errors.push(`${mapping.id}: ${(error as Error).message}`);
          return undefined;
        }
      }),
    );
    return {
      t,
      status,
      queues: queues.filter((queue) => queue !== undefined),
      mappings: mappings.filter((mapping) => mapping !== undefined),
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  }
}
