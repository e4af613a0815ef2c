import { describe, expect, it } from 'vitest';
import {
  OVERFLOW_ATTRIBUTE,
  poisonAttributes,
} from '../../packages/runtime/src/adapters/sqs-message-actions.js';
import { fakeConsumer, sqsEvent, sqsRecord, testEnvelope } from '../support/consumer-fakes.js';

const poisonBodies: Array<[string, string]> = [
  ['body-not-json', '{"id": '],
  ['envelope-invalid', JSON.stringify({ ...testEnvelope(), seq: -1 })],
  ['unknown-type', JSON.stringify(testEnvelope({ type: 'points.explode' }))],
  [
    'payload-invalid',
    JSON.stringify(testEnvelope({ payload: { accountId: 'a', amount: 'ten', orderId: 'o' } })),
  ],
];

describe('poison messages', () => {
  it.each(poisonBodies)(
    'sends a %s message to the DLQ and acknowledges it only then',
    async (reason, body) => {
      const { handler, messages, claims, telemetry } = fakeConsumer();
      const record = sqsRecord({
        body,
        receiveCount: 1,
        messageAttributes: { 'oncely.id': { stringValue: '1', dataType: 'String' } as never },
      });
      const result = await handler(sqsEvent([record]));
      expect(result.batchItemFailures).toEqual([]);
      expect(messages.deadLetters).toHaveLength(1);
      const [sent] = messages.deadLetters;
      expect(sent?.reason).toBe(reason);
      expect(sent?.error.length).toBeGreaterThan(0);
      expect(sent?.record.body).toBe(body);
      expect(sent?.record.messageAttributes).toHaveProperty('oncely.id');
      expect(claims.items.size).toBe(0);
      expect(telemetry.get('Poisoned')).toBe(1);
    },
  );

  it('reports a poison message as an item failure when the DLQ does not accept it', async () => {
    const { handler, messages, telemetry } = fakeConsumer();
    messages.deadLetterFails = true;
    const record = sqsRecord({ body: 'garbage' });
    const result = await handler(sqsEvent([record]));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(telemetry.get('Poisoned')).toBe(0);
    expect(messages.visibility).toHaveLength(1);
  });

  it('never fails the neighbours of a poison message', async () => {
    const { handler, messages, claims } = fakeConsumer();
    messages.deadLetterFails = true;
    const poison = sqsRecord({ body: 'garbage' });
    const neighbours = [
      sqsRecord({ body: JSON.stringify(testEnvelope()) }),
      sqsRecord({ body: JSON.stringify(testEnvelope()) }),
    ];
    const result = await handler(sqsEvent([neighbours[0]!, poison, neighbours[1]!]));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
    expect(claims.items.size).toBe(2);
  });

  it('keeps the payload out of the logs unless asked', async () => {
    const { handler, telemetry } = fakeConsumer();
    const envelope = testEnvelope({ producer: '9-9', seq: 3 });
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify(envelope) })]));
    const log = telemetry.logs.find((entry) => entry.message === 'message processed');
    expect(log?.fields).toMatchObject({ id: envelope.id, producer: '9-9', seq: 3 });
    expect(log?.fields).not.toHaveProperty('payload');
    expect(JSON.stringify(telemetry.logs)).not.toContain('order-');
  });
});

describe('poison attributes for the DLQ', () => {
  it('keeps the envelope attributes and packs the originals that do not fit into one JSON attribute', () => {
    const attribute = (value: string) => ({ stringValue: value, dataType: 'String' });
    const attributes = poisonAttributes({
      reason: 'payload-invalid',
      error: 'x'.repeat(5_000),
      record: {
        messageId: 'm-1',
        receiptHandle: 'rh',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:points',
        body: '{}',
        messageGroupId: undefined,
        receiveCount: 3,
        messageAttributes: {
          'custom.a': attribute('a'),
          'custom.b': attribute('b'),
          'oncely.id': attribute('1'),
          'oncely.type': attribute('points.deduct'),
          'oncely.producer': attribute('7-1'),
          'oncely.seq': { stringValue: '4', dataType: 'Number' },
        },
      },
    });
    expect(Object.keys(attributes)).toHaveLength(10);
    expect(attributes['oncely.poison.error']?.StringValue).toHaveLength(1_024);
    expect(attributes['oncely.poison.receiveCount']).toEqual({ DataType: 'Number', StringValue: '3' });
    expect(
      Object.keys(attributes).filter(
        (name) => name.startsWith('oncely.') && !name.startsWith('oncely.poison'),
      ),
    ).toEqual(['oncely.id', 'oncely.producer', 'oncely.seq', 'oncely.type']);
    expect(JSON.parse(attributes[OVERFLOW_ATTRIBUTE]?.StringValue ?? '{}')).toEqual({
      'custom.a': attribute('a'),
      'custom.b': attribute('b'),
    });
  });
});
