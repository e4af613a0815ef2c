/**
 * A poison message too large to copy to the DLQ with its reason attributes (issue 12): the DLQ gets
 * a bounded reason record naming the message, the message is left for SQS's redrive policy, and
 * `oncely dlq list` shows the moved message with the recorded reason.
 */
import type { Message, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  describeDeadLetter,
  joinReasonRecords,
  MAX_RECEIVE_COUNT_REASON,
} from '../../packages/runtime/src/adapters/sqs-dead-letter-queue.js';
import {
  messageBytes,
  poisonAttributes,
  SQS_MAX_MESSAGE_BYTES,
  SqsMessageActions,
} from '../../packages/runtime/src/adapters/sqs-message-actions.js';
import {
  type MessageActions,
  type PoisonDelivery,
  REASON_RECORD_ATTRIBUTE,
  type SqsRecordRef,
} from '../../packages/runtime/src/core/consumer/index.js';
import { POISON_ATTRIBUTES } from '../../packages/runtime/src/core/envelope.js';
import {
  fakeConsumer,
  RecordingMessageActions,
  sqsEvent,
  sqsRecord,
  testEnvelope,
} from '../support/consumer-fakes.js';

const ARN = 'arn:aws:sqs:us-east-1:000000000000:points';

/** An SQSClient that enforces SQS's size quota on SendMessage and keeps what it accepted. */
function sizeCheckingSqs(limit = SQS_MAX_MESSAGE_BYTES) {
  const sent: SendMessageCommand['input'][] = [];
  const client = {
    async send(command: SendMessageCommand) {
      const { MessageBody = '', MessageAttributes = {} } = command.input;
      if (messageBytes(MessageBody, MessageAttributes) > limit) {
        const error = new Error(
          `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
        );
        error.name = 'InvalidParameterValue';
        throw error;
      }
      sent.push(command.input);
      return { MessageId: `dlq-${sent.length}` };
    },
  } as unknown as SQSClient;
  return { client, sent };
}

function poison(body: string, messageId = 'm-big'): PoisonDelivery {
  return {
    reason: 'body-not-json',
    error: 'the body is not JSON',
    record: {
      messageId,
      receiptHandle: 'rh',
      eventSourceARN: ARN,
      body,
      messageGroupId: 'g-1',
      receiveCount: 1,
      messageAttributes: { custom: { stringValue: 'x'.repeat(200), dataType: 'String' } },
    },
  };
}

describe('the SQS message size as SQS counts it', () => {
  it('adds the body and every attribute name, data type and value, in UTF-8 bytes', () => {
    expect(
      messageBytes('ü', {
        a: { DataType: 'String', StringValue: 'é' },
        bin: { DataType: 'Binary', BinaryValue: new Uint8Array(3) },
      }),
    ).toBe(2 + (1 + 6 + 2) + (3 + 6 + 3));
  });
});

describe('a poison message too large to copy with its reason', () => {
  const nearLimit = 'n'.repeat(SQS_MAX_MESSAGE_BYTES - 100);

  it('copies a message that fits with its reason, as before', async () => {
    const { client, sent } = sizeCheckingSqs();
    const actions = new SqsMessageActions(client, { deadLetterQueueUrl: 'https://sqs/q/dlq' });
    const delivery = poison('n'.repeat(SQS_MAX_MESSAGE_BYTES - 5_000));
    expect(messageBytes(delivery.record.body, poisonAttributes(delivery))).toBeLessThan(
      SQS_MAX_MESSAGE_BYTES,
    );
    expect(await actions.sendToDeadLetter(delivery)).toBe('copied');
    expect(sent[0]?.MessageBody).toBe(delivery.record.body);
  });

  it('sends a bounded reason record naming the message instead of failing the send', async () => {
    const { client, sent } = sizeCheckingSqs();
    const actions = new SqsMessageActions(client, { deadLetterQueueUrl: 'https://sqs/q/dlq.fifo' });
    expect(await actions.sendToDeadLetter(poison(nearLimit))).toBe('reason-only');
    expect(sent).toHaveLength(1);
    const [record] = sent;
    const attributes = record?.MessageAttributes ?? {};
    expect(messageBytes(record?.MessageBody ?? '', attributes)).toBeLessThan(4_096);
    expect(attributes[POISON_ATTRIBUTES.reason]?.StringValue).toBe('body-not-json');
    expect(attributes[POISON_ATTRIBUTES.originalMessageId]?.StringValue).toBe('m-big');
    expect(attributes[REASON_RECORD_ATTRIBUTE]?.StringValue).toBe('m-big');
    expect(record?.MessageBody).not.toContain('nnnn');
    // Its own FIFO group: it never waits behind, or hides, the original's group.
    expect(record?.MessageGroupId).not.toBe('g-1');
    expect(record?.MessageDeduplicationId).toBe('m-big-reason');
  });

  it('falls back to a reason record when the DLQ refuses the copy as too long (a smaller MaximumMessageSize)', async () => {
    const { client, sent } = sizeCheckingSqs(64 * 1024);
    const actions = new SqsMessageActions(client, { deadLetterQueueUrl: 'https://sqs/q/dlq' });
    expect(await actions.sendToDeadLetter(poison('n'.repeat(100_000)))).toBe('reason-only');
    expect(sent[0]?.MessageAttributes?.[REASON_RECORD_ATTRIBUTE]?.StringValue).toBe('m-big');
  });

  it('still rejects on other send errors, so the consumer retries', async () => {
    const client = {
      send: async () => {
        throw Object.assign(new Error('Access denied'), { name: 'AccessDenied' });
      },
    } as unknown as SQSClient;
    const actions = new SqsMessageActions(client, { deadLetterQueueUrl: 'https://sqs/q/dlq' });
    await expect(actions.sendToDeadLetter(poison('{'))).rejects.toThrow('Access denied');
  });
});

describe('the consumer with a reason-only DLQ send', () => {
  /** The DLQ took only the reason record, as SqsMessageActions reports for an oversized message. */
  class ReasonOnlyActions implements MessageActions {
    readonly recording = new RecordingMessageActions();
    readonly visibility = this.recording.visibility;
    async sendToDeadLetter(message: PoisonDelivery): Promise<'reason-only'> {
      await this.recording.sendToDeadLetter(message);
      return 'reason-only';
    }
    changeVisibility(record: SqsRecordRef, seconds: number): Promise<void> {
      return this.recording.changeVisibility(record, seconds);
    }
  }

  it('fails the message at once so SQS redrive moves it, and never acknowledges it', async () => {
    const messages = new ReasonOnlyActions();
    const { handler, telemetry } = fakeConsumer({ messages });
    const record = sqsRecord({ body: 'not json', receiveCount: 2 });
    const result = await handler(sqsEvent([record]));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(messages.visibility).toEqual([{ messageId: record.messageId, seconds: 0 }]);
    expect(telemetry.get('Poisoned')).toBe(1);
  });

  it('lets the rest of its FIFO group go on, so their receives are not spent with it', async () => {
    const messages = new ReasonOnlyActions();
    const { handler, claims } = fakeConsumer({ messages });
    const poisonRecord = sqsRecord({ body: 'not json', groupId: 'g', queueName: 'points.fifo' });
    const next = sqsRecord({ body: JSON.stringify(testEnvelope()), groupId: 'g', queueName: 'points.fifo' });
    const result = await handler(sqsEvent([poisonRecord, next]));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: poisonRecord.messageId }]);
    expect(claims.committed).toHaveLength(1);
  });

  it('drops a reason record that a full redrive moved back to the source queue', async () => {
    const { handler, messages, claims } = fakeConsumer();
    const record = sqsRecord({
      body: '{"reasonRecordOf":"m-1","reason":"body-not-json"}',
      messageAttributes: { [REASON_RECORD_ATTRIBUTE]: { stringValue: 'm-1', dataType: 'String' } as never },
    });
    const result = await handler(sqsEvent([record]));
    expect(result.batchItemFailures).toEqual([]);
    expect(messages.deadLetters).toEqual([]);
    expect(claims.items.size).toBe(0);
  });
});

describe('listing the DLQ with reason records', () => {
  const text = (value: string) => ({ DataType: 'String', StringValue: value });
  const reasonRecord = (id: string, of: string): Message => ({
    MessageId: id,
    Body: '{}',
    Attributes: { SentTimestamp: '2' },
    MessageAttributes: {
      [POISON_ATTRIBUTES.reason]: text('body-not-json'),
      [POISON_ATTRIBUTES.error]: text('the body is not JSON'),
      [POISON_ATTRIBUTES.sourceQueue]: text(ARN),
      [POISON_ATTRIBUTES.receiveCount]: { DataType: 'Number', StringValue: '1' },
      [REASON_RECORD_ATTRIBUTE]: text(of),
    },
  });
  const moved: Message = {
    MessageId: 'm-big',
    Body: 'not json',
    Attributes: { SentTimestamp: '1', ApproximateReceiveCount: '6', DeadLetterQueueSourceArn: ARN },
  };

  it('shows the message SQS moved with the recorded reason, once, and not the record', () => {
    const letters = joinReasonRecords(
      [moved, reasonRecord('r-1', 'm-big'), reasonRecord('r-2', 'm-big')].map(describeDeadLetter),
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ messageId: 'm-big', reason: 'body-not-json', sourceArn: ARN });
  });

  it('shows the record itself while its message is still in the source queue', () => {
    const letters = joinReasonRecords([reasonRecord('r-1', 'm-big')].map(describeDeadLetter));
    expect(letters).toEqual([expect.objectContaining({ reason: 'body-not-json', reasonRecordOf: 'm-big' })]);
  });

  it('leaves messages without a record as SQS moved them', () => {
    const letters = joinReasonRecords([moved].map(describeDeadLetter));
    expect(letters[0]?.reason).toBe(MAX_RECEIVE_COUNT_REASON);
  });
});
