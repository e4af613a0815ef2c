/**
 * SQS FIFO queues through the real SDK: message groups, ordering, group locking, deduplication
 * and sequence numbers.
 */

import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createQueue } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();

function createFifo(name: string, attributes: Record<string, string> = {}): Promise<string> {
  return createQueue(cloud, `${name}.fifo`, { FifoQueue: 'true', ...attributes });
}

async function send(queueUrl: string, body: string, group: string, dedup?: string) {
  return cloud.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageGroupId: group,
      ...(dedup ? { MessageDeduplicationId: dedup } : {}),
    }),
  );
}

async function receive(queueUrl: string, extra: Record<string, unknown> = {}): Promise<Message[]> {
  const { Messages } = await cloud.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0, ...extra }),
  );
  return Messages ?? [];
}

async function remove(queueUrl: string, message: Message | undefined): Promise<void> {
  await cloud.clients.sqs.send(
    new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message!.ReceiptHandle }),
  );
}

describe('SQS FIFO queues', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
  it('requires a MessageGroupId', async () => {
    const url = await createFifo('nogroup', { ContentBasedDeduplication: 'true' });
    await expect(
      cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })),
    ).rejects.toMatchObject({ name: 'MissingParameter', $metadata: { httpStatusCode: 400 } });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
  it('requires a deduplication id unless content-based deduplication is on', async () => {
    const url = await createFifo('nodedup');
    await expect(send(url, 'x', 'g')).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
  it('accepts a duplicate within the deduplication interval but delivers the message once, with the original id', async () => {
    const url = await createFifo('dedup');
    const first = await send(url, 'payload', 'g', 'd-1');
    const second = await send(url, 'payload again', 'g', 'd-1');
    expect(second.MessageId).toBe(first.MessageId);
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    expect(messages.map((message) => message.Body)).toEqual(['payload']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
  it('remembers a deduplication id after the message was deleted', async () => {
    const url = await createFifo('dedupdeleted');
    await send(url, 'x', 'g', 'd-2');
    const [message] = await receive(url);
    await remove(url, message);
    const again = await send(url, 'x', 'g', 'd-2');
    expect(again.MessageId).toBe(message?.MessageId);
    expect(await receive(url)).toHaveLength(0);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
  it('derives the deduplication id from the SHA-256 of the body with ContentBasedDeduplication', async () => {
    const url = await createFifo('cbd', { ContentBasedDeduplication: 'true' });
    const first = await send(url, 'same body', 'g');
    const second = await send(url, 'same body', 'g');
    await send(url, 'other body', 'g');
    expect(second.MessageId).toBe(first.MessageId);
    const messages = await receive(url, {
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['MessageDeduplicationId'],
    });
    expect(messages.map((message) => message.Body)).toEqual(['same body', 'other body']);
    expect(messages[0]?.Attributes?.MessageDeduplicationId).toBe(
      createHash('sha256').update('same body').digest('hex'),
    );
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
  it('scopes deduplication to the message group with DeduplicationScope=messageGroup', async () => {
    const url = await createFifo('scope', {
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    const a = await send(url, 'x', 'g1', 'same');
    const b = await send(url, 'x', 'g2', 'same');
    expect(b.MessageId).not.toBe(a.MessageId);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
  it('returns increasing sequence numbers, also as the SequenceNumber attribute', async () => {
    const url = await createFifo('seq');
    const first = await send(url, 'a', 'g', '1');
    const second = await send(url, 'b', 'g', '2');
    expect(BigInt(second.SequenceNumber!)).toBeGreaterThan(BigInt(first.SequenceNumber!));
    const messages = await receive(url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] });
    expect(messages.map((message) => message.Attributes?.SequenceNumber)).toEqual([
      first.SequenceNumber,
      second.SequenceNumber,
    ]);
    expect(messages[0]?.Attributes?.MessageGroupId).toBe('g');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
  it('delivers the messages of a group in order and several of them in one receive', async () => {
    const url = await createFifo('order', { ContentBasedDeduplication: 'true' });
    for (let i = 0; i < 5; i++) await send(url, `m${i}`, 'g');
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    expect(messages.map((message) => message.Body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
  it('delivers no message of a group while an earlier one of that group is in flight', async () => {
    const url = await createFifo('lock', { ContentBasedDeduplication: 'true' });
    await send(url, 'a1', 'a');
    await send(url, 'a2', 'a');
    await send(url, 'b1', 'b');
    const [first] = await receive(url);
    expect(first?.Body).toBe('a1');
    const [other] = await receive(url);
    expect(other?.Body).toBe('b1');
    expect(await receive(url)).toHaveLength(0);
    await remove(url, first);
    const [next] = await receive(url);
    expect(next?.Body).toBe('a2');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
  it('redelivers the same message first when its visibility ends', async () => {
    const url = await createFifo('retry', { ContentBasedDeduplication: 'true' });
    await send(url, 'first', 'g');
    await send(url, 'second', 'g');
    const [message] = await receive(url);
    await cloud.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: message!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const again = await receive(url, { MaxNumberOfMessages: 10 });
    expect(again.map((m) => m.Body)).toEqual(['first', 'second']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html
  it('rejects a per-message DelaySeconds on a FIFO queue', async () => {
    const url = await createFifo('delay', { ContentBasedDeduplication: 'true' });
    await expect(
      cloud.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', DelaySeconds: 5 }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  it('deduplicates and sequences batch entries like single sends', async () => {
    const url = await createFifo('batch');
    const { Successful = [] } = await cloud.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'one', MessageGroupId: 'g', MessageDeduplicationId: 'x' },
          { Id: 'b', MessageBody: 'one again', MessageGroupId: 'g', MessageDeduplicationId: 'x' },
          { Id: 'c', MessageBody: 'two', MessageGroupId: 'g', MessageDeduplicationId: 'y' },
        ],
      }),
    );
    expect(Successful).toHaveLength(3);
    expect(Successful[1]?.MessageId).toBe(Successful[0]?.MessageId);
    expect(Successful.every((entry) => entry.SequenceNumber)).toBe(true);
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    expect(messages.map((m) => m.Body)).toEqual(['one', 'two']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
  it('keeps strict order within each group across many receives and interleaved groups', async () => {
    const url = await createFifo('many', { ContentBasedDeduplication: 'true' });
    const groups = ['a', 'b', 'c'];
    for (let start = 0; start < 150; start += 10) {
      await cloud.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: 10 }, (_, i) => ({
            Id: `e${i}`,
            MessageBody: `${groups[(start + i) % 3]}-${String(start + i).padStart(3, '0')}`,
            MessageGroupId: groups[(start + i) % 3]!,
          })),
        }),
      );
    }
    const seen: Record<string, string[]> = { a: [], b: [], c: [] };
    for (let round = 0; round < 100; round++) {
      const messages = await receive(url, {
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['MessageGroupId'],
      });
      if (messages.length === 0) break;
      for (const message of messages) {
        seen[message.Attributes!.MessageGroupId!]!.push(message.Body!);
        await remove(url, message);
      }
    }
    for (const group of groups) {
      expect(seen[group]).toHaveLength(50);
      expect(seen[group]).toEqual([...seen[group]!].sort());
    }
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
  it('returns the same messages and receipt handles to a receive retried with the same ReceiveRequestAttemptId', async () => {
    const url = await createFifo('attempt', { ContentBasedDeduplication: 'true' });
    await send(url, 'a', 'g1');
    await send(url, 'b', 'g2');
    const first = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: 'attempt-1' });
    const retry = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: 'attempt-1' });
    expect(retry.map((m) => [m.MessageId, m.ReceiptHandle])).toEqual(
      first.map((m) => [m.MessageId, m.ReceiptHandle]),
    );
    const other = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: 'attempt-2' });
    expect(other[0]?.MessageId).not.toBe(first[0]?.MessageId);
    await remove(url, first[0]);
    const afterDelete = await receive(url, { MaxNumberOfMessages: 1, ReceiveRequestAttemptId: 'attempt-1' });
    expect(afterDelete).toHaveLength(0);
  });
});
