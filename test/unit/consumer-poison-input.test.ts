/**
 * Bodies that look valid to JSON.parse but would corrupt a table (lone surrogates, U+FFFD from
 * invalid UTF-8), and payload text kept out of logs and DLQ reasons (issue 12).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandler } from '../../packages/runtime/src/core/consumer/index.js';
import { fakeConsumer, sqsEvent, sqsRecord, testEnvelope } from '../support/consumer-fakes.js';

const payloadOf = (orderId: string) => ({ accountId: 'account-1', amount: 10, orderId });

describe('text DynamoDB cannot store is poison', () => {
  const cases: Array<[string, string]> = [
    // A JSON escape of a lone surrogate: JSON.parse accepts it, DynamoDB's UTF-8 cannot hold it.
    ['an escaped lone high surrogate', JSON.stringify(testEnvelope()).replace(/"order-\d+"/, '"\\ud800"')],
    ['an escaped lone low surrogate', JSON.stringify(testEnvelope()).replace(/"order-\d+"/, '"a\\udc00b"')],
    [
      'a lone surrogate in a key',
      JSON.stringify(testEnvelope()).replace('"orderId"', '"\\ud800":1,"orderId"'),
    ],
    ['a raw lone surrogate', JSON.stringify(testEnvelope({ payload: payloadOf('\ud800') }))],
    // What a decoder makes of invalid UTF-8 bytes.
    ['U+FFFD', JSON.stringify(testEnvelope({ payload: payloadOf('order-\ufffd') }))],
    ['an escaped U+FFFD', JSON.stringify(testEnvelope()).replace(/"order-\d+"/, '"\\ufffd"')],
  ];

  it.each(cases)('sends a body with %s to the DLQ as payload-invalid, applying nothing', async (_, body) => {
    const { handler, messages, claims, telemetry } = fakeConsumer();
    const result = await handler(sqsEvent([sqsRecord({ body })]));
    expect(result.batchItemFailures).toEqual([]);
    expect(messages.deadLetters.map((letter) => letter.reason)).toEqual(['payload-invalid']);
    expect(messages.deadLetters[0]?.record.body).toBe(body);
    expect(claims.items.size).toBe(0);
    expect(claims.committed).toEqual([]);
    expect(telemetry.get('Processed')).toBe(0);
  });

  it('finds a lone surrogate escaped inside an SNS notification Message', async () => {
    const { handler, messages, claims } = fakeConsumer();
    const inner = JSON.stringify({ accountId: 'account-1', amount: 10, orderId: 'PLACEHOLDER' }).replace(
      'PLACEHOLDER',
      '\\ud800',
    );
    const body = JSON.stringify({
      Type: 'Notification',
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
      MessageId: 'sns-1',
      Message: inner,
    });
    await handler(sqsEvent([sqsRecord({ body })]));
    expect(messages.deadLetters.map((letter) => letter.reason)).toEqual(['payload-invalid']);
    expect(claims.committed).toEqual([]);
  });

  it('still applies well-formed text outside the Basic Multilingual Plane', async () => {
    const { handler, messages, claims } = fakeConsumer();
    const body = JSON.stringify(testEnvelope({ payload: payloadOf('order-\u{1F600}-ü-\uE000') }));
    const escaped = JSON.stringify(testEnvelope()).replace(/"order-\d+"/, '"\\ud83d\\ude00"');
    await handler(sqsEvent([sqsRecord({ body }), sqsRecord({ body: escaped })]));
    expect(messages.deadLetters).toEqual([]);
    expect(claims.committed).toHaveLength(2);
  });
});

describe('payload text stays out of logs and DLQ reasons', () => {
  const secretBodies: Array<[string, string]> = [
    ['not JSON', 'not json SECRET-4111111111111111'],
    ['truncated JSON', '{"card": "SECRET-4111111111111111'],
    ['trailing text', '{"a":1} SECRET-4111111111111111'],
    ['a secret-looking first token', 'SECRET-4111111111111111'],
  ];

  it.each(secretBodies)('reports a %s body without quoting it', async (_, body) => {
    const { handler, messages, telemetry } = fakeConsumer();
    await handler(sqsEvent([sqsRecord({ body })]));
    expect(messages.deadLetters).toHaveLength(1);
    const [letter] = messages.deadLetters;
    expect(letter?.reason).toBe('body-not-json');
    expect(letter?.error).not.toMatch(/SECRET|411111|not json|card/);
    expect(letter?.error).toMatch(/not JSON/);
    expect(JSON.stringify(telemetry.logs)).not.toMatch(/SECRET|411111|not json/);
  });

  it('does not name unrecognized payload keys in a schema error', async () => {
    const handlers = [
      defineHandler({
        type: 'points.deduct',
        schema: z.strictObject({ orderId: z.string() }),
        handle: () => undefined,
      }),
    ];
    const { handler, messages, telemetry } = fakeConsumer({ handlers });
    const body = JSON.stringify(testEnvelope({ payload: { orderId: 'o', 'SECRET-4111': 1 } }));
    await handler(sqsEvent([sqsRecord({ body })]));
    expect(messages.deadLetters[0]?.reason).toBe('payload-invalid');
    expect(messages.deadLetters[0]?.error).toMatch(/1 unrecognized key/);
    expect(messages.deadLetters[0]?.error).not.toMatch(/SECRET|4111/);
    expect(JSON.stringify(telemetry.logs)).not.toMatch(/SECRET|4111/);
  });

  it('quotes the parse error when payload logging is on', async () => {
    const { handler, messages, telemetry } = fakeConsumer({ logPayload: true });
    await handler(sqsEvent([sqsRecord({ body: 'not json SECRET-4111111111111111' })]));
    expect(messages.deadLetters[0]?.error).toContain('not json');
    expect(JSON.stringify(telemetry.logs)).toContain('not json');
  });
});
