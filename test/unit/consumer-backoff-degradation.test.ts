import { describe, expect, it } from 'vitest';
import { pointsDeductHandler, pointsDeductSchema } from '../../examples/points/src/domain/points-deduct.js';
import {
  CachedDegradationLevel,
  canonicalJson,
  payloadHash,
  retryDelaySeconds,
} from '../../packages/runtime/src/core/consumer/index.js';
import {
  FixedDegradation,
  fakeConsumer,
  ManualClock,
  pointsHandlerWithClaimsTable,
  sqsEvent,
  sqsRecord,
  testEnvelope,
} from '../support/consumer-fakes.js';

describe('retry backoff', () => {
  const settings = { baseSeconds: 2, capSeconds: 60 };

  it('grows the ceiling exponentially with the receive count up to the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 20].map((count) =>
      retryDelaySeconds(count, settings, () => 0.999999),
    );
    expect(ceilings).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it('draws the delay uniformly from zero to the ceiling (full jitter)', () => {
    expect(retryDelaySeconds(4, settings, () => 0)).toBe(0);
    expect(retryDelaySeconds(4, settings, () => 0.5)).toBe(8);
  });
});

describe('degradation level', () => {
  it('reads the level at most once per cache period', async () => {
    const clock = new ManualClock();
    const reader = new FixedDegradation('critical');
    const cached = new CachedDegradationLevel(reader, clock.now, 5_000);
    expect(await cached.current()).toBe('critical');
    reader.level = 'normal';
    clock.advance(4_999);
    expect(await cached.current()).toBe('critical');
    clock.advance(1);
    expect(await cached.current()).toBe('normal');
    expect(reader.reads).toBe(2);
  });

  it('keeps the last known level when the read fails', async () => {
    const clock = new ManualClock();
    let fail = false;
    const cached = new CachedDegradationLevel(
      {
        async read() {
          if (fail) throw new Error('unreachable');
          return 'elevated';
        },
      },
      clock.now,
      1_000,
    );
    expect(await cached.current()).toBe('elevated');
    fail = true;
    clock.advance(2_000);
    expect(await cached.current()).toBe('elevated');
  });

  it('skips and counts non-core steps while critical, and runs them otherwise', async () => {
    const receipts: string[] = [];
    const handlers = [
      pointsHandlerWithClaimsTable({
        sendReceipt: async (deduction) => void receipts.push(deduction.orderId),
      }),
    ];
    const critical = fakeConsumer({ level: 'critical', handlers });
    await critical.handler(sqsEvent([sqsRecord({ body: JSON.stringify(testEnvelope()) })]));
    expect(receipts).toEqual([]);
    expect(critical.telemetry.get('Skipped')).toBe(1);
    expect(critical.telemetry.get('Processed')).toBe(1);

    const normal = fakeConsumer({ level: 'elevated', handlers });
    await normal.handler(sqsEvent([sqsRecord({ body: JSON.stringify(testEnvelope()) })]));
    expect(receipts).toHaveLength(1);
  });

  it('runs non-core steps of transactional handlers only after the commit', async () => {
    const receipts: string[] = [];
    const handlers = [
      pointsHandlerWithClaimsTable({
        sendReceipt: async (deduction) => void receipts.push(deduction.orderId),
      }),
    ];
    const { handler, claims } = fakeConsumer({ handlers });
    claims.businessReasons = () => ['None', 'ConditionalCheckFailed'];
    await handler(sqsEvent([sqsRecord({ body: JSON.stringify(testEnvelope()) })]));
    expect(receipts).toEqual([]);
  });

  it('does not fail the message when a non-core step fails', async () => {
    const handlers = [
      pointsHandlerWithClaimsTable({
        sendReceipt: async () => Promise.reject(new Error('mail server down')),
      }),
    ];
    for (const mode of ['transactional', 'claim'] as const) {
      const { handler } = fakeConsumer({ mode, handlers });
      const result = await handler(sqsEvent([sqsRecord({ body: JSON.stringify(testEnvelope()) })]));
      expect(result.batchItemFailures).toEqual([]);
    }
  });
});

describe('payload hash', () => {
  it('ignores key order so re-serialised payloads still match', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"e":1,"f":2}]},"b":1}',
    );
    expect(payloadHash({ a: 1, b: 2 })).toBe(payloadHash({ b: 2, a: 1 }));
    expect(payloadHash({ a: 1 })).not.toBe(payloadHash({ a: 2 }));
  });
});

describe('points.deduct', () => {
  it('returns a ledger put conditional on a new order, a balance counter step floored at 0, and claims on the ledger entry', async () => {
    const handler = pointsDeductHandler({ accountsTable: 'accounts', ledgerTable: 'ledger' });
    const payload = pointsDeductSchema.parse({ accountId: 'acc', amount: 25, orderId: 'o-1' });
    const effect = await handler.handle(payload, {
      message: {
        id: '1',
        type: 'points.deduct',
        format: 'oncely',
        envelope: {
          id: '1',
          type: 'points.deduct',
          producer: 'p',
          seq: 1,
          key: 'acc',
          occurredAt: '2026-11-25T10:00:00.000Z',
        },
        occurredAt: '2026-11-25T10:00:00.000Z',
        sqsMessageId: 'm-1',
      },
      mode: 'transactional',
      remainingTimeMs: () => 1,
      nonCore: async () => {},
    });
    expect(effect?.writes).toMatchObject([
      {
        Put: {
          TableName: 'ledger',
          Item: { pk: 'o-1', amount: 25 },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
        rejectionReason: 'order-already-charged',
      },
      {
        Update: {
          TableName: 'accounts',
          Key: { pk: 'acc' },
          UpdateExpression: 'SET #counter = if_not_exists(#counter, :zero) + :add',
          ConditionExpression: '#counter >= :need',
          ExpressionAttributeNames: { '#counter': 'balance' },
          ExpressionAttributeValues: { ':zero': 0, ':add': -25, ':need': 25 },
        },
        counter: { attribute: 'balance', add: -25, atLeast: 0 },
        rejectionReason: 'insufficient-balance',
      },
    ]);
    expect(handler.claimOn?.(payload)).toEqual({ TableName: 'ledger', Key: { pk: 'o-1' } });
  });
});
