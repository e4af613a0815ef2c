/**
 * Throughput of an SQS endpoint through the real SDK: producers and consumers run at the same
 * time, and a message counts once it was sent, received and deleted. Works against the local
 * cloud, LocalStack or AWS (with their credentials).
 *
 * @example
 * const cloud = await startLocalCloud({ port: 0 });
 * const figures = await benchSqs(cloud.endpoint, { messages: 50_000 });
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../functions/adapters/aws-clients.js';

export interface SqsBenchOptions {
  /** Messages for the batched run. */
  readonly messages: number;
  /** Messages for the one-at-a-time run. @default min(messages, 5000) */
  readonly singleMessages?: number;
  /** Concurrent producers and, separately, concurrent consumers. @default 4 */
  readonly concurrency?: number;
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
}

export interface SqsBenchFigures {
  readonly batched: SqsBenchRun;
  readonly single: SqsBenchRun;
}

export async function benchSqs(endpoint: string, options: SqsBenchOptions): Promise<SqsBenchFigures> {
  const sqs = new SQSClient({
    endpoint,
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? LOCAL_CREDENTIALS,
    ...(options.tcpNoDelay
      ? {
          requestHandler: {
            // `noDelay` is a socket option the agent passes on to net.connect.
            httpAgent: new Agent({ keepAlive: true, maxSockets: 50, noDelay: true } as ConstructorParameters<
              typeof Agent
            >[0]),
          },
        }
      : {}),
  });
  try {
    const concurrency = options.concurrency ?? 4;
    const batched = await run(sqs, 'batches-of-10', options.messages, concurrency);
    const single = await run(
      sqs,
      'single',
      options.singleMessages ?? Math.min(options.messages, 5000),
      concurrency,
    );
    return { batched, single };
  } finally {
    sqs.destroy();
  }
}

async function run(
  sqs: SQSClient,
  mode: SqsBenchRun['mode'],
  messages: number,
  concurrency: number,
): Promise<SqsBenchRun> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `bench-${mode}-${randomUUID().slice(0, 8)}` }),
  );
  const batch = mode === 'batches-of-10' ? 10 : 1;
  const body = JSON.stringify({ payload: 'x'.repeat(200) });
  let toSend = messages;
  let done = 0;
  let requests = 0;

  const produce = async () => {
    while (toSend > 0) {
      const count = Math.min(batch, toSend);
      toSend -= count;
      requests++;
      if (batch === 1) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
      else {
        const Entries = Array.from({ length: count }, (_, i) => ({ Id: `m${i}`, MessageBody: body }));
        await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
      }
    }
  };
  const consume = async () => {
    while (done < messages) {
      requests++;
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: batch, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) continue;
      requests++;
      if (batch === 1)
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0]!.ReceiptHandle }));
      else {
        const Entries = Messages.map((message, i) => ({
          Id: `d${i}`,
          ReceiptHandle: message.ReceiptHandle!,
        }));
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries }));
      }
      done += Messages.length;
    }
  };

  const started = performance.now();
  await Promise.all([
    ...Array.from({ length: concurrency }, produce),
    ...Array.from({ length: concurrency }, consume),
  ]);
  const seconds = (performance.now() - started) / 1000;
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  return {
    mode,
    messages,
    seconds: Math.round(seconds * 100) / 100,
    messagesPerSecond: Math.round(messages / seconds),
    requestsPerSecond: Math.round(requests / seconds),
  };
}
