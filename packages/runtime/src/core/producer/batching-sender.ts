/**
 * Collects messages into SendMessageBatch requests (up to ten, or until a short linger expires)
 * and retries every entry that SQS did not accept, with jittered exponential backoff. `send()`
 * resolves only once SQS acknowledged that message.
 */
import type { BatchEntryFailure, ProducerClock, Publisher, QueueMessage } from './ports.js';
import { systemProducerClock } from './ports.js';
import { MAX_MESSAGE_BYTES } from './queue-message.js';

/** Options of {@link BatchingSender}. */
export interface BatchingSenderOptions {
  readonly sender: Publisher;
  /** @default systemProducerClock */
  readonly clock?: ProducerClock;
  /** SQS accepts at most ten entries per batch. @default 10 */
  readonly maxBatchSize?: number;
  /** How long a non-full batch waits for company. @default 5 */
  readonly lingerMs?: number;
  /** Total payload of one batch request. @default 262_144 (256 KiB) */
  readonly maxBatchBytes?: number;
  /** Attempts per message, the first send included. @default 6 */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt, with full jitter. @default 25 */
  readonly backoffBaseMs?: number;
  /** @default 2_000 */
  readonly backoffMaxMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

/** SQS did not accept a message within the allowed attempts. */
export class SendExhaustedError extends Error {
  override readonly name = 'SendExhaustedError';
  constructor(
    readonly attempts: number,
    readonly lastFailure: string,
  ) {
    super(`SQS did not accept the message after ${attempts} attempts (last: ${lastFailure})`);
  }
}

interface Pending {
  readonly message: QueueMessage;
  attempts: number;
  resolve(): void;
  reject(error: Error): void;
}

/** Counts for benchmarks and tests. */
export interface BatchingSenderStats {
  requests: number;
  entriesSent: number;
  entryFailures: number;
  requestFailures: number;
}

/**
 * Batches sends into SendMessageBatch requests and retries every entry SQS did not accept (see the module comment).
 *
 * @example
 * const sender = new BatchingSender({ sender: new SqsPublisher(clients.sqs, queueUrl), lingerMs: 5 });
 * await sender.send(toQueueMessage(envelope, false)); // resolves once SQS acknowledged it
 */
export class BatchingSender {
  readonly stats: BatchingSenderStats = { requests: 0, entriesSent: 0, entryFailures: 0, requestFailures: 0 };
  private readonly sender: Publisher;
  private readonly clock: ProducerClock;
  private readonly maxBatchSize: number;
  private readonly lingerMs: number;
  private readonly maxBatchBytes: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly random: () => number;
  private queue: Pending[] = [];
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: BatchingSenderOptions) {
    this.sender = options.sender;
    this.clock = options.clock ?? systemProducerClock;
    this.maxBatchSize = Math.min(options.maxBatchSize ?? 10, 10);
    this.lingerMs = options.lingerMs ?? 5;
    this.maxBatchBytes = options.maxBatchBytes ?? MAX_MESSAGE_BYTES;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoffBaseMs = options.backoffBaseMs ?? 25;
    this.backoffMaxMs = options.backoffMaxMs ?? 2_000;
    this.random = options.random ?? Math.random;
  }

  /** Resolves once SQS acknowledged the message; rejects with SendExhaustedError after the last attempt. */
  send(message: QueueMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue({ message, attempts: 0, resolve, reject });
    });
  }

  /** Sends whatever is queued now and waits for every request in flight (retries included). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.dispatchAll();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    // Full batches leave at once; a partial remainder waits for company until the linger ends.
    while (this.fullBatchQueued()) this.dispatch(this.takeBatch());
    if (this.queue.length === 0) {
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.dispatchAll();
      }, this.lingerMs);
    }
  }

  private fullBatchQueued(): boolean {
    if (this.queue.length >= this.maxBatchSize) return true;
    let bytes = 0;
    for (const pending of this.queue) bytes += pending.message.sizeBytes;
    return bytes >= this.maxBatchBytes;
  }

  private dispatchAll(): void {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    while (this.queue.length > 0) this.dispatch(this.takeBatch());
  }

  private dispatch(batch: Pending[]): void {
    const request = this.sendBatch(batch).finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    while (batch.length < this.maxBatchSize && this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && bytes + next.message.sizeBytes > this.maxBatchBytes) break;
      bytes += next.message.sizeBytes;
      batch.push(this.queue.shift()!);
    }
    return batch;
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    for (const pending of batch) pending.attempts += 1;
    this.stats.requests += 1;
    let failures: readonly BatchEntryFailure[];
    try {
      failures = await this.sender.sendBatch(batch.map((pending) => pending.message));
    } catch (error) {
      // The whole request failed (throttled, 5xx, network): every entry is retried.
      this.stats.requestFailures += 1;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      failures = batch.map((_, index) => ({ index, code: reason, senderFault: false }));
    }
    const failed = new Map(failures.map((failure) => [failure.index, failure]));
    batch.forEach((pending, index) => {
      const failure = failed.get(index);
      if (!failure) {
        this.stats.entriesSent += 1;
        pending.resolve();
        return;
      }
      this.stats.entryFailures += 1;
      if (pending.attempts >= this.maxAttempts) {
        pending.reject(
          new SendExhaustedError(pending.attempts, `${failure.code} ${failure.message ?? ''}`.trim()),
        );
        return;
      }
      const retry = this.clock.sleep(this.backoffMs(pending.attempts)).then(() => this.enqueue(pending));
      const tracked = retry.finally(() => this.inFlight.delete(tracked));
      this.inFlight.add(tracked);
    });
  }

  private backoffMs(attempts: number): number {
    return Math.floor(this.random() * Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempts - 1)));
  }
}
