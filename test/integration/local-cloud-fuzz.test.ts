/**
 * Seeded fuzzing of the local cloud over loopback: a fixed set of malformed requests for every
 * service and wire protocol (see test/support/local-cloud-fuzz.ts), sent with plain `node:http`
 * to a fresh local cloud that persists to a data directory. AWS answers such requests with a 4xx
 * and its error name; so must the local cloud:
 * - no answer of 5xx, no connection reset;
 * - no hang: every request answers within DEADLINE_MS (generous for a loaded 2-core machine), and
 *   a failure names the request;
 * - no crash: after each batch the server answers its health check, writes its snapshot, and
 *   evaluates its alarms and schedules; at the end a new server starts from the data directory;
 * - bounded memory: RSS and heap growth stay under the bounds below.
 * `FUZZ_SEED` picks another corpus (the default is fixed so runs are comparable).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import type { FunctionInvoker, QueueSender } from '../../packages/local-cloud/src/events/delivery.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/server.js';
import {
  buildCorpus,
  FUZZ_FUNCTION,
  type FuzzRequest,
  problems,
  runCorpus,
  send,
  setupRequests,
  summarise,
} from '../support/local-cloud-fuzz.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const DEADLINE_MS = 10_000;
/** Peak growth over the run; the corpus itself is built before the baseline is taken. */
const MAX_RSS_GROWTH_MB = 640;
const MAX_HEAP_GROWTH_MB = 384;
const FUNCTION_CODE = fileURLToPath(new URL('../fixtures/lambda-functions/esm', import.meta.url));

/** Deliveries stay in-process and bounded: the fuzz is about the request edge, not the targets. */
const invoker: FunctionInvoker = { invoke: async () => {} };
const queues: QueueSender = { send: async () => {} };

async function startCloud(dataDir: string): Promise<LocalCloud> {
  return startLocalCloud({
    port: 0,
    dataDir,
    monitoring: { tickMs: 0, invoker, queues, queueStats: false },
  });
}

/** The operation names of the SDK clients, so operations the local cloud lacks are sent too. */
async function sdkOperations(): Promise<Record<string, string[]>> {
  const names = (module: Record<string, unknown>) =>
    Object.keys(module)
      .filter((name) => name.endsWith('Command') && name !== 'Command')
      .map((name) => name.slice(0, -'Command'.length));
  const [sqs, dynamodb, cloudwatch, events, sns] = await Promise.all([
    import('@aws-sdk/client-sqs'),
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/client-cloudwatch'),
    import('@aws-sdk/client-eventbridge'),
    import('@aws-sdk/client-sns'),
  ]);
  return {
    sqs: names(sqs),
    'sqs-query': names(sqs),
    dynamodb: names(dynamodb),
    cloudwatch: names(cloudwatch),
    events: names(events),
    sns: names(sns),
  };
}

describe('local cloud under a seeded fuzz corpus', () => {
  let dataDir: string;
  let cloud: LocalCloud;
  let corpus: FuzzRequest[];
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'oncely-fuzz-'));
    cloud = await startCloud(dataDir);
    (cloud.services.lambda as LambdaService).registerFunction({
      name: FUZZ_FUNCTION,
      codeDirectory: FUNCTION_CODE,
    });
    const endpoint = new URL(cloud.endpoint);
    for (const request of setupRequests(endpoint.host)) {
      const outcome = await send(endpoint, request, { deadlineMs: DEADLINE_MS, agent });
      expect(outcome.status, request.label).toBeLessThan(300);
    }
    corpus = buildCorpus(endpoint.host, {
      seed: SEED,
      perTemplate: 20,
      oversized: true,
      sdkOperations: await sdkOperations(),
    });
  });

  afterAll(async () => {
    agent.destroy();
    await cloud?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`answers every request with a non-5xx in time, keeps serving, and bounds its memory (seed ${SEED})`, async () => {
    const cloudwatch = cloud.services.cloudwatch as CloudWatchService;
    const report = await runCorpus(cloud.endpoint, corpus, {
      deadlineMs: DEADLINE_MS,
      agent,
      batchSize: 250,
      concurrency: 4,
      checks: {
        health: async () => {
          const response = await fetch(`${cloud.endpoint}/_oncely/health`);
          if (response.status !== 200) throw new Error(`health answered ${response.status}`);
        },
        snapshot: () => cloud.flush(),
        'alarms and schedules': () => cloudwatch.evaluateNow(),
      },
    });
    console.log(`local cloud fuzz, seed ${SEED}:\n${summarise(report)}`);
    expect(report.requests).toBe(corpus.length);
    expect(problems(report), 'problems').toEqual([]);
    expect(report.memory.rssPeakMb - report.memory.rssStartMb).toBeLessThan(MAX_RSS_GROWTH_MB);
    expect(report.memory.heapPeakMb - report.memory.heapStartMb).toBeLessThan(MAX_HEAP_GROWTH_MB);
  });

  it('restarts from the data directory the fuzzed server wrote, and serves reads from it', async () => {
    await cloud.stop();
    cloud = await startCloud(dataDir);
    const endpoint = new URL(cloud.endpoint);
    const reads: [string, string, string][] = [
      ['AmazonSQS.ListQueues', 'sqs', 'application/x-amz-json-1.0'],
      ['DynamoDB_20120810.ListTables', 'dynamodb', 'application/x-amz-json-1.0'],
      ['GraniteServiceVersion20100801.DescribeAlarms', 'monitoring', 'application/x-amz-json-1.0'],
      ['AWSEvents.ListRules', 'events', 'application/x-amz-json-1.1'],
      ['AWSEvents.ListEventBuses', 'events', 'application/x-amz-json-1.1'],
    ];
    for (const [target, signing, contentType] of reads) {
      const outcome = await send(
        endpoint,
        {
          id: 0,
          service: signing,
          label: target,
          method: 'POST',
          path: '/',
          headers: {
            'content-type': contentType,
            'x-amz-target': target,
            authorization: `AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/${signing}/aws4_request`,
          },
          body: Buffer.from('{}'),
        },
        { deadlineMs: DEADLINE_MS },
      );
      expect(outcome.status, target).toBe(200);
    }
    const topics = await fetch(`${cloud.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListTopics',
    });
    expect(topics.status).toBe(200);
    const functions = await fetch(`${cloud.endpoint}/2015-03-31/functions`);
    expect(functions.status).toBe(200);
    await (cloud.services.cloudwatch as CloudWatchService).evaluateNow();
  });
});
