/**
 * Issue 12: a non-JSON body near the SQS size limit, whose copy with the reason attributes does not
 * fit in one message, still ends in the DLQ - body intact - with its reason findable by
 * `oncely dlq list` (listDeadLetters), and its FIFO group goes on after it.
 */
import { type Message, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  type ConsumerResources,
  deliver,
  provisionConsumerResources,
  realConsumer,
  receive,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { listDeadLetters } from '../../packages/runtime/src/adapters/sqs-dead-letter-queue.js';
import { testEnvelope } from '../support/consumer-fakes.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();

/** SQS's quota (1 MiB), which the local cloud enforces as MaximumMessageSize. */
const SQS_LIMIT = 1_048_576;

describe.each([false, true])('a poison message near the SQS size limit (fifo: %s)', (fifo) => {
  it('reaches the DLQ with its body and a reason that listDeadLetters shows, and its group goes on', async () => {
    const resources: ConsumerResources = await provisionConsumerResources(cloud.clients, {
      prefix: `${cloud.prefix}-big-${fifo ? 'f' : 's'}`,
      fifo,
      maxReceiveCount: 3,
    });
    const { handler } = realConsumer(cloud.clients, resources);
    await setBalance(cloud.clients.documents, resources, 'big-neighbour', 100);
    // Not JSON, and as large as SQS lets a producer send it.
    const body = `not json SECRET-${'x'.repeat(SQS_LIMIT - 100)}`;
    const group = fifo ? { MessageGroupId: 'big', MessageDeduplicationId: 'big-1' } : {};
    const sent = await cloud.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: resources.queueUrl, MessageBody: body, ...group }),
    );
    const after = testEnvelope({
      key: 'big',
      payload: { accountId: 'big-neighbour', amount: 1, orderId: 'after' },
    });
    await cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.queueUrl,
        MessageBody: JSON.stringify(after),
        ...(fifo ? { MessageGroupId: 'big', MessageDeduplicationId: 'after-1' } : {}),
      }),
    );

    // Deliver what the queue hands out, as the event source mapping would, until it is empty.
    const seenBig: number[] = [];
    let processedAfter = false;
    let empty = 0;
    for (let round = 0; round < 12 && empty < 2; round += 1) {
      const messages: Message[] = await receive(cloud.clients.sqs, resources.queueUrl, 10);
      // The receive that moves a message to the DLQ may return nothing.
      empty = messages.length === 0 ? empty + 1 : 0;
      const result = await deliver(handler, cloud.clients.sqs, resources, messages);
      const failed = new Set(result.batchItemFailures.map((failure) => failure.itemIdentifier));
      for (const message of messages) {
        if (message.MessageId === sent.MessageId) seenBig.push(round);
        else if (!failed.has(message.MessageId!)) processedAfter = true;
      }
    }
    // Received maxReceiveCount times, then moved by SQS; nothing left behind it.
    expect(seenBig).toHaveLength(3);
    expect(processedAfter).toBe(true);
    expect(await receive(cloud.clients.sqs, resources.queueUrl, 10)).toEqual([]);

    const letters = await listDeadLetters(cloud.clients.sqs, resources.deadLetterQueueUrl, 20);
    const letter = letters.find((candidate) => candidate.messageId === sent.MessageId);
    expect(letter?.reason).toBe('body-not-json');
    expect(letter?.sourceArn).toBe(resources.queueArn);
    expect(letters).toHaveLength(1);
    expect(JSON.stringify(letters)).not.toContain('SECRET');

    // The body itself is in the DLQ, unchanged, under the original message id.
    const dead = await receive(cloud.clients.sqs, resources.deadLetterQueueUrl, 10);
    const original = dead.find((message) => message.MessageId === sent.MessageId);
    expect(original?.Body).toBe(body);
  });
});
