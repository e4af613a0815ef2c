/**
 * What only the embedded SQS can show: time-dependent rules checked with a ManualClock (minutes
 * and days pass instantly), and state surviving a restart with --data-dir. These tests start the
 * local cloud themselves, so they always run against the emulator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import {
  type LocalCloud,
  type LocalCloudOptions,
  startLocalCloud,
} from '../../packages/local-cloud/src/server.js';
import { SqsEngine } from '../../packages/local-cloud/src/sqs/engine.js';
import { createAwsClients, LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';

const running: Array<{ cloud: LocalCloud; destroy(): void }> = [];
afterEach(async () => {
  for (const { cloud, destroy } of running.splice(0)) {
    destroy();
    await cloud.stop();
  }
});

async function start(options: LocalCloudOptions): Promise<{ cloud: LocalCloud; sqs: SQSClient }> {
  const cloud = await startLocalCloud({ port: 0, ...options });
  const clients = createAwsClients({
    region: 'us-east-1',
    endpoint: cloud.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  running.push({ cloud, destroy: () => clients.destroy() });
  return { cloud, sqs: clients.sqs };
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes?: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return QueueUrl!;
}

async function receive(sqs: SQSClient, queueUrl: string, extra: Record<string, unknown> = {}) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, ...extra }),
  );
  return Messages;
}

const MINUTE = 60_000;

describe('SQS emulator with a manual clock', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
  it('redelivers a message once the clock passes its visibility timeout', async () => {
    const clock = new ManualClock();
    const { sqs } = await start({ clock });
    const url = await createQueue(sqs, 'vt', { VisibilityTimeout: '300' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    expect(await receive(sqs, url)).toHaveLength(1);
    clock.advance(299_000);
    expect(await receive(sqs, url)).toHaveLength(0);
    clock.advance(1_000);
    expect(await receive(sqs, url)).toHaveLength(1);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
  it('forgets a deduplication id after the 5-minute deduplication interval', async () => {
    const clock = new ManualClock();
    const { sqs } = await start({ clock });
    const url = await createQueue(sqs, 'dedup.fifo', { FifoQueue: 'true' });
    const send = () =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'x',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        }),
      );
    const first = await send();
    clock.advance(5 * MINUTE - 1);
    expect((await send()).MessageId).toBe(first.MessageId);
    clock.advance(1);
    expect((await send()).MessageId).not.toBe(first.MessageId);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  it('drops messages older than the MessageRetentionPeriod', async () => {
    const clock = new ManualClock();
    const { sqs } = await start({ clock });
    const url = await createQueue(sqs, 'retention', { MessageRetentionPeriod: '60' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
    clock.advance(30_000);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'young' }));
    clock.advance(30_000);
    const messages = await receive(sqs, url);
    expect(messages.map((message) => message.Body)).toEqual(['young']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
  it('limits the visibility timeout to 12 hours from the receive', async () => {
    const clock = new ManualClock();
    const { sqs } = await start({ clock });
    const url = await createQueue(sqs, 'twelve');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const [message] = await receive(sqs, url, { VisibilityTimeout: 43200 });
    clock.advance(60 * MINUTE);
    const change = (seconds: number) =>
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: message!.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    await change(43200 - 3600);
    await expect(change(43200 - 3599)).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html
  it('allows re-creating a deleted queue name after 60 seconds', async () => {
    const clock = new ManualClock();
    const { sqs } = await start({ clock });
    const url = await createQueue(sqs, 'again');
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    clock.advance(MINUTE);
    expect(await createQueue(sqs, 'again')).toBe(url);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
  it('wakes a long poll when a delayed message becomes due', async () => {
    const clock = new ManualClock();
    const { sqs } = await start({ clock });
    const url = await createQueue(sqs, 'delaywake');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 600 }));
    const polling = receive(sqs, url, { WaitTimeSeconds: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    clock.advance(600_000);
    const messages = await polling;
    expect(messages.map((message) => message.Body)).toEqual(['later']);
  });
});

describe('SQS emulator persistence', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
  it('keeps queues, tags, messages, in-flight state, receipt handles and dedup ids across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'oncely-sqs-'));
    try {
      const clock = new ManualClock();
      const first = await start({ clock, dataDir });
      const url = await createQueue(first.sqs, 'persist');
      await first.sqs.send(new CreateQueueCommand({ QueueName: 'persist-tags', tags: { team: 'core' } }));
      const fifo = await createQueue(first.sqs, 'persist.fifo', { FifoQueue: 'true' });
      const dedup = await first.sqs.send(
        new SendMessageCommand({
          QueueUrl: fifo,
          MessageBody: 'f',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        }),
      );
      for (const body of ['a', 'b', 'c']) {
        await first.sqs.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: body,
            MessageAttributes: { k: { DataType: 'String', StringValue: body } },
          }),
        );
      }
      const [inFlight] = await receive(first.sqs, url, { MaxNumberOfMessages: 1, VisibilityTimeout: 100 });
      for (const { destroy } of running.splice(0)) destroy();
      await first.cloud.stop();

      const second = await start({ clock, dataDir });
      const { Attributes } = await second.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
      );
      expect(Attributes).toMatchObject({
        ApproximateNumberOfMessages: '2',
        ApproximateNumberOfMessagesNotVisible: '1',
      });
      const { Tags } = await second.sqs.send(
        new ListQueueTagsCommand({ QueueUrl: url.replace('persist', 'persist-tags') }),
      );
      expect(Tags).toEqual({ team: 'core' });
      const again = await second.sqs.send(
        new SendMessageCommand({
          QueueUrl: fifo,
          MessageBody: 'f',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'd',
        }),
      );
      expect(again.MessageId).toBe(dedup.MessageId);
      const visible = await receive(second.sqs, url, { MessageAttributeNames: ['All'] });
      expect(visible.map((message) => message.Body).sort()).toEqual(
        ['a', 'b', 'c'].filter((body) => body !== inFlight?.Body),
      );
      await second.sqs.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: inFlight!.ReceiptHandle }),
      );
      clock.advance(100_000);
      expect((await receive(second.sqs, url)).map((message) => message.MessageId)).not.toContain(
        inFlight?.MessageId,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('SQS emulator bookkeeping', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
  it('keeps its indexes bounded while many messages pass through standard and FIFO queues', async () => {
    const clock = new ManualClock();
    const engine = new SqsEngine(clock);
    const scope = { host: 'localhost', region: 'us-east-1', accountId: '000000000000' };
    try {
      for (const [name, attributes] of [
        ['flow', {}],
        ['flow.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' }],
      ] as const) {
        const { QueueUrl } = engine.createQueue({ QueueName: name, Attributes: attributes }, scope);
        for (let round = 0; round < 2000; round++) {
          const Entries = Array.from({ length: 10 }, (_, i) => ({
            Id: `e${i}`,
            MessageBody: `${round}-${i}`,
            MessageGroupId: `g${(round * 10 + i) % 50}`,
          }));
          engine.sendMessageBatch(
            {
              QueueUrl,
              Entries: name.endsWith('.fifo')
                ? Entries
                : Entries.map(({ MessageGroupId: _, ...entry }) => entry),
            },
            scope,
          );
          const { Messages = [] } = (await engine.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 })) as {
            Messages?: Array<{ ReceiptHandle: string }>;
          };
          engine.deleteMessageBatch({
            QueueUrl,
            Entries: Messages.map((message, i) => ({ Id: `d${i}`, ReceiptHandle: message.ReceiptHandle })),
          });
          clock.advance(1000);
        }
        const sizes = engine.internalSizes(name)!;
        // 20,000 messages went through and each round consumed what it sent: nothing may be left
        // but garbage awaiting compaction, which is bounded by the compaction thresholds.
        expect(sizes.messages).toBe(0);
        expect(sizes.ready).toBeLessThanOrEqual(2048);
        expect(sizes.due).toBeLessThanOrEqual(2048);
        expect(sizes.groups).toBe(0);
        expect(sizes.groupQueue).toBeLessThanOrEqual(2048);
        // Dedup ids live five minutes: 300 simulated seconds at 10 sends per second.
        expect(sizes.dedup).toBeLessThanOrEqual(name.endsWith('.fifo') ? 3010 : 0);
      }
    } finally {
      engine.close();
    }
  });
});
