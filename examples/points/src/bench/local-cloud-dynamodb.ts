/**
 * Conditional-put throughput of a DynamoDB endpoint through the real SDK over HTTP: each put is
 * the claim write of the consumer (`attribute_not_exists(pk) OR (...)`) on a fresh key, with
 * `concurrency` requests in flight. Works against the local cloud, LocalStack or AWS.
 *
 * The SDK clients run in worker threads: an SDK call costs several times the CPU the local cloud
 * spends answering it, so in one thread the client, not the endpoint, would be measured - and
 * when the local cloud runs in this same process, clients on its event loop would slow it down.
 *
 * @example
 * const cloud = await startLocalCloud({ port: 0 });
 * const figures = await benchDynamoDb(cloud.endpoint, { puts: 20_000, concurrency: 16 });
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '@oncely/runtime/aws';
import { runSdkJob, shareOf } from './sdk-job-runner.js';

export interface DynamoDbBenchOptions {
  /** Conditional puts to issue (each on a new key). */
  readonly puts: number;
  /** Requests in flight at once, over all threads. @default 16 */
  readonly concurrency?: number;
  /**
   * Worker threads running SDK clients (each gets its share of puts and concurrency); 0 runs the
   * client on the calling thread. @default 1
   */
  readonly threads?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Disable Nagle's algorithm on the SDK's sockets (the SDK default leaves it on). @default false */
  readonly tcpNoDelay?: boolean;
  /** @default the local cloud's credentials */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface DynamoDbBenchFigures {
  readonly puts: number;
  readonly concurrency: number;
  readonly threads: number;
  readonly seconds: number;
  readonly putsPerSecond: number;
  /** Puts the condition rejected; 0 unless keys collide (they do not: every key is new). */
  readonly rejected: number;
  /** Median and 99th percentile latency of one put, in milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * CPU time of this whole process per put, in microseconds. With the endpoint in another process
   * this is the SDK's cost (middleware, signing, HTTP); it depends far less on machine load than puts/s.
   */
  readonly processCpuMicrosPerPut: number;
}

interface ThreadResult {
  readonly latencies: number[];
  readonly rejected: number;
}

/** The load of one thread (see bench/sdk-job-runner.ts): `concurrency` loops of conditional puts. */
const PUT_JOB = `async (sdk, data) => {
  const { Agent } = require('node:http');
  const { endpoint, region, credentials, table, first, count, concurrency, tcpNoDelay } = data;
  const client = new sdk.DynamoDBClient({
    endpoint, region, credentials,
    ...(tcpNoDelay ? { requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 64, noDelay: true }) } } : {}),
  });
  const latencies = [];
  let next = 0;
  let rejected = 0;
  async function loop() {
    while (next < count) {
      const i = first + next++;
      const started = performance.now();
      try {
        await client.send(new sdk.PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: 'message-' + i },
            status: { S: 'IN_PROGRESS' },
            leaseUntil: { N: String(Date.now() + 30000) },
            payloadHash: { S: 'c0ffee' },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#s = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':inProgress': { S: 'IN_PROGRESS' }, ':now': { N: String(Date.now()) } },
        }));
      } catch (error) {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
        rejected++;
      }
      latencies.push(performance.now() - started);
    }
  }
  return async () => {
    await Promise.all(Array.from({ length: concurrency }, loop));
    client.destroy();
    return { latencies, rejected };
  };
}`;

export async function benchDynamoDb(
  endpoint: string,
  options: DynamoDbBenchOptions,
): Promise<DynamoDbBenchFigures> {
  const concurrency = options.concurrency ?? 16;
  const threads = Math.max(0, Math.min(options.threads ?? 1, concurrency));
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  const client = new DynamoDBClient({ endpoint, region, credentials });
  const table = `oncely-bench-${randomUUID().slice(0, 8)}`;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 120 }, { TableName: table });
    const run = await runSdkJob<ThreadResult>({
      job: PUT_JOB,
      sdkModule: '@aws-sdk/client-dynamodb',
      threads,
      data: (t) => ({
        endpoint,
        region,
        credentials: { ...credentials },
        table,
        first: Math.floor((options.puts * t) / Math.max(1, threads)),
        count: shareOf(options.puts, t, Math.max(1, threads)),
        concurrency: shareOf(concurrency, t, Math.max(1, threads)),
        tcpNoDelay: options.tcpNoDelay ?? false,
      }),
    });
    const finished = run.results;
    const seconds = run.seconds;
    const latencies = finished.flatMap((result) => result.latencies).sort((a, b) => a - b);
    const percentile = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
    return {
      puts: options.puts,
      concurrency,
      threads,
      seconds,
      putsPerSecond: options.puts / seconds,
      rejected: finished.reduce((sum, result) => sum + result.rejected, 0),
      p50Ms: percentile(0.5),
      p99Ms: percentile(0.99),
      processCpuMicrosPerPut: run.cpuMicros / options.puts,
    };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  }
}
