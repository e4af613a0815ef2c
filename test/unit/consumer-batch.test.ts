import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { pointsDeductSchema } from '../../examples/points/src/domain/points-deduct.js';
import { runBatch } from '../../packages/runtime/src/core/consumer/batch-runner.js';
import type { RecordOutcome } from '../../packages/runtime/src/core/consumer/index.js';
import { fakeConsumer, sqsEvent, sqsRecord, testEnvelope } from '../support/consumer-fakes.js';

const fifo = (groupId: string, body = '{}') => sqsRecord({ body, groupId, queueName: 'points.fifo' });

describe('standard queue batches', () => {
  it('never has more records in flight than the concurrency bound', async () => {
    let inFlight = 0;
    let peak = 0;
    const records = Array.from({ length: 25 }, () => sqsRecord({ body: '{}' }));
    const outcomes = await runBatch(records, 4, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      return { kind: 'processed' };
    });
    expect(outcomes).toHaveLength(25);
    expect(peak).toBe(4);
  });

  it('reports only the failed records as batch item failures', async () => {
    const { handler, claims } = fakeConsumer();
    const good = sqsRecord({ body: JSON.stringify(testEnvelope()) });
    const bad = sqsRecord({ body: JSON.stringify(testEnvelope()) });
    claims.businessReasons = (writes) => writes.map(() => 'None');
    const commit = claims.commit.bind(claims);
    claims.commit = async (claim, writes, now) => {
      if (claim && claim.id === JSON.parse(bad.body).id)
        throw new Error('ProvisionedThroughputExceededException');
      return commit(claim, writes, now);
    };
    const result = await handler(sqsEvent([good, bad]));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
  });
});

describe('copies of one message in one batch', () => {
  it.each(['claim', 'transactional'] as const)(
    'run one after the other in %s mode, so the copy is a duplicate and not a retry',
    async (mode) => {
      const { handler, telemetry } = fakeConsumer({ mode });
      const body = JSON.stringify(testEnvelope());
      const result = await handler(sqsEvent([sqsRecord({ body }), sqsRecord({ body }), sqsRecord({ body })]));
      expect(result.batchItemFailures).toEqual([]);
      expect(telemetry.get('Processed')).toBe(1);
      expect(telemetry.get('Duplicates')).toBe(2);
    },
  );
});

describe('FIFO batches', () => {
  it('processes each message group in order and fails the rest of a group after its first failure', async () => {
    const seen: string[] = [];
    const records = [fifo('a'), fifo('b'), fifo('a'), fifo('b'), fifo('a')];
    const failing = records[2] as SQSRecord;
    const outcomes = await runBatch(records, 10, async (record): Promise<RecordOutcome> => {
      seen.push(record.messageId);
      return record === failing ? { kind: 'retry', reason: 'test', delaySeconds: 7 } : { kind: 'processed' };
    });
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      'processed',
      'processed',
      'retry',
      'processed',
      'retry',
    ]);
    expect(outcomes[4]).toEqual({
      kind: 'retry',
      reason: 'earlier-message-in-group-failed',
      delaySeconds: 7,
    });
    // The message after the failure in group a was never processed; group b went on.
    expect(seen).not.toContain(records[4]?.messageId);
    expect(seen).toContain(records[3]?.messageId);
  });

  it('keeps the order within a group while groups run concurrently', async () => {
    const order: string[] = [];
    const records = [fifo('a'), fifo('a'), fifo('a'), fifo('b')];
    // Group a waits until group b has finished: only concurrent groups let b overtake a (no timers).
    let groupBDone!: () => void;
    const groupBFinished = new Promise<void>((resolve) => {
      groupBDone = resolve;
    });
    await runBatch(records, 2, async (record) => {
      if (record.attributes.MessageGroupId === 'a') await groupBFinished;
      order.push(record.messageId);
      if (record.attributes.MessageGroupId === 'b') groupBDone();
      return { kind: 'processed' };
    });
    const groupA = order.filter((id) => records.slice(0, 3).some((record) => record.messageId === id));
    expect(groupA).toEqual(records.slice(0, 3).map((record) => record.messageId));
    expect(order[0]).toBe(records[3]?.messageId);
  });

  it('reports the failed message and the rest of its group, and delays them alike', async () => {
    let fail = true;
    const { handler, messages } = fakeConsumer({
      handlers: [
        {
          type: 'points.deduct',
          schema: pointsDeductSchema,
          handle() {
            if (fail) {
              fail = false;
              throw new Error('transient');
            }
            return undefined;
          },
        },
      ],
    });
    const body = () => JSON.stringify(testEnvelope());
    const records = [fifo('a', body()), fifo('a', body()), fifo('b', body())];
    const result = await handler(sqsEvent(records));
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      [records[0]?.messageId, records[1]?.messageId].sort(),
    );
    expect(new Set(messages.visibility.map((change) => change.seconds)).size).toBe(1);
  });

  it('continues a group after a poison message the DLQ accepted', async () => {
    const { handler, messages } = fakeConsumer();
    const records = [fifo('a', 'not json'), fifo('a', JSON.stringify(testEnvelope()))];
    const result = await handler(sqsEvent(records));
    expect(result.batchItemFailures).toEqual([]);
    expect(messages.deadLetters).toHaveLength(1);
    expect(messages.deadLetters[0]?.record.messageGroupId).toBe('a');
  });
});
