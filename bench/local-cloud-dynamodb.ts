/**
 * Conditional-put throughput of a DynamoDB endpoint through the real SDK over HTTP: each put is
 * the claim write of the consumer (`attribute_not_exists(pk)`) on a fresh key, issued by
 * `concurrency` workers in parallel. Works against the local cloud, LocalStack or AWS.
 *
 * @example
 * const cloud = await startLocalCloud({ port: 0 });
 * const figures = await benchDynamoDb(cloud.endpoint, { puts: 20_000, concurrency: 16 });
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '../functions/adapters/aws-clients.js';

export interface DynamoDbBenchOptions {
  /** Conditional puts to issue (each on a new key). */
  readonly puts: number;
  /** Requests in flight at once. @default 16 */
  readonly concurrency?: number;
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
  readonly seconds: number;
  readonly putsPerSecond: number;
  /** Puts the condition rejected; 0 unless keys collide (they do not: every key is new). */
  readonly rejected: number;
  /** Median and 99th percentile latency of one put, in milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * CPU time this (client) process spent per put, in microseconds: SDK, signing and HTTP. Unlike
   * puts/s it barely depends on how busy the machine is.
   */
  readonly clientCpuMicrosPerPut: number;
}

export async function benchDynamoDb(
  endpoint: string,
  options: DynamoDbBenchOptions,
): Promise<DynamoDbBenchFigures> {
  const concurrency = options.concurrency ?? 16;
  const client = new DynamoDBClient({
    endpoint,
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? LOCAL_CREDENTIALS,
    ...(options.tcpNoDelay
      ? {
          requestHandler: {
            httpAgent: new Agent({ keepAlive: true, maxSockets: 64, noDelay: true } as ConstructorParameters<
              typeof Agent
            >[0]),
          },
        }
      : {}),
  });
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
    const latencies: number[] = [];
    let next = 0;
    let rejected = 0;
    const worker = async (): Promise<void> => {
      while (next < options.puts) {
        const i = next++;
        const started = performance.now();
        try {
          await client.send(
            new PutItemCommand({
              TableName: table,
              Item: {
                pk: { S: `message-${i}` },
                status: { S: 'IN_PROGRESS' },
                leaseUntil: { N: String(Date.now() + 30_000) },
                payloadHash: { S: 'c0ffee' },
              },
              ConditionExpression: 'attribute_not_exists(pk) OR (#s = :inProgress AND leaseUntil < :now)',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: {
                ':inProgress': { S: 'IN_PROGRESS' },
                ':now': { N: String(Date.now()) },
              },
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          rejected++;
        }
        latencies.push(performance.now() - started);
      }
    };
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const percentile = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
    return {
      puts: options.puts,
      concurrency,
      seconds,
      putsPerSecond: options.puts / seconds,
      rejected,
      p50Ms: percentile(0.5),
      p99Ms: percentile(0.99),
      clientCpuMicrosPerPut: (cpu.user + cpu.system) / options.puts,
    };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    client.destroy();
  }
}
