/**
 * Messages not produced by Oncely: plain JSON bodies, SNS notifications (wrapped and raw) and
 * EventBridge events delivered to SQS. What reaches the handler, under which claim key, and what
 * is poison.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler, type HandlerContext } from '../../packages/runtime/src/core/consumer/index.js';
import { fakeConsumer, sqsEvent, sqsRecord, testEnvelope } from '../support/consumer-fakes.js';

const reserveSchema = z.object({
  sku: z.string(),
  quantity: z.number().int().positive(),
  orderId: z.string(),
});

/**
 * A handler that records what it got; its effect is one write to the stock table. In transactional
 * mode a handler may run for a duplicate too (its writes are then discarded with the failed claim),
 * so effects are counted in the committed writes, not in handler calls.
 */
function recordingHandler(type: string) {
  const seen: Array<{ payload: z.output<typeof reserveSchema>; context: HandlerContext }> = [];
  const handler = defineHandler({
    type,
    schema: reserveSchema,
    handle(payload, context) {
      seen.push({ payload, context });
      return {
        writes: [
          {
            Update: {
              TableName: 'stock',
              Key: { pk: payload.sku },
              UpdateExpression: 'ADD reserved :q',
              ExpressionAttributeValues: { ':q': payload.quantity },
            },
          },
        ],
      };
    },
  });
  return { handler, seen };
}

const reservation = { sku: 'sku-1', quantity: 2, orderId: 'order-1' };

const snsNotification = (message: unknown, extra: Record<string, unknown> = {}) => ({
  Type: 'Notification',
  MessageId: 'sns-message-1',
  TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
  Subject: null,
  Message: typeof message === 'string' ? message : JSON.stringify(message),
  Timestamp: '2026-11-25T10:00:00.000Z',
  SignatureVersion: '1',
  Signature: 'EXAMPLE',
  MessageAttributes: {},
  ...extra,
});

const eventBridgeEvent = (detailType: string, detail: unknown) => ({
  version: '0',
  id: 'event-1',
  'detail-type': detailType,
  source: 'shop.orders',
  account: '000000000000',
  time: '2026-11-25T10:00:01Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

function single() {
  const reserve = recordingHandler('inventory.reserve');
  return { ...fakeConsumer({ handlers: [reserve.handler] }), seen: reserve.seen };
}

function twoHandlers(options: Parameters<typeof fakeConsumer>[0] = {}) {
  const reserve = recordingHandler('inventory.reserve');
  const release = recordingHandler('inventory.release');
  const consumer = fakeConsumer({ handlers: [reserve.handler, release.handler], ...options });
  return { ...consumer, reserved: reserve.seen, released: release.seen };
}

describe('messages that are not Oncely envelopes', () => {
  it('gives a plain JSON body to the only handler, claimed under its SQS message id, outside any producer stream', async () => {
    const { handler, claims, seen } = single();
    const record = sqsRecord({ body: JSON.stringify(reservation), messageId: 'sqs-1' });
    expect((await handler(sqsEvent([record]))).batchItemFailures).toEqual([]);
    expect(seen.map(({ payload }) => payload)).toEqual([reservation]);
    expect(seen[0]?.context.message).toMatchObject({
      id: 'sqs-1',
      type: 'inventory.reserve',
      format: 'json',
      envelope: undefined,
      sqsMessageId: 'sqs-1',
    });
    const claim = claims.items.get('sqs-1');
    expect(claim).toMatchObject({ status: 'COMPLETED', type: 'inventory.reserve' });
    expect(claim).not.toHaveProperty('producer');
    expect(claim).not.toHaveProperty('seq');
  });

  it('applies a redelivery of the same SQS message once, but two sends of one body twice (default key)', async () => {
    const { handler, claims, telemetry } = single();
    const body = JSON.stringify(reservation);
    const first = sqsRecord({ body, messageId: 'sqs-1' });
    await handler(sqsEvent([first]));
    await handler(sqsEvent([{ ...first, receiptHandle: 'redelivered' }]));
    expect(claims.committed).toHaveLength(1);
    expect(telemetry.get('Duplicates')).toBe(1);
    await handler(sqsEvent([sqsRecord({ body, messageId: 'sqs-2' })]));
    expect(claims.committed).toHaveLength(2);
  });

  it('keys a FIFO message by its MessageDeduplicationId, so a re-send after the SQS window is applied once', async () => {
    const { handler, seen, claims } = single();
    const body = JSON.stringify(reservation);
    const send = (messageId: string) =>
      sqsRecord({ body, messageId, groupId: 'sku-1', deduplicationId: 'order-1', queueName: 'stock.fifo' });
    await handler(sqsEvent([send('sqs-1')]));
    await handler(sqsEvent([send('sqs-2')]));
    expect(claims.committed).toHaveLength(1);
    expect(seen[0]?.context.message.id).toBe('order-1');
  });

  it('unwraps an SNS notification: the parsed Message is the payload, Timestamp the time', async () => {
    const { handler, seen } = single();
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify(snsNotification(reservation)) })]));
    expect(seen[0]?.payload).toEqual(reservation);
    expect(seen[0]?.context.message).toMatchObject({ format: 'sns', occurredAt: '2026-11-25T10:00:00.000Z' });
  });

  it('gives the Message text itself when an SNS message is not JSON', async () => {
    const notes: unknown[] = [];
    const { handler } = fakeConsumer({
      handlers: [
        defineHandler({
          type: 'note',
          schema: z.string(),
          handle: (note) => {
            notes.push(note);
            return undefined;
          },
        }),
      ],
    });
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify(snsNotification('restock sku-1')) })]));
    expect(notes).toEqual(['restock sku-1']);
  });

  it('unwraps an EventBridge event: detail is the payload, time the time', async () => {
    const { handler, seen } = single();
    await handler(
      sqsEvent([sqsRecord({ body: JSON.stringify(eventBridgeEvent('Order Placed', reservation)) })]),
    );
    expect(seen[0]?.payload).toEqual(reservation);
    expect(seen[0]?.context.message).toMatchObject({
      format: 'eventbridge',
      occurredAt: '2026-11-25T10:00:01Z',
    });
  });

  it('routes by the type each shape declares when several handlers are registered', async () => {
    const { handler, reserved, released } = twoHandlers();
    const typed = { ...reservation, type: 'inventory.release' };
    await handler(
      sqsEvent([
        sqsRecord({ body: JSON.stringify(eventBridgeEvent('inventory.reserve', reservation)) }),
        sqsRecord({
          body: JSON.stringify(
            snsNotification(reservation, {
              MessageAttributes: { type: { Type: 'String', Value: 'inventory.release' } },
              Subject: 'ignored while the attribute names the type',
            }),
          ),
        }),
        sqsRecord({ body: JSON.stringify(snsNotification(reservation, { Subject: 'inventory.reserve' })) }),
        // SNS raw delivery: the body is the message, SNS attributes arrive as SQS message attributes.
        sqsRecord({
          body: JSON.stringify(reservation),
          messageAttributes: { type: { stringValue: 'inventory.release', dataType: 'String' } as never },
        }),
        sqsRecord({ body: JSON.stringify(typed) }),
      ]),
    );
    expect(reserved.map(({ context }) => context.message.format)).toEqual(['eventbridge', 'sns']);
    expect(released.map(({ context }) => context.message.format)).toEqual(['sns', 'json', 'json']);
    // The schema strips the routing field: handlers see their payload only.
    expect(released[2]?.payload).toEqual(reservation);
  });

  it('sends a message that names no type, or an unknown one, to the DLQ when several handlers could take it', async () => {
    const { handler, messages, reserved, released } = twoHandlers();
    await handler(
      sqsEvent([
        sqsRecord({ body: JSON.stringify(reservation) }),
        sqsRecord({ body: JSON.stringify(eventBridgeEvent('Order Shipped', reservation)) }),
      ]),
    );
    expect(messages.deadLetters.map((letter) => [letter.reason, letter.error])).toEqual([
      ['unknown-type', 'a json message that names no type, and 2 handlers to choose from'],
      ['unknown-type', "no handler for type 'Order Shipped'"],
    ]);
    expect([...reserved, ...released]).toEqual([]);
  });

  it('lets typeOf choose the handler, even when only one is registered', async () => {
    const reserve = recordingHandler('inventory.reserve');
    const { handler, messages } = fakeConsumer({
      handlers: [reserve.handler],
      typeOf: (message) => (message.format === 'eventbridge' ? 'inventory.reserve' : undefined),
    });
    await handler(
      sqsEvent([
        sqsRecord({ body: JSON.stringify(eventBridgeEvent('Order Placed', reservation)) }),
        sqsRecord({ body: JSON.stringify(reservation) }),
      ]),
    );
    expect(reserve.seen).toHaveLength(1);
    expect(messages.deadLetters.map((letter) => letter.reason)).toEqual(['unknown-type']);
  });

  it('claims under the key function: two SNS deliveries of one notification apply once', async () => {
    const reserve = recordingHandler('inventory.reserve');
    const { handler, claims } = fakeConsumer({
      handlers: [reserve.handler],
      key: (message) => message.wrapperId ?? message.record.messageId,
    });
    const body = JSON.stringify(snsNotification(reservation));
    await handler(
      sqsEvent([sqsRecord({ body, messageId: 'sqs-1' }), sqsRecord({ body, messageId: 'sqs-2' })]),
    );
    expect(claims.committed).toHaveLength(1);
    expect([...claims.items.keys()]).toEqual(['sns-message-1']);
  });

  it('sends a message to the DLQ as id-reused-with-other-payload when its key was first used for another payload', async () => {
    const reserve = recordingHandler('inventory.reserve');
    const { handler, messages, claims } = fakeConsumer({
      handlers: [reserve.handler],
      key: () => 'same-key',
    });
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify(reservation) })]));
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify({ ...reservation, quantity: 3 }) })]));
    expect(claims.committed).toHaveLength(1);
    expect(messages.deadLetters.map((letter) => letter.reason)).toEqual(['id-reused-with-other-payload']);
  });

  it('sends a message to the DLQ as key-invalid when the key function throws or returns no usable key', async () => {
    const keys = [
      () => {
        throw new Error('no order id');
      },
      () => '',
      () => 'k'.repeat(1025),
    ];
    for (const key of keys) {
      const reserve = recordingHandler('inventory.reserve');
      const { handler, messages, claims } = fakeConsumer({ handlers: [reserve.handler], key });
      const result = await handler(sqsEvent([sqsRecord({ body: JSON.stringify(reservation) })]));
      expect(result.batchItemFailures).toEqual([]);
      expect(messages.deadLetters.map((letter) => letter.reason)).toEqual(['key-invalid']);
      expect(reserve.seen).toEqual([]);
      expect(claims.items.size).toBe(0);
    }
  });

  it('validates a foreign payload against the handler schema (payload-invalid)', async () => {
    const { handler, messages, seen } = single();
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify({ sku: 'sku-1', quantity: -1 }) })]));
    expect(messages.deadLetters.map((letter) => letter.reason)).toEqual(['payload-invalid']);
    expect(seen).toEqual([]);
  });

  it('with envelopesOnly, sends every body that is not an envelope to the DLQ as envelope-invalid', async () => {
    const reserve = recordingHandler('points.deduct');
    const { handler, messages } = fakeConsumer({ handlers: [reserve.handler], envelopesOnly: true });
    await handler(
      sqsEvent([
        sqsRecord({ body: JSON.stringify(reservation) }),
        sqsRecord({ body: JSON.stringify(snsNotification(reservation)) }),
      ]),
    );
    expect(messages.deadLetters.map((letter) => letter.reason)).toEqual([
      'envelope-invalid',
      'envelope-invalid',
    ]);
    expect(reserve.seen).toEqual([]);
  });

  it('still treats a body with the Oncely stamps as an envelope, whatever else is registered', async () => {
    const reserve = recordingHandler('inventory.reserve');
    const { handler, messages, claims } = fakeConsumer({ handlers: [reserve.handler] });
    const envelope = testEnvelope({
      type: 'inventory.reserve',
      payload: reservation,
      producer: '4-2',
      seq: 9,
    });
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify(envelope) })]));
    expect(reserve.seen[0]?.context.message).toMatchObject({
      id: envelope.id,
      format: 'oncely',
      envelope: { producer: '4-2', seq: 9, key: 'account-1' },
    });
    expect(claims.items.get(envelope.id as string)).toMatchObject({ producer: '4-2', seq: 9 });
    // A stamped body of an unregistered type is not handed to the only handler.
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify(testEnvelope({ type: 'other' })) })]));
    expect(messages.deadLetters.map((letter) => letter.reason)).toEqual(['unknown-type']);
  });
});
