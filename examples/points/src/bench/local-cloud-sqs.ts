/**
 * Throughput of an SQS endpoint through the real SDK: producers and consumers run at the same
 * time, and a message counts once it was sent, received and deleted. Works against the local
 * cloud, LocalStack or AWS (with their credentials). With `threads` > 0 the clients run in worker
 * threads (bench/sdk-job-runner.ts), so an in-process local cloud gets a core of its own.
 *
 * @example
 * const cloud = await startLocalCloud({ port: 0 });
 * const figures = await benchSqs(cloud.endpoint, { messages: 50_000 });
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '@oncely/runtime/aws';
import { runSdkJob, shareOf } from './sdk-job-runner.js';

export interface SqsBenchOptions {
  /** Messages for the batched run. */
  readonly messages: number;
  /** Messages for the one-at-a-time run. @default min(messages, 5000) */
  readonly singleMessages?: number;
  /** Concurrent producers and, separately, concurrent consumers, per thread. @default 4 */
  readonly concurrency?: number;
  /**
   * Worker threads running SDK clients, each on its own queue with its share of the messages;
   * 0 runs the client on the calling thread. @default 0
   */
  readonly threads?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * Disable Nagle's algorithm on the SDK's sockets. The SDK's default agent leaves it on, and on
   * loopback a request can then wait for a delayed ACK; measured both ways to show the difference.
   * @default false (the SDK default)
   */
  readonly tcpNoDelay?: boolean;
  /** @default the local cloud's credentials */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface SqsBenchRun {
  readonly mode: 'batches-of-10' | 'single';
  readonly messages: number;
  readonly seconds: number;
  /** Messages sent + received + deleted per second. */
  readonly messagesPerSecond: number;
  /** Requests per second over the whole run (send, receive and delete calls). */
  readonly requestsPerSecond: number;
  /** Worker threads that ran the clients (0: the calling thread). */
  readonly threads: number;
}

export interface SqsBenchFigures {
  readonly batched: SqsBenchRun;
  readonly single: SqsBenchRun;
}

/** The load of one thread on its own queue: producers and consumers at the same time. */
const SQS_JOB = `async (sdk, data) => {
  const { Agent } = require('node:http');
  const { endpoint, region, credentials, queueUrl: QueueUrl, messages, batch, concurrency, tcpNoDelay } = data;
  const sqs = new sdk.SQSClient({
    endpoint, region, credentials,
    ...(tcpNoDelay ? { requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 50, noDelay: true }) } } : {}),
  });
  const body = JSON.stringify({ payload: 'x'.repeat(200) });
  let toSend = messages;
  let done = 0;
  let requests = 0;
  const produce = async () => {
    while (toSend > 0) {
      const count = Math.min(batch, toSend);
      toSend -= count;
      requests++;
      if (batch === 1) await sqs.send(new sdk.SendMessageCommand({ QueueUrl, MessageBody: body }));
      else {
        const Entries = Array.from({ length: count }, (_, i) => ({ Id: 'm' + i, MessageBody: body }));
        await sqs.send(new sdk.SendMessageBatchCommand({ QueueUrl, Entries }));
      }
    }
  };
  const consume = async () => {
    while (done < messages) {
      requests++;
      const { Messages = [] } = await sqs.send(
        new sdk.ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: batch, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) continue;
      requests++;
      if (batch === 1)
        await sqs.send(new sdk.DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle }));
      else {
        const Entries = Messages.map((message, i) => ({ Id: 'd' + i, ReceiptHandle: message.ReceiptHandle }));
        await sqs.send(new sdk.DeleteMessageBatchCommand({ QueueUrl, Entries }));
      }
      done += Messages.length;
    }
  };
  return async () => {
    await Promise.all([
      ...Array.from({ length: concurrency }, produce),
      ...Array.from({ length: concurrency }, consume),
    ]);
    sqs.destroy();
    return { requests };
  };
}`;

export async function benchSqs(endpoint: string, options: SqsBenchOptions): Promise<SqsBenchFigures> {
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  const sqs = new SQSClient({ endpoint, region, credentials });
  const settings: RunSettings = {
    endpoint,
    region,
    credentials: { ...credentials },
    concurrency: options.concurrency ?? 4,
    threads: Math.max(0, options.threads ?? 0),
    tcpNoDelay: options.tcpNoDelay ?? false,
  };
  try {
    const batched = await runSqs(sqs, settings, 'batches-of-10', options.messages);
    const single = await runSqs(
      sqs,
      settings,
      'single',
      options.singleMessages ?? Math.min(options.messages, 5000),
    );
    return { batched, single };
  } finally {
    sqs.destroy();
  }
}

/** How an SQS run is driven (see {@link SqsBenchOptions}). */
export interface RunSettings {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly concurrency: number;
  readonly threads: number;
  readonly tcpNoDelay: boolean;
}

/**
 * One send+receive+delete run of `messages` messages (batches of 10 or one at a time). Exported
 * for the memory-flatness run, which needs batched runs on their own.
 */
export async function runSqs(
  sqs: SQSClient,
  settings: RunSettings,
  mode: SqsBenchRun['mode'],
  messages: number,
): Promise<SqsBenchRun> {
  const parts = Math.max(1, settings.threads);
  const queueUrls: string[] = [];
  try {
    for (let t = 0; t < parts; t++) {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: `bench-${mode}-${randomUUID().slice(0, 8)}` }),
      );
      queueUrls.push(QueueUrl!);
    }
    const run = await runSdkJob<{ requests: number }>({
      job: SQS_JOB,
      sdkModule: '@aws-sdk/client-sqs',
      threads: settings.threads,
      data: (t) => ({
        endpoint: settings.endpoint,
        region: settings.region,
        credentials: settings.credentials,
        queueUrl: queueUrls[t],
        messages: shareOf(messages, t, parts),
        batch: mode === 'batches-of-10' ? 10 : 1,
        concurrency: settings.concurrency,
        tcpNoDelay: settings.tcpNoDelay,
      }),
    });
    const requests = run.results.reduce((sum, result) => sum + result.requests, 0);
    return {
      mode,
      messages,
      seconds: Math.round(run.seconds * 100) / 100,
      messagesPerSecond: Math.round(messages / run.seconds),
      requestsPerSecond: Math.round(requests / run.seconds),
      threads: settings.threads,
    };
  } finally {
    for (const QueueUrl of queueUrls)
      await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
  }
}
