/**
 * SQS message life cycle through the real SDK: send, receive, delete, visibility timeout, delays,
 * long polling, attributes and their MD5 digests.
 */
import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../packages/local-cloud/src/clock.js';
import { createQueue } from '../support/sqs-queues.js';
import { elapse } from '../support/sqs-wire.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

/** Visibility timeouts and delays pass when a test advances this clock (elapse), not while it sleeps. */
const clock = new ManualClock(Date.now());
const cloud = useTestCloud({ clock });
/** The queue's time: the manual clock locally, the wall clock against a real endpoint. */
const queueNow = () => (cloud.local ? clock.now() : Date.now());

async function send(queueUrl: string, body: string, extra: Record<string, unknown> = {}) {
  return cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, ...extra }));
}

async function receive(queueUrl: string, extra: Record<string, unknown> = {}): Promise<Message[]> {
  const { Messages } = await cloud.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0, ...extra }),
  );
  return Messages ?? [];
}

async function counts(queueUrl: string): Promise<[number, number, number]> {
  const { Attributes = {} } = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return [
    Number(Attributes.ApproximateNumberOfMessages),
    Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    Number(Attributes.ApproximateNumberOfMessagesDelayed),
  ];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SQS messages', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
  it('returns the MD5 of the body on send and receive (the SDK verifies both)', async () => {
    const url = await createQueue(cloud, 'md5body');
    const body = 'héllo wörld ✓ 𝄞';
    const sent = await send(url, body);
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body, 'utf8').digest('hex'));
    const [message] = await receive(url);
    expect(message?.Body).toBe(body);
    expect(message?.MD5OfBody).toBe(sent.MD5OfMessageBody);
    expect(message?.MessageId).toBe(sent.MessageId);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
  it('computes MD5OfMessageAttributes with the documented encoding', async () => {
    const url = await createQueue(cloud, 'md5attrs');
    // Known digests for these attribute sets, as published alongside the documented algorithm.
    const single = await send(url, 'a', {
      MessageAttributes: { SellerName: { DataType: 'String', StringValue: 'Example Store' } },
    });
    expect(single.MD5OfMessageAttributes).toBe('cd28f3b68aeee4b2eac9c66f2f694b58');
    const mixed = await send(url, 'b', {
      MessageAttributes: {
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      },
    });
    expect(mixed.MD5OfMessageAttributes).toBe('d21ae90c49061e927f57df5f5d72be1f');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
  it('round-trips string, number and binary attributes with a digest matching the send', async () => {
    const url = await createQueue(cloud, 'attrs');
    const binary = new Uint8Array([0, 1, 2, 250, 255]);
    const sent = await send(url, 'x', {
      MessageAttributes: {
        name: { DataType: 'String', StringValue: 'alice' },
        count: { DataType: 'Number', StringValue: '42.5' },
        blob: { DataType: 'Binary', BinaryValue: binary },
        custom: { DataType: 'String.custom', StringValue: 'c' },
      },
    });
    const [message] = await receive(url, { MessageAttributeNames: ['All'] });
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message?.MessageAttributes?.name).toEqual({ DataType: 'String', StringValue: 'alice' });
    expect(message?.MessageAttributes?.count).toEqual({ DataType: 'Number', StringValue: '42.5' });
    expect(message?.MessageAttributes?.custom).toEqual({ DataType: 'String.custom', StringValue: 'c' });
    expect(Buffer.from(message!.MessageAttributes!.blob!.BinaryValue!)).toEqual(Buffer.from(binary));
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
  it('returns only the message attributes selected by name or by prefix.*', async () => {
    const url = await createQueue(cloud, 'attrfilter');
    await send(url, 'x', {
      MessageAttributes: {
        'trace.id': { DataType: 'String', StringValue: 't' },
        'trace.span': { DataType: 'String', StringValue: 's' },
        other: { DataType: 'String', StringValue: 'o' },
      },
    });
    const [message] = await receive(url, { MessageAttributeNames: ['trace.*'], VisibilityTimeout: 0 });
    expect(Object.keys(message?.MessageAttributes ?? {}).sort()).toEqual(['trace.id', 'trace.span']);
    const [plain] = await receive(url);
    expect(plain?.MessageAttributes).toBeUndefined();
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
  it('returns system attributes: receive count, timestamps and sender', async () => {
    const url = await createQueue(cloud, 'sysattrs');
    const before = queueNow();
    await send(url, 'x');
    const [first] = await receive(url, { MessageSystemAttributeNames: ['All'], VisibilityTimeout: 0 });
    const [second] = await receive(url, {
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    });
    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(first?.Attributes?.SentTimestamp)).toBeGreaterThanOrEqual(before - 5000);
    expect(Number(first?.Attributes?.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(
      Number(first?.Attributes?.SentTimestamp),
    );
    expect(first?.Attributes?.SenderId).toBeTruthy();
    expect(second?.Attributes).toEqual({
      ApproximateReceiveCount: '2',
      SentTimestamp: first?.Attributes?.SentTimestamp,
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
  it('hides a received message until its visibility timeout ends, then redelivers it with a new receipt handle', async () => {
    const url = await createQueue(cloud, 'visibility', { VisibilityTimeout: '1' });
    await send(url, 'once');
    const [first] = await receive(url);
    expect(await receive(url)).toHaveLength(0);
    expect(await counts(url)).toEqual([0, 1, 0]);
    await elapse(cloud, clock, 1_200);
    const [again] = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    expect(again?.MessageId).toBe(first?.MessageId);
    expect(again?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
  it('overrides the queue visibility timeout per receive', async () => {
    const url = await createQueue(cloud, 'vtoverride', { VisibilityTimeout: '600' });
    await send(url, 'x');
    await receive(url, { VisibilityTimeout: 1 });
    await elapse(cloud, clock, 1_200);
    expect(await receive(url)).toHaveLength(1);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
  it('deletes a message with its receipt handle, and deleting again succeeds', async () => {
    const url = await createQueue(cloud, 'delete');
    await send(url, 'x');
    const [message] = await receive(url, { VisibilityTimeout: 1 });
    await cloud.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message!.ReceiptHandle }),
    );
    await cloud.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message!.ReceiptHandle }),
    );
    expect(await counts(url)).toEqual([0, 0, 0]);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
  // "you must provide the most recently received receipt handle for the message (otherwise, the
  // request succeeds, but the message will not be deleted)"
  it('accepts but ignores a stale receipt handle of a redelivered message', async () => {
    if (cloud.local === undefined) return; // AWS in practice deletes with stale handles; the emulator follows the documented rule
    const url = await createQueue(cloud, 'stale');
    await send(url, 'x');
    const [first] = await receive(url, { VisibilityTimeout: 0 });
    const [second] = await receive(url, { VisibilityTimeout: 30 });
    await cloud.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first!.ReceiptHandle }),
    );
    expect(await counts(url)).toEqual([0, 1, 0]);
    await cloud.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second!.ReceiptHandle }),
    );
    expect(await counts(url)).toEqual([0, 0, 0]);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
  it('rejects a malformed receipt handle as ReceiptHandleIsInvalid', async () => {
    const url = await createQueue(cloud, 'badhandle');
    await expect(
      cloud.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'not-a-handle!' })),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid', $metadata: { httpStatusCode: 400 } });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
  it('makes an in-flight message visible at once with ChangeMessageVisibility 0', async () => {
    const url = await createQueue(cloud, 'cmv0');
    await send(url, 'x');
    const [message] = await receive(url);
    await cloud.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: message!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    expect(await receive(url)).toHaveLength(1);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
  // A lapsed message's latest handle is accepted, as AWS answered when recorded (see sqs-aws-fifo.test.ts).
  it('rejects ChangeMessageVisibility beyond 12 hours and accepts it once the message is visible again', async () => {
    const url = await createQueue(cloud, 'cmvnotinflight');
    await send(url, 'x');
    const [message] = await receive(url, { VisibilityTimeout: 1 });
    await expect(
      cloud.clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: message!.ReceiptHandle,
          VisibilityTimeout: 43201,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    await elapse(cloud, clock, 1_200);
    const lapsed = await cloud.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: message!.ReceiptHandle,
        VisibilityTimeout: 10,
      }),
    );
    expect(lapsed.$metadata.httpStatusCode).toBe(200);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html
  it('delays a message by its DelaySeconds and counts it as delayed meanwhile', async () => {
    const url = await createQueue(cloud, 'delay');
    await send(url, 'later', { DelaySeconds: 1 });
    expect(await receive(url)).toHaveLength(0);
    expect(await counts(url)).toEqual([0, 0, 1]);
    await elapse(cloud, clock, 1_200);
    expect(await receive(url)).toHaveLength(1);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-delay-queues.html
  it('applies the queue DelaySeconds to every message', async () => {
    const url = await createQueue(cloud, 'delayqueue', { DelaySeconds: '1' });
    await send(url, 'x');
    expect(await counts(url)).toEqual([0, 0, 1]);
    // A long poll started before the delay ends returns the message once it does.
    const polling = cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await elapse(cloud, clock, 1_000);
    const { Messages } = await polling;
    expect(Messages).toHaveLength(1);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
  it('answers a long poll as soon as a message arrives', async () => {
    const url = await createQueue(cloud, 'longpoll');
    const polling = cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await sleep(200);
    await send(url, 'wake up');
    // The poll must be woken by the send, long before its 20-second wait would end.
    // Bounded well under the 20-second wait, with room for a busy machine.
    const winner = await Promise.race([polling, sleep(15_000).then(() => 'still waiting')]);
    expect(winner).not.toBe('still waiting');
    const { Messages } = await polling;
    expect(Messages?.[0]?.Body).toBe('wake up');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
  it('returns an empty response when a long poll times out', async () => {
    const url = await createQueue(cloud, 'longpollempty', { ReceiveMessageWaitTimeSeconds: '1' });
    expect(await receive(url, { WaitTimeSeconds: undefined })).toHaveLength(0);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
  it('returns at most MaxNumberOfMessages and rejects values outside 1..10', async () => {
    const url = await createQueue(cloud, 'max');
    for (let i = 0; i < 12; i++) await send(url, `m${i}`);
    expect(await receive(url, { MaxNumberOfMessages: 10 })).toHaveLength(10);
    await expect(receive(url, { MaxNumberOfMessages: 11 })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      $metadata: { httpStatusCode: 400 },
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
  it('rejects a message larger than MaximumMessageSize', async () => {
    const url = await createQueue(cloud, 'size', { MaximumMessageSize: '1024' });
    await expect(send(url, 'x'.repeat(1025))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await send(url, 'x'.repeat(1024));
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
  it('rejects bodies with characters outside the allowed Unicode ranges', async () => {
    const url = await createQueue(cloud, 'chars');
    await expect(send(url, 'bell\u0007')).rejects.toMatchObject({
      name: 'InvalidMessageContents',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(send(url, '\uFFFF')).rejects.toMatchObject({ name: 'InvalidMessageContents' });
    await send(url, 'tab\tnewline\nreturn\r ok');
  });
});
