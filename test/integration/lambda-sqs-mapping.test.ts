import { fileURLToPath } from 'node:url';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { createQueueWithArn, createQueueWithDeadLetter, queueDepth } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';
import { waitFor } from '../support/wait.js';

const CJS_BUNDLE = fileURLToPath(new URL('../fixtures/lambda-functions/cjs', import.meta.url));

/**
 * Visibility timeouts run on this clock: a message comes back only when a test advances it, never
 * because a busy machine made an invocation slow.
 */
const clock = new ManualClock(Date.now());
const cloud = useTestCloud({ clock });
/** Generous bound on the mapping's background work; it only limits how long a failure takes. */
const DEADLINE_MS = 120_000;
let lambda: LambdaService;

beforeAll(() => {
  lambda = cloud.local!.services.lambda as LambdaService;
});

interface Delivery {
  readonly requestId: string;
  readonly batchSize: number;
  readonly startedAt: number;
  readonly record: SQSRecord;
}

interface Finish {
  readonly requestId: string;
  readonly finishedAt: number;
}

async function sendBodies(queueUrl: string, bodies: unknown[], fifoGroup?: (index: number) => string) {
  for (let start = 0; start < bodies.length; start += 10) {
    await cloud.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(start, start + 10).map((body, offset) => ({
          Id: String(offset),
          MessageBody: JSON.stringify(body),
          MessageAttributes: { source: { DataType: 'String', StringValue: 'test' } },
          ...(fifoGroup
            ? { MessageGroupId: fifoGroup(start + offset), MessageDeduplicationId: `m${start + offset}` }
            : {}),
        })),
      }),
    );
  }
}

/** Drains the sink queue the recorder function writes every delivery to. */
async function drainSink(sinkUrl: string, into: Delivery[], finishes: Finish[] = []): Promise<Delivery[]> {
  for (;;) {
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: sinkUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return into;
    for (const message of Messages) {
      const parsed = JSON.parse(message.Body!) as Delivery | Finish;
      if ('finishedAt' in parsed) finishes.push(parsed);
      else into.push(parsed);
    }
    await cloud.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: sinkUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
}

function recorder(name: string, sinkUrl: string, options: { recordFinish?: boolean } = {}) {
  lambda.registerFunction({
    name,
    codeDirectory: CJS_BUNDLE,
    handler: 'index.sqsRecorder',
    timeout: 30,
    environment: { SINK_QUEUE_URL: sinkUrl, ...(options.recordFinish ? { RECORD_FINISH: '1' } : {}) },
  });
}

async function createMapping(input: {
  functionName: string;
  queueArn: string;
  batchSize?: number;
  window?: number;
  maximumConcurrency?: number;
  reportFailures?: boolean;
  enabled?: boolean;
}): Promise<string> {
  const output = await cloud.clients.lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: input.functionName,
      EventSourceArn: input.queueArn,
      BatchSize: input.batchSize ?? 10,
      ...(input.window !== undefined ? { MaximumBatchingWindowInSeconds: input.window } : {}),
      ...(input.maximumConcurrency
        ? { ScalingConfig: { MaximumConcurrency: input.maximumConcurrency } }
        : {}),
      ...(input.reportFailures ? { FunctionResponseTypes: ['ReportBatchItemFailures'] } : {}),
      ...(input.enabled !== undefined ? { Enabled: input.enabled } : {}),
    }),
  );
  return output.UUID!;
}

/**
 * Drives a mapping whose batches fail through their visibility timeouts: each time another failed
 * batch (`failures()` went up) has finished and the mapping runs nothing, the clock moves past the
 * queue's visibility timeout so the batch comes back. Resolves when `done()` holds.
 */
async function throughVisibilityTimeouts(
  what: string,
  uuid: string,
  visibilitySeconds: number,
  failures: () => number,
  done: () => boolean | Promise<boolean>,
): Promise<void> {
  let advancedFor = 0;
  await waitFor(what, DEADLINE_MS, async () => {
    if (await done()) return true;
    const failed = failures();
    if (lambda.mappingStats(uuid).inFlight === 0 && failed > advancedFor) {
      advancedFor = failed;
      clock.advance(visibilitySeconds * 1000);
    }
    return false;
  });
}

async function disable(uuid: string): Promise<void> {
  await cloud.clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
  await lambda.mappingIdle(uuid);
}

describe('SQS event source mapping', { timeout: 4 * DEADLINE_MS }, () => {
  it('delivers every message in a Lambda-shaped SQS event and deletes it after success', async () => {
    const queue = await createQueueWithArn(cloud, `basic`);
    const sink = await createQueueWithArn(cloud, `basic-sink`);
    recorder('basic', sink.url);
    await sendBodies(
      queue.url,
      Array.from({ length: 25 }, (_, n) => ({ n })),
    );
    const uuid = await createMapping({ functionName: 'basic', queueArn: queue.arn, batchSize: 10 });

    await expect.poll(() => lambda.mappingStats(uuid).messagesDeleted, { timeout: DEADLINE_MS }).toBe(25);
    await disable(uuid);
    expect(await queueDepth(cloud, queue.url)).toBe(0);

    const deliveries = await drainSink(sink.url, []);
    expect(deliveries).toHaveLength(25);
    expect(new Set(deliveries.map((delivery) => JSON.parse(delivery.record.body).n)).size).toBe(25);
    expect(Math.max(...deliveries.map((delivery) => delivery.batchSize))).toBeLessThanOrEqual(10);
    const record = deliveries[0]!.record;
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      messageAttributes: {
        source: { stringValue: 'test', stringListValues: [], binaryListValues: [], dataType: 'String' },
      },
    });
    expect(record.messageId).toEqual(expect.any(String));
    expect(record.receiptHandle).toEqual(expect.any(String));
    expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(record.attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.any(String),
    });
  });

  it('gathers batches larger than one receive within the batching window', async () => {
    const queue = await createQueueWithArn(cloud, `window`);
    const sink = await createQueueWithArn(cloud, `window-sink`);
    recorder('windowed', sink.url);
    await sendBodies(
      queue.url,
      Array.from({ length: 30 }, (_, n) => ({ n })),
    );
    await cloud.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          {
            Id: 'binary',
            MessageBody: JSON.stringify({ n: 30 }),
            MessageAttributes: { blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) } },
          },
        ],
      }),
    );
    const uuid = await createMapping({
      functionName: 'windowed',
      queueArn: queue.arn,
      batchSize: 25,
      window: 2,
    });

    await expect.poll(() => lambda.mappingStats(uuid).messagesDeleted, { timeout: DEADLINE_MS }).toBe(31);
    await disable(uuid);
    const deliveries = await drainSink(sink.url, []);
    const sizes = deliveries.map((delivery) => delivery.batchSize);
    expect(Math.max(...sizes)).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(25);
    const binary = deliveries.find((delivery) => JSON.parse(delivery.record.body).n === 30)!;
    expect(binary.record.messageAttributes.blob).toEqual({
      binaryValue: 'AQID',
      stringListValues: [],
      binaryListValues: [],
      dataType: 'Binary',
    });
  });

  it('redelivers only the items reported in batchItemFailures', async () => {
    // Reported items come back only when the test moves the clock, once all 20 were delivered.
    const queue = await createQueueWithArn(cloud, `partial`, { VisibilityTimeout: '5' });
    const sink = await createQueueWithArn(cloud, `partial-sink`);
    recorder('partial', sink.url);
    const bodies = Array.from({ length: 20 }, (_, n) => (n % 4 === 0 ? { n, failUntilReceive: 2 } : { n }));
    await sendBodies(queue.url, bodies);
    const uuid = await createMapping({
      functionName: 'partial',
      queueArn: queue.arn,
      batchSize: 10,
      reportFailures: true,
    });

    const stats = lambda.mappingStats(uuid);
    await throughVisibilityTimeouts(
      'all 20 messages deleted after 5 reported failures',
      uuid,
      5,
      // One advance, after every message's first delivery: 15 deleted, 5 reported failed.
      () => (stats.reportedItemFailures === 5 && stats.messagesDeleted === 15 ? 1 : 0),
      () => stats.messagesDeleted === 20,
    );
    await disable(uuid);
    const deliveries = await drainSink(sink.url, []);
    const deliveriesOf = (n: number) =>
      deliveries.filter((delivery) => JSON.parse(delivery.record.body).n === n);
    for (let n = 0; n < 20; n++) expect(deliveriesOf(n)).toHaveLength(n % 4 === 0 ? 2 : 1);
    expect(lambda.mappingStats(uuid).reportedItemFailures).toBe(5);
  });

  it('treats an empty itemIdentifier as a failure of the whole batch', async () => {
    const queue = await createQueueWithArn(cloud, `badid`, { VisibilityTimeout: '1' });
    const sink = await createQueueWithArn(cloud, `badid-sink`);
    recorder('badid', sink.url);
    await sendBodies(queue.url, [{ n: 0, badIdentifierOnFirstReceive: true }, { n: 1 }, { n: 2 }, { n: 3 }]);
    const uuid = await createMapping({
      functionName: 'badid',
      queueArn: queue.arn,
      batchSize: 10,
      window: 1,
      reportFailures: true,
    });

    await throughVisibilityTimeouts(
      'all 4 messages deleted after the rejected response',
      uuid,
      1,
      () => lambda.mappingStats(uuid).rejectedResponses,
      () => lambda.mappingStats(uuid).messagesDeleted === 4,
    );
    await disable(uuid);
    expect(lambda.mappingStats(uuid).rejectedResponses).toBeGreaterThanOrEqual(1);
    const deliveries = await drainSink(sink.url, []);
    // Every message that shared an invocation with the bad response was delivered again.
    const firstBad = deliveries.find(
      (delivery) =>
        JSON.parse(delivery.record.body).n === 0 &&
        delivery.record.attributes.ApproximateReceiveCount === '1',
    )!;
    const batchMates = deliveries.filter((delivery) => delivery.requestId === firstBad.requestId);
    for (const mate of batchMates) {
      const redeliveries = deliveries.filter(
        (delivery) => delivery.record.messageId === mate.record.messageId,
      );
      expect(redeliveries.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('leaves a failed batch to its visibility timeout until SQS moves it to the dead-letter queue', async () => {
    const { source: queue, dlq: deadLetters } = await createQueueWithDeadLetter(cloud, 'crash', 2, {
      VisibilityTimeout: '1',
    });
    const sink = await createQueueWithArn(cloud, `crash-sink`);
    recorder('crasher', sink.url);
    await sendBodies(queue.url, [{ crash: true, id: 'poison' }]);
    const uuid = await createMapping({ functionName: 'crasher', queueArn: queue.arn, batchSize: 1 });

    await throughVisibilityTimeouts(
      'the poison message to reach the dead-letter queue',
      uuid,
      1,
      () => lambda.mappingStats(uuid).failedInvocations,
      async () => (await queueDepth(cloud, deadLetters.url)) === 1,
    );
    await disable(uuid);
    const stats = lambda.mappingStats(uuid);
    expect(stats.failedInvocations).toBe(2);
    expect(stats.messagesDeleted).toBe(0);
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetters.url }),
    );
    expect(JSON.parse(Messages[0]!.Body!)).toEqual({ crash: true, id: 'poison' });
    expect(await drainSink(sink.url, [])).toHaveLength(2);
  });

  it('never runs more batches at once than MaximumConcurrency, and follows live updates', async () => {
    const queue = await createQueueWithArn(cloud, `scale`);
    const sink = await createQueueWithArn(cloud, `scale-sink`);
    recorder('scaled', sink.url);
    await sendBodies(
      queue.url,
      Array.from({ length: 120 }, (_, n) => ({ n, sleepMs: 100 })),
    );
    const uuid = await createMapping({
      functionName: 'scaled',
      queueArn: queue.arn,
      batchSize: 1,
      maximumConcurrency: 3,
    });
    const stats = lambda.mappingStats(uuid);

    await expect.poll(() => stats.peakInFlight, { timeout: DEADLINE_MS }).toBe(3);
    await expect.poll(() => stats.messagesDeleted, { timeout: DEADLINE_MS }).toBeGreaterThanOrEqual(10);
    expect(stats.peakInFlight).toBe(3);

    await cloud.clients.lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, ScalingConfig: { MaximumConcurrency: 6 } }),
    );
    await expect.poll(() => stats.peakInFlight, { timeout: DEADLINE_MS }).toBe(6);
    const fetched = await cloud.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    expect(fetched.ScalingConfig?.MaximumConcurrency).toBe(6);

    await cloud.clients.lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, ScalingConfig: { MaximumConcurrency: 2 } }),
    );
    // Batches already running finish; no new batch starts until the count is under the new bound.
    await expect.poll(() => stats.inFlight, { timeout: DEADLINE_MS }).toBeLessThanOrEqual(2);
    lambda.resetMappingPeak(uuid);
    await expect.poll(() => stats.messagesDeleted, { timeout: DEADLINE_MS }).toBe(120);
    expect(stats.peakInFlight).toBeLessThanOrEqual(2);
    expect(stats.concurrencyLimit).toBe(2);
    await disable(uuid);
    // The function never needed more environments than the highest bound allowed.
    expect(lambda.functionStats('scaled').coldStarts).toBeLessThanOrEqual(6);
    expect(await drainSink(sink.url, [])).toHaveLength(120);
  });

  it('processes FIFO message groups in order and never two batches of one group at once', async () => {
    const queue = await createQueueWithArn(cloud, `ordered.fifo`, { FifoQueue: 'true' });
    const sink = await createQueueWithArn(cloud, `ordered-sink`);
    recorder('ordered', sink.url, { recordFinish: true });
    const groups = ['a', 'b', 'c', 'd'];
    await sendBodies(
      queue.url,
      Array.from({ length: 40 }, (_, n) => ({ n, group: groups[n % 4], sleepMs: 20 })),
      (n) => groups[n % 4]!,
    );
    const uuid = await createMapping({
      functionName: 'ordered',
      queueArn: queue.arn,
      batchSize: 3,
      maximumConcurrency: 4,
    });

    await expect.poll(() => lambda.mappingStats(uuid).messagesDeleted, { timeout: DEADLINE_MS }).toBe(40);
    await disable(uuid);
    const finishes: Finish[] = [];
    const deliveries = await drainSink(sink.url, [], finishes);
    expect(deliveries).toHaveLength(40);
    const finishedAt = new Map(finishes.map((finish) => [finish.requestId, finish.finishedAt]));
    let groupsSeenTogether = 0;
    for (const group of groups) {
      const ofGroup = deliveries.filter((delivery) => delivery.record.attributes.MessageGroupId === group);
      const order = ofGroup.map((delivery) => JSON.parse(delivery.record.body).n as number);
      expect(order).toEqual([...order].sort((left, right) => left - right));
      expect(order).toHaveLength(10);
      // The invocations holding this group's messages never overlap in time.
      const intervals = [...new Set(ofGroup.map((delivery) => delivery.requestId))]
        .map((requestId) => ({
          start: ofGroup.find((delivery) => delivery.requestId === requestId)!.startedAt,
          end: finishedAt.get(requestId)!,
        }))
        .sort((left, right) => left.start - right.start);
      for (let index = 1; index < intervals.length; index++) {
        expect(intervals[index]!.start).toBeGreaterThanOrEqual(intervals[index - 1]!.end);
      }
      groupsSeenTogether += intervals.length;
    }
    expect(groupsSeenTogether).toBeGreaterThanOrEqual(4);
    // Different groups did run side by side.
    expect(lambda.mappingStats(uuid).peakInFlight).toBeGreaterThan(1);
  });

  it('does not poll while disabled and starts when enabled', async () => {
    const queue = await createQueueWithArn(cloud, `toggle`);
    const sink = await createQueueWithArn(cloud, `toggle-sink`);
    recorder('toggled', sink.url);
    await sendBodies(queue.url, [{ n: 1 }, { n: 2 }]);
    const uuid = await createMapping({ functionName: 'toggled', queueArn: queue.arn, enabled: false });
    const created = await cloud.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    expect(created.State).toBe('Disabled');
    expect(lambda.mappingStats(uuid).pollers).toBe(0);
    expect(await queueDepth(cloud, queue.url)).toBe(2);

    await cloud.clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
    await expect.poll(() => lambda.mappingStats(uuid).messagesDeleted, { timeout: DEADLINE_MS }).toBe(2);
    await disable(uuid);
  });

  it('lists mappings by function and by source, and deletes them', async () => {
    const queue = await createQueueWithArn(cloud, `listed`);
    lambda.registerFunction({ name: 'listed', codeDirectory: CJS_BUNDLE, handler: 'index.sqsBatch' });
    const uuid = await createMapping({ functionName: 'listed', queueArn: queue.arn, enabled: false });

    const byFunction = await cloud.clients.lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: 'listed' }),
    );
    expect(byFunction.EventSourceMappings?.map((mapping) => mapping.UUID)).toEqual([uuid]);
    const bySource = await cloud.clients.lambda.send(
      new ListEventSourceMappingsCommand({ EventSourceArn: queue.arn }),
    );
    expect(bySource.EventSourceMappings?.[0]).toMatchObject({
      UUID: uuid,
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:listed',
      BatchSize: 10,
      State: 'Disabled',
    });
    expect(bySource.EventSourceMappings?.[0]?.LastModified).toBeInstanceOf(Date);

    const deleted = await cloud.clients.lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    expect(deleted.State).toBe('Deleting');
    await expect(
      cloud.clients.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('rejects a mapping for an unknown function and an invalid batch size', async () => {
    const queue = await createQueueWithArn(cloud, `invalid`);
    await expect(createMapping({ functionName: 'missing', queueArn: queue.arn })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    lambda.registerFunction({ name: 'invalid', codeDirectory: CJS_BUNDLE, handler: 'index.sqsBatch' });
    await expect(
      createMapping({ functionName: 'invalid', queueArn: queue.arn, batchSize: 0 }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });
  });
});
