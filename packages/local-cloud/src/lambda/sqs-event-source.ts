/**
 * An SQS event source mapping, run the way Lambda runs one: pollers long-poll the queue through
 * the SQS API (the poller is an ordinary SQS client, exactly like Lambda's), gather a batch within
 * the batching window, invoke the function, then delete what succeeded. Failed messages are left
 * alone: they reappear after the queue's visibility timeout and SQS moves them to the dead-letter
 * queue after `maxReceiveCount`. See https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
import { Agent } from 'node:http';
import {
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { InvocationResult } from './function-runtime.js';

/** The mapping as the Lambda API describes it. */
export interface SqsMappingConfig {
  readonly uuid: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly eventSourceArn: string;
  /** @default 10 */
  readonly batchSize: number;
  /** @default 0 */
  readonly maximumBatchingWindowInSeconds: number;
  /** ScalingConfig.MaximumConcurrency; undefined = Lambda's default, capped locally. */
  readonly maximumConcurrency: number | undefined;
  readonly enabled: boolean;
  readonly functionResponseTypes: readonly string[];
  /** Epoch milliseconds. */
  readonly lastModified: number;
}

/** Live counters of one mapping, for the demo's progress display and for tests. */
export interface SqsMappingStats {
  /** Batches handed to the function. */
  invocations: number;
  /** Invocations running now. */
  inFlight: number;
  /** Highest `inFlight` seen since creation or the last `resetPeak()`. */
  peakInFlight: number;
  /** Pollers running now (Lambda's "concurrency" of the mapping scales with the backlog). */
  pollers: number;
  /** The bound on concurrent invocations right now. */
  concurrencyLimit: number;
  messagesReceived: number;
  messagesDeleted: number;
  /** Invocations that ended in a function error (the whole batch returns to the queue). */
  failedInvocations: number;
  /** Messages reported in `batchItemFailures` (left on the queue). */
  reportedItemFailures: number;
  /** Responses that failed the whole batch without a function error (invalid batchItemFailures). */
  rejectedResponses: number;
  /** Last polling problem (queue missing, SQS unreachable), cleared by the next good receive. */
  lastError: string | undefined;
}

export interface SqsEventSourceHost {
  /** Endpoint of the local cloud, e.g. `http://127.0.0.1:4566`. */
  endpoint(): string;
  invoke(functionName: string, event: unknown): Promise<InvocationResult>;
  /** Reserved concurrency of the function, if any: the mapping never exceeds it. */
  reservedConcurrency(functionName: string): number | undefined;
  /** Concurrency used when the mapping sets no MaximumConcurrency (Lambda's default is 1000). */
  readonly defaultMaximumConcurrency: number;
  /** Divides the batching window. @default 1 */
  readonly timeScale?: number;
}

const LONG_POLL_SECONDS = 20;
const SCALE_OUT_INTERVAL_MS = 200;
const RECEIVE_LIMIT = 10;
const DUMMY_CREDENTIALS = { accessKeyId: 'oncely', secretAccessKey: 'oncely-local' };

export class SqsEventSource {
  readonly stats: SqsMappingStats;
  private client: SQSClient | undefined;
  private queueUrl: string | undefined;
  private abort = new AbortController();
  private running = false;
  /** Pollers wanted now: grows while receives return messages, shrinks when they come back empty. */
  private targetPollers = 1;
  private lastScaleOut = 0;
  private readonly slotWaiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    public config: SqsMappingConfig,
    private readonly host: SqsEventSourceHost,
  ) {
    this.stats = {
      invocations: 0,
      inFlight: 0,
      peakInFlight: 0,
      pollers: 0,
      concurrencyLimit: this.concurrencyLimit(),
      messagesReceived: 0,
      messagesDeleted: 0,
      failedInvocations: 0,
      reportedItemFailures: 0,
      rejectedResponses: 0,
      lastError: undefined,
    };
  }

  /** Starts polling if the mapping is enabled. */
  start(): void {
    if (!this.config.enabled || this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.targetPollers = 1;
    this.spawnPollers();
  }

  /** Applies an UpdateEventSourceMapping live: a lower concurrency takes effect for the next batch. */
  update(config: SqsMappingConfig): void {
    this.config = config;
    this.stats.concurrencyLimit = this.concurrencyLimit();
    this.targetPollers = Math.min(this.targetPollers, this.stats.concurrencyLimit);
    if (!config.enabled) this.stop();
    else if (!this.running) this.start();
    else this.spawnPollers();
    this.wakeSlotWaiters();
  }

  /** Stops polling; batches already being processed finish (and are deleted) normally. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    this.wakeSlotWaiters();
  }

  /** Resolves once no poller runs and no invocation is in flight. */
  async idle(): Promise<void> {
    while (this.stats.pollers > 0 || this.stats.inFlight > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  resetPeak(): void {
    this.stats.peakInFlight = this.stats.inFlight;
  }

  close(): void {
    this.stop();
    this.client?.destroy();
    this.client = undefined;
  }

  private concurrencyLimit(): number {
    const configured = this.config.maximumConcurrency ?? this.host.defaultMaximumConcurrency;
    const reserved = this.host.reservedConcurrency(this.config.functionName);
    return Math.max(1, reserved === undefined ? configured : Math.min(configured, reserved));
  }

  private spawnPollers(): void {
    while (this.running && this.stats.pollers < Math.min(this.targetPollers, this.stats.concurrencyLimit)) {
      this.stats.pollers++;
      void this.poll();
    }
  }

  private async poll(): Promise<void> {
    for (;;) {
      // Decided and counted in one synchronous step, so two pollers never leave for the same surplus.
      if (!this.running || this.stats.pollers > Math.min(this.targetPollers, this.stats.concurrencyLimit)) {
        this.stats.pollers--;
        this.notifyIdle();
        return;
      }
      let batch: Message[];
      try {
        batch = await this.gatherBatch();
        this.stats.lastError = undefined;
      } catch (error) {
        if (!this.running) continue;
        // The queue may have been deleted and created again under a new URL.
        this.queueUrl = undefined;
        this.stats.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        await sleep(1000);
        continue;
      }
      if (batch.length === 0) {
        this.targetPollers = Math.max(1, this.targetPollers - 1);
        continue;
      }
      // A backlog: scale out by one poller per non-empty batch, up to the concurrency limit, at most
      // five a second (Lambda adds up to 300 concurrent executions a minute): a burst of cold starts
      // would otherwise stall a small machine past the queue's visibility timeout.
      const now = Date.now();
      if (now - this.lastScaleOut >= SCALE_OUT_INTERVAL_MS) {
        this.lastScaleOut = now;
        this.targetPollers = Math.min(this.stats.concurrencyLimit, this.targetPollers + 1);
        this.spawnPollers();
      }
      await this.process(batch);
    }
  }

  private async process(batch: Message[]): Promise<void> {
    // The bound is on function executions (what MaximumConcurrency limits on Lambda): the slot is
    // held while the function runs, not while the poller deletes afterwards.
    await this.acquireSlot();
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.stats.inFlight);
    this.stats.invocations++;
    let result: InvocationResult;
    try {
      result = await this.host.invoke(this.config.functionName, this.buildEvent(batch));
    } catch (error) {
      // Throttled or deleted function: like a function error, the batch returns after its visibility timeout.
      this.stats.failedInvocations++;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      return;
    } finally {
      this.stats.inFlight--;
      this.wakeSlotWaiters();
      this.notifyIdle();
    }
    const failedIds = this.failedMessageIds(batch, result);
    if (failedIds === 'all') {
      if (result.functionError) this.stats.failedInvocations++;
      else this.stats.rejectedResponses++;
      return;
    }
    this.stats.reportedItemFailures += failedIds.size;
    try {
      await this.deleteMessages(batch.filter((message) => !failedIds.has(message.MessageId ?? '')));
    } catch (error) {
      // Undeleted messages come back after their visibility timeout: at least once, never lost.
      this.stats.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }

  /**
   * Which messages failed. Per the Lambda documentation, with ReportBatchItemFailures an empty or
   * null response (or an empty `batchItemFailures`) is full success, while an unparsable response
   * or any empty, malformed or unknown `itemIdentifier` fails the whole batch.
   */
  private failedMessageIds(batch: Message[], result: InvocationResult): Set<string> | 'all' {
    if (result.functionError) return 'all';
    if (!this.config.functionResponseTypes.includes('ReportBatchItemFailures')) return new Set();
    let response: unknown;
    try {
      response = JSON.parse(result.payload);
    } catch {
      return 'all';
    }
    if (response === null || typeof response !== 'object') return new Set();
    const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) return 'all';
    const known = new Set(batch.map((message) => message.MessageId));
    const failed = new Set<string>();
    for (const failure of failures) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || id === '' || !known.has(id)) return 'all';
      failed.add(id);
    }
    return failed;
  }

  /**
   * Waits for a free slot and takes it in the same synchronous step as the check: two waiters woken
   * together must not both see the last free slot (MaximumConcurrency would be exceeded).
   */
  private async acquireSlot(): Promise<void> {
    while (this.stats.inFlight >= this.stats.concurrencyLimit) {
      await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    }
    this.stats.inFlight++;
  }

  private wakeSlotWaiters(): void {
    for (const wake of this.slotWaiters.splice(0)) wake();
  }

  private notifyIdle(): void {
    if (this.stats.pollers === 0 && this.stats.inFlight === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /**
   * One long poll until something arrives, then more receives until the batch is full or the
   * batching window closes.
   */
  private async gatherBatch(): Promise<Message[]> {
    const batchSize = this.config.batchSize;
    const batch = await this.receive(Math.min(RECEIVE_LIMIT, batchSize), LONG_POLL_SECONDS);
    if (batch.length === 0) return batch;
    const windowMs = (this.config.maximumBatchingWindowInSeconds * 1000) / (this.host.timeScale ?? 1);
    const closesAt = Date.now() + windowMs;
    while (this.running && batch.length < batchSize && Date.now() < closesAt) {
      const remainingMs = closesAt - Date.now();
      const more = await this.receive(
        Math.min(RECEIVE_LIMIT, batchSize - batch.length),
        Math.min(LONG_POLL_SECONDS, Math.floor(remainingMs / 1000)),
      );
      if (more.length === 0 && remainingMs < 1000) await sleep(Math.min(remainingMs, 50));
      batch.push(...more);
    }
    this.stats.messagesReceived += batch.length;
    return batch;
  }

  private async receive(maxMessages: number, waitSeconds: number): Promise<Message[]> {
    const client = this.sqs();
    const queueUrl = await this.resolveQueueUrl(client);
    const output = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: maxMessages,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.abort.signal },
    );
    return output.Messages ?? [];
  }

  private async deleteMessages(messages: Message[]): Promise<void> {
    const client = this.sqs();
    const queueUrl = await this.resolveQueueUrl(client);
    for (let start = 0; start < messages.length; start += RECEIVE_LIMIT) {
      const chunk = messages.slice(start, start + RECEIVE_LIMIT);
      const output = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      this.stats.messagesDeleted += output.Successful?.length ?? 0;
    }
  }

  private async resolveQueueUrl(client: SQSClient): Promise<string> {
    if (this.queueUrl) return this.queueUrl;
    const { account, name } = parseQueueArn(this.config.eventSourceArn);
    const output = await client.send(
      new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
      { abortSignal: this.abort.signal },
    );
    this.queueUrl = output.QueueUrl!;
    return this.queueUrl;
  }

  private sqs(): SQSClient {
    this.client ??= new SQSClient({
      endpoint: this.host.endpoint(),
      region: parseQueueArn(this.config.eventSourceArn).region,
      credentials: DUMMY_CREDENTIALS,
      // Every poller holds a connection for its long poll; deletes must not queue behind them.
      requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 1024 }) },
    });
    return this.client;
  }

  /** The event Lambda passes for an SQS batch. */
  private buildEvent(batch: Message[]): { Records: unknown[] } {
    const { region } = parseQueueArn(this.config.eventSourceArn);
    return {
      Records: batch.map((message) => ({
        messageId: message.MessageId,
        receiptHandle: message.ReceiptHandle,
        body: message.Body ?? '',
        attributes: message.Attributes ?? {},
        messageAttributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            {
              ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
              ...(value.BinaryValue !== undefined
                ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
                : {}),
              stringListValues: value.StringListValues ?? [],
              binaryListValues: (value.BinaryListValues ?? []).map((item) =>
                Buffer.from(item).toString('base64'),
              ),
              dataType: value.DataType,
            },
          ]),
        ),
        md5OfBody: message.MD5OfBody,
        ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
        eventSource: 'aws:sqs',
        eventSourceARN: this.config.eventSourceArn,
        awsRegion: region,
      })),
    };
  }
}

/** `arn:aws:sqs:us-east-1:000000000000:orders.fifo` */
export function parseQueueArn(arn: string): { region: string; account: string; name: string } {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[2] !== 'sqs') throw new Error(`Not an SQS queue ARN: ${arn}`);
  return { region: parts[3]!, account: parts[4]!, name: parts[5]! };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
