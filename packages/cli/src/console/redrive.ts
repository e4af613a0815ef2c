/**
 * Redrives started from the console, with their progress, through the same functions as
 * `oncely dlq redrive`: everything by a message move task to the pipeline's queue, a selection by
 * receiving, re-sending and only then deleting each chosen message. One redrive per DLQ at a time.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueArnOf, redriveSelected, startRedrive, waitForRedrive } from '@oncely/runtime/aws';
import type { DeadLetterQueueRef } from './views.js';

export interface RedriveJob {
  readonly id: number;
  readonly queue: string;
  readonly mode: 'all' | 'selected';
  /** Messages asked for (selected), or the move task's estimate (all). */
  readonly requested: number | undefined;
  readonly status: 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
  readonly moved: number;
  readonly failed: number;
  readonly errors: readonly string[];
  readonly startedAt: number;
  readonly finishedAt: number | undefined;
}

export class RedriveJobs {
  private readonly jobs = new Map<string, RedriveJob>();
  private nextId = 1;

  constructor(private readonly sqs: SQSClient) {}

  /** The latest job of a DLQ (by URL). */
  latest(url: string): RedriveJob | undefined {
    return this.jobs.get(url);
  }

  /**
   * Starts a redrive of `queue`: every message (`messageIds` undefined) or the listed ones. Throws
   * when one is running there already. Returns at once; `latest` follows it.
   */
  start(queue: DeadLetterQueueRef, messageIds: readonly string[] | undefined): RedriveJob {
    if (this.jobs.get(queue.url)?.status === 'RUNNING')
      throw new RedriveConflictError(`a redrive of ${queue.id} is still running`);
    let job: RedriveJob = {
      id: this.nextId++,
      queue: queue.id,
      mode: messageIds ? 'selected' : 'all',
      requested: messageIds?.length,
      status: 'RUNNING',
      moved: 0,
      failed: 0,
      errors: [],
      startedAt: Date.now(),
      finishedAt: undefined,
    };
    const update = (changes: Partial<RedriveJob>) => {
      job = { ...job, ...changes };
      this.jobs.set(queue.url, job);
    };
    update({});
    const run = messageIds ? this.selected(queue, messageIds, update) : this.all(queue, update);
    run.catch((error: unknown) =>
      update({ status: 'FAILED', errors: [...job.errors, (error as Error).message], finishedAt: Date.now() }),
    );
    return job;
  }

  private async selected(
    queue: DeadLetterQueueRef,
    messageIds: readonly string[],
    update: (changes: Partial<RedriveJob>) => void,
  ): Promise<void> {
    const result = await redriveSelected(this.sqs, queue.url, {
      messageIds,
      ...(queue.destinationUrl ? { destinationUrl: queue.destinationUrl } : {}),
      // Messages not chosen are released at the end; meanwhile a peek of the DLQ does not show them.
      holdSeconds: 30,
      onProgress: (moved, failed) => update({ moved, failed }),
    });
    update({
      status: result.failed > 0 ? 'FAILED' : 'COMPLETED',
      moved: result.moved,
      failed: result.failed,
      errors: result.errors,
      finishedAt: Date.now(),
    });
  }

  private async all(
    queue: DeadLetterQueueRef,
    update: (changes: Partial<RedriveJob>) => void,
  ): Promise<void> {
    const arn = await queueArnOf(this.sqs, queue.url);
    // An explicit destination also covers messages the consumer dead-lettered itself, which carry
    // no DeadLetterQueueSourceArn for SQS to route them by (as `oncely dlq redrive` does).
    const destinationArn = queue.destinationUrl
      ? await queueArnOf(this.sqs, queue.destinationUrl)
      : undefined;
    await startRedrive(this.sqs, arn, destinationArn ? { destinationArn } : {});
    const task = await waitForRedrive(this.sqs, arn, {
      pollMs: 250,
      onProgress: (current) => update({ moved: current.moved, requested: current.toMove }),
    });
    const status =
      task?.status === 'FAILED' ? 'FAILED' : task?.status === 'CANCELLED' ? 'CANCELLED' : 'COMPLETED';
    update({
      status,
      moved: task?.moved ?? 0,
      ...(task?.failureReason ? { errors: [task.failureReason] } : {}),
      finishedAt: Date.now(),
    });
  }
}

export class RedriveConflictError extends Error {}
