import { describe, expect, it } from 'vitest';
import { POINTS_REJECTIONS } from '../../examples/points/src/domain/points-deduct.js';
import { classifyCancellation } from '../../packages/runtime/src/core/consumer/index.js';
import type { TransactionWrite } from '../../packages/runtime/src/core/transaction-write.js';
import { fakeConsumer, sqsEvent, sqsRecord, testEnvelope } from '../support/consumer-fakes.js';

const context = { getRemainingTimeInMillis: () => 30_000 };

function delivery(envelope: Record<string, unknown>, receiveCount = 1) {
  return sqsRecord({ body: JSON.stringify(envelope), receiveCount });
}

describe('transactional mode', () => {
  it('commits the completed claim together with the handler writes in one transaction', async () => {
    const { handler, claims, telemetry } = fakeConsumer();
    const envelope = testEnvelope({ producer: '3-9', seq: 41 });
    const result = await handler(sqsEvent([delivery(envelope)]), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(claims.committed).toHaveLength(1);
    expect(claims.committed[0]?.map((write) => write.Put?.TableName ?? write.Update?.TableName)).toEqual([
      'ledger',
      'accounts',
    ]);
    const claim = claims.items.get(envelope.id as string);
    expect(claim).toMatchObject({ status: 'COMPLETED', outcome: 'processed', producer: '3-9', seq: 41 });
    expect(claim?.payloadHash).toMatch(/^[0-9a-f]{64}$/);
    expect(telemetry.get('Processed')).toBe(1);
  });

  it('acknowledges a redelivery of a completed message as a duplicate without a second effect', async () => {
    const { handler, claims, telemetry } = fakeConsumer();
    const envelope = testEnvelope();
    await handler(sqsEvent([delivery(envelope)]), context);
    const result = await handler(sqsEvent([delivery(envelope, 2)]), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(claims.committed).toHaveLength(1);
    expect(telemetry.get('Duplicates')).toBe(1);
  });

  it('falls back to a consistent read when the store omits the old item', async () => {
    const { handler, claims, telemetry } = fakeConsumer();
    claims.returnOldItem = false;
    const envelope = testEnvelope();
    await handler(sqsEvent([delivery(envelope)]), context);
    const result = await handler(sqsEvent([delivery(envelope, 2)]), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(claims.reads).toBe(1);
    expect(telemetry.get('Duplicates')).toBe(1);
  });

  it('records a business rejection as a REJECTED claim and never retries it', async () => {
    const { handler, claims, telemetry } = fakeConsumer();
    claims.businessReasons = () => ['None', 'ConditionalCheckFailed'];
    const envelope = testEnvelope({ producer: '5-1', seq: 7 });
    const result = await handler(sqsEvent([delivery(envelope)]), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(claims.items.get(envelope.id as string)).toMatchObject({
      status: 'REJECTED',
      outcome: POINTS_REJECTIONS.insufficientBalance,
      producer: '5-1',
      seq: 7,
    });
    expect(telemetry.get('Rejected')).toBe(1);

    claims.businessReasons = (writes) => writes.map(() => 'None');
    const again = await handler(sqsEvent([delivery(envelope, 2)]), context);
    expect(again.batchItemFailures).toEqual([]);
    expect(claims.committed).toHaveLength(0);
    expect(telemetry.get('Duplicates')).toBe(1);
  });

  it.each(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded'])(
    'retries with a backoff when the transaction is cancelled by %s',
    async (code) => {
      const { handler, claims, messages, telemetry } = fakeConsumer();
      claims.businessReasons = () => ['None', code];
      const record = delivery(testEnvelope(), 3);
      const result = await handler(sqsEvent([record]), context);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(claims.items.size).toBe(0);
      // random() = 0.5, base 2 s, third delivery: floor(0.5 * (min(900, 8) + 1)) = 4
      expect(messages.visibility).toEqual([{ messageId: record.messageId, seconds: 4 }]);
      expect(telemetry.get('Retried')).toBe(1);
    },
  );

  it('retries when the store call itself fails', async () => {
    const { handler, claims } = fakeConsumer();
    claims.failNext('commit', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const record = delivery(testEnvelope());
    const result = await handler(sqsEvent([record]), context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });

  it('treats the same id with another payload as poison and sends it to the DLQ', async () => {
    const { handler, messages, telemetry } = fakeConsumer();
    const first = testEnvelope();
    await handler(sqsEvent([delivery(first)]), context);
    const reused = { ...first, payload: { accountId: 'account-1', amount: 999, orderId: 'other' } };
    const result = await handler(sqsEvent([delivery(reused)]), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(messages.deadLetters.map((message) => message.reason)).toEqual(['id-reused-with-other-payload']);
    expect(telemetry.get('Poisoned')).toBe(1);
  });

  it('retries a message whose claim another delivery holds in claim mode with a live lease', async () => {
    const { handler, claims, clock, messages, telemetry } = fakeConsumer();
    const envelope = testEnvelope();
    claims.items.set(envelope.id as string, {
      id: envelope.id as string,
      status: 'IN_PROGRESS',
      owner: 'someone',
      leaseUntil: clock.time + 20_000,
      payloadHash: (await import('../../packages/runtime/src/core/consumer/index.js')).payloadHash(
        envelope.payload,
      ),
      type: 'points.deduct',
      producer: '7-1',
      seq: 1,
      claimedAt: clock.time,
      expiresAt: 0,
    });
    const record = delivery(envelope);
    const result = await handler(sqsEvent([record]), context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(telemetry.get('ClaimConflicts')).toBe(1);
    expect(messages.visibility[0]?.seconds).toBe(20);
  });
});

describe('claim mode', () => {
  it('claims, runs the handler, applies its writes and completes fenced on the owner', async () => {
    const { handler, claims, telemetry } = fakeConsumer({ mode: 'claim' });
    const envelope = testEnvelope({ producer: '2-2', seq: 5 });
    const result = await handler(sqsEvent([delivery(envelope)]), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(claims.committed).toHaveLength(1);
    expect(claims.items.get(envelope.id as string)).toMatchObject({
      status: 'COMPLETED',
      owner: 'owner-1',
      producer: '2-2',
      seq: 5,
    });
    expect(telemetry.get('Processed')).toBe(1);
  });

  it('sets the lease from the remaining invocation time plus the margin', async () => {
    const { handler, claims, clock } = fakeConsumer({ mode: 'claim', leaseMarginMs: 1_000 });
    claims.failNext('finish');
    const envelope = testEnvelope();
    await handler(sqsEvent([delivery(envelope)]), context);
    expect(claims.items.get(envelope.id as string)?.leaseUntil).toBe(clock.time + 31_000);
  });

  it('re-processes a message after a crash between claim and completion once the lease expired', async () => {
    const { handler, claims, clock, telemetry } = fakeConsumer({ mode: 'claim' });
    const envelope = testEnvelope();
    // The "crash": the claim is written, the completion never happens.
    claims.failNext('finish');
    const crashed = await handler(sqsEvent([delivery(envelope)]), context);
    expect(crashed.batchItemFailures).toHaveLength(1);
    expect(claims.items.get(envelope.id as string)?.status).toBe('IN_PROGRESS');

    const early = await handler(sqsEvent([delivery(envelope, 2)]), context);
    expect(early.batchItemFailures).toHaveLength(1);
    expect(telemetry.get('ClaimConflicts')).toBe(1);

    clock.advance(40_000);
    const late = await handler(sqsEvent([delivery(envelope, 3)]), context);
    expect(late.batchItemFailures).toEqual([]);
    expect(claims.items.get(envelope.id as string)?.status).toBe('COMPLETED');
    expect(telemetry.get('Processed')).toBe(1);
  });

  it('does not let a stale owner complete over the owner that took the claim over', async () => {
    const { handler, claims, clock, telemetry } = fakeConsumer({ mode: 'claim' });
    const envelope = testEnvelope();
    let takeOver: (() => Promise<void>) | undefined;
    // The first delivery's handler stalls past its lease; a second delivery takes over meanwhile.
    const stale = claims.finish.bind(claims);
    claims.finish = async (id, owner, status, outcome, now) => {
      if (owner === 'owner-1' && takeOver) {
        const run = takeOver;
        takeOver = undefined;
        await run();
      }
      return stale(id, owner, status, outcome, now);
    };
    takeOver = async () => {
      clock.advance(60_000);
      const second = await handler(sqsEvent([delivery(envelope, 2)]), context);
      expect(second.batchItemFailures).toEqual([]);
    };
    const first = await handler(sqsEvent([delivery(envelope)]), context);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(claims.items.get(envelope.id as string)).toMatchObject({ status: 'COMPLETED', owner: 'owner-2' });
    expect(telemetry.get('ClaimConflicts')).toBe(1);
  });

  it('releases the claim on a retryable handler failure so the next delivery claims at once', async () => {
    let fail = true;
    const { handler, claims } = fakeConsumer({
      mode: 'claim',
      handlers: [
        {
          type: 'points.deduct',
          schema: (await import('../../examples/points/src/domain/points-deduct.js')).pointsDeductSchema,
          handle() {
            if (fail) throw new Error('downstream unavailable');
            return undefined;
          },
        },
      ],
    });
    const envelope = testEnvelope();
    const first = await handler(sqsEvent([delivery(envelope)]), context);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(claims.items.has(envelope.id as string)).toBe(false);
    fail = false;
    const second = await handler(sqsEvent([delivery(envelope, 2)]), context);
    expect(second.batchItemFailures).toEqual([]);
    expect(claims.items.get(envelope.id as string)?.status).toBe('COMPLETED');
  });

  it('completes as REJECTED when a write condition fails, and acknowledges', async () => {
    const { handler, claims, telemetry } = fakeConsumer({ mode: 'claim' });
    claims.businessReasons = () => ['None', 'ConditionalCheckFailed'];
    const envelope = testEnvelope();
    const result = await handler(sqsEvent([delivery(envelope)]), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(claims.items.get(envelope.id as string)).toMatchObject({
      status: 'REJECTED',
      outcome: POINTS_REJECTIONS.insufficientBalance,
    });
    expect(telemetry.get('Rejected')).toBe(1);
  });

  it('acknowledges a duplicate of a completed message without running the handler', async () => {
    let runs = 0;
    const { handler } = fakeConsumer({
      mode: 'claim',
      handlers: [
        {
          type: 'points.deduct',
          schema: (await import('../../examples/points/src/domain/points-deduct.js')).pointsDeductSchema,
          handle() {
            runs += 1;
            return undefined;
          },
        },
      ],
    });
    const envelope = testEnvelope();
    await handler(sqsEvent([delivery(envelope)]), context);
    const again = await handler(sqsEvent([delivery(envelope, 2)]), context);
    expect(again.batchItemFailures).toEqual([]);
    expect(runs).toBe(1);
  });
});

describe('classifyCancellation', () => {
  const writes: TransactionWrite[] = [
    { Put: { TableName: 'ledger', Item: {} }, rejectionReason: 'order-already-charged' },
    { Put: { TableName: 'accounts', Item: {} } },
  ];

  it('reports a failed claim condition as the claim being taken, before any business failure', () => {
    const verdict = classifyCancellation(
      [{ code: 'ConditionalCheckFailed' }, { code: 'ConditionalCheckFailed' }, { code: 'None' }],
      writes,
      true,
    );
    expect(verdict.kind).toBe('claim-taken');
  });

  it('names the rejection after the failing write, or condition-failed without a reason', () => {
    expect(
      classifyCancellation(
        [{ code: 'None' }, { code: 'ConditionalCheckFailed' }, { code: 'None' }],
        writes,
        true,
      ),
    ).toEqual({ kind: 'rejected', reason: 'order-already-charged' });
    expect(
      classifyCancellation(
        [{ code: 'None' }, { code: 'None' }, { code: 'ConditionalCheckFailed' }],
        writes,
        true,
      ),
    ).toEqual({ kind: 'rejected', reason: 'condition-failed' });
  });

  it('retries a conflict on the claim even if a business condition failed too', () => {
    expect(
      classifyCancellation(
        [{ code: 'TransactionConflict' }, { code: 'None' }, { code: 'ConditionalCheckFailed' }],
        writes,
        true,
      ),
    ).toEqual({ kind: 'retry', reason: 'TransactionConflict' });
  });
});
