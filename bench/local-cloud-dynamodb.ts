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
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '../functions/adapters/aws-clients.js';

export interface DynamoDbBenchOptions {
  /** Conditional puts to issue (each on a new key). */
  readonly puts: number;
  /** Requests in flight at once, over all threads. @default 16 */
  readonly concurrency?: number;
  /** Worker threads running SDK clients (each gets its share of puts and concurrency). @default 1 */
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

interface WorkerResult {
  readonly latencies: number[];
  readonly rejected: number;
}

/** Runs in each worker thread: plain JavaScript, so it needs no TypeScript loader. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent } = require('node:http');
const sdk = require(workerData.sdkPath);
const { endpoint, region, credentials, table, first, count, concurrency, tcpNoDelay } = workerData;
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
parentPort.once('message', async () => {
  await Promise.all(Array.from({ length: concurrency }, loop));
  client.destroy();
  parentPort.postMessage({ latencies, rejected });
});
parentPort.postMessage('ready');
`;

export async function benchDynamoDb(
  endpoint: string,
  options: DynamoDbBenchOptions,
): Promise<DynamoDbBenchFigures> {
  const concurrency = options.concurrency ?? 16;
  const threads = Math.max(1, Math.min(options.threads ?? 1, concurrency));
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  const client = new DynamoDBClient({ endpoint, region, credentials });
  const table = `oncely-bench-${randomUUID().slice(0, 8)}`;
  const workers: Worker[] = [];
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
    const sdkPath = createRequire(import.meta.url).resolve('@aws-sdk/client-dynamodb');
    const results: Promise<WorkerResult>[] = [];
    const ready: Promise<void>[] = [];
    for (let t = 0; t < threads; t++) {
      const first = Math.floor((options.puts * t) / threads);
      const count = Math.floor((options.puts * (t + 1)) / threads) - first;
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          sdkPath,
          endpoint,
          region,
          credentials: { ...credentials },
          table,
          first,
          count,
          concurrency:
            Math.floor((concurrency * (t + 1)) / threads) - Math.floor((concurrency * t) / threads),
          tcpNoDelay: options.tcpNoDelay ?? false,
        },
      });
      workers.push(worker);
      // The first message says the SDK is loaded; the second carries the results.
      let markReady: () => void = () => undefined;
      ready.push(new Promise<void>((resolve) => (markReady = resolve)));
      results.push(
        new Promise((resolve, reject) => {
          worker.on('message', (message: 'ready' | WorkerResult) => {
            if (message === 'ready') markReady();
            else resolve(message);
          });
          worker.once('error', reject);
        }),
      );
    }
    // Start the clock once every thread has loaded the SDK.
    await Promise.all(ready);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    for (const worker of workers) worker.postMessage('start');
    const finished = await Promise.all(results);
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = (performance.now() - started) / 1000;
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
      processCpuMicrosPerPut: (cpu.user + cpu.system) / options.puts,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  }
}
