/**
 * Producer benchmark: Snowflake ids per second in-process, and direct-mode publish throughput with
 * batching (SendMessageBatch, up to ten per request) versus one SendMessage per event, in the same
 * run, against an in-process local cloud. SQS requests per event come from SDK middleware
 * (AwsRequestMeter), not from the producer's own counters.
 *
 * @example
 * const figures = await benchProducer({ events: 5_000 });
 * figures.ids.idsPerSecond;          // e.g. 3_000_000
 * figures.batched.sqsRequestsPerEvent; // ~0.1
 */
import { Agent } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud } from '@oncely/local-cloud';
import { SILENT_TELEMETRY, SnowflakeGenerator, toQueueMessage } from '@oncely/runtime';
import { createProducer, LOCAL_CREDENTIALS, type ProducerClients } from '@oncely/runtime/aws';
import { PARTITION_KEY } from '@oncely/runtime/contract';
import { AwsRequestMeter } from './aws-request-meter.js';

export interface ProducerBenchOptions {
  /** Ids generated for the id-rate figure. @default 2_000_000 */
  readonly ids?: number;
  /** Events published in each of the two publish runs. @default 5_000 */
  readonly events?: number;
  /** Publishes in flight at once (callers awaiting `publish`). @default 200 */
  readonly concurrency?: number;
  /** Publish to a FIFO queue (group = one of 50 keys). @default false */
  readonly fifo?: boolean;
  /** Batch linger. @default 5 */
  readonly lingerMs?: number;
  /** Payload bytes per event (a JSON string of this length). @default 100 */
  readonly payloadBytes?: number;
}

export interface PublishRun {
  readonly mode: 'batched' | 'one-per-event';
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly sqsRequests: number;
  readonly sqsRequestsPerEvent: number;
  /** Lease heartbeats and sequence reservations (DynamoDB UpdateItem and friends). */
  readonly dynamodbRequests: number;
}

export interface ProducerBenchFigures {
  readonly ids: { readonly generated: number; readonly seconds: number; readonly idsPerSecond: number };
  readonly batched: PublishRun;
  readonly single: PublishRun;
  readonly settings: Required<ProducerBenchOptions>;
}

export async function benchProducer(options: ProducerBenchOptions = {}): Promise<ProducerBenchFigures> {
  const settings: Required<ProducerBenchOptions> = {
    ids: options.ids ?? 2_000_000,
    events: options.events ?? 5_000,
    concurrency: options.concurrency ?? 200,
    fifo: options.fifo ?? false,
    lingerMs: options.lingerMs ?? 5,
    payloadBytes: options.payloadBytes ?? 100,
  };
  const ids = benchIds(settings.ids);
  const cloud = await startLocalCloud({ port: 0 });
  try {
    const batched = await benchPublish(cloud.endpoint, 'batched', settings);
    const single = await benchPublish(cloud.endpoint, 'one-per-event', settings);
    return { ids, batched, single, settings };
  } finally {
    await cloud.stop();
  }
}

function benchIds(count: number): ProducerBenchFigures['ids'] {
  const generator = new SnowflakeGenerator({ workerId: 1 });
  let last = '';
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) last = generator.next();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (last === '') throw new Error('no ids generated');
  return { generated: count, seconds, idsPerSecond: Math.round(count / seconds) };
}

async function benchPublish(
  endpoint: string,
  mode: PublishRun['mode'],
  settings: Required<ProducerBenchOptions>,
): Promise<PublishRun> {
  const clients = benchClients(endpoint, settings.concurrency);
  const name = `bench-producer-${mode}-${Date.now().toString(36)}`;
  try {
    const queue = await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: settings.fifo ? `${name}.fifo` : name,
        Attributes: settings.fifo ? { FifoQueue: 'true' } : {},
      }),
    );
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: `${name}-leases`,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: PARTITION_KEY, AttributeType: 'S' }],
      }),
    );
    const producer = createProducer({
      clients,
      telemetry: SILENT_TELEMETRY,
      queueUrl: queue.QueueUrl!,
      leasesTable: `${name}-leases`,
      batching: { lingerMs: settings.lingerMs },
      lease: { reserveBlock: 1_000 },
    });
    await producer.start();
    const meter = new AwsRequestMeter();
    meter.attach(clients.sqs, 'sqs');
    meter.attach(clients.dynamodb, 'dynamodb');

    const payload = { data: 'x'.repeat(settings.payloadBytes) };
    const publishOne = async (n: number) => {
      const key = `account-${n % 50}`;
      if (mode === 'batched') {
        await producer.publish({ type: 'bench.event', payload, key });
      } else {
        const envelope = await producer.parts.keeper.stamp({ type: 'bench.event', payload, key });
        await producer.parts.publisher.sendOne(toQueueMessage(envelope, producer.fifo));
      }
    };
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: settings.concurrency }, async () => {
        for (let n = next++; n < settings.events; n = next++) await publishOne(n);
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await producer.close();
    const sqsRequests = meter.total('sqs');
    return {
      mode,
      events: settings.events,
      seconds,
      eventsPerSecond: Math.round(settings.events / seconds),
      sqsRequests,
      sqsRequestsPerEvent: sqsRequests / settings.events,
      dynamodbRequests: meter.total('dynamodb'),
    };
  } finally {
    clients.destroy();
  }
}

/** Clients with keep-alive sockets and Nagle off, so loopback requests do not wait for delayed ACKs. */
function benchClients(
  endpoint: string,
  maxSockets: number,
): ProducerClients & { readonly dynamodb: DynamoDBClient; destroy(): void } {
  const requestHandler = {
    httpAgent: new Agent({ keepAlive: true, maxSockets, noDelay: true } as ConstructorParameters<
      typeof Agent
    >[0]),
  };
  const base = { endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, requestHandler };
  const sqs = new SQSClient(base);
  const dynamodb = new DynamoDBClient(base);
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    sqs,
    dynamodb,
    documents,
    destroy() {
      sqs.destroy();
      dynamodb.destroy();
    },
  };
}
