import { describe, expect, it } from 'vitest';
import {
  chunkBySpan,
  claimTargetProblem,
  itemKey,
  mergedCounterUpdate,
  simulateCounters,
  splitCounterSteps,
  writesWithClaim,
} from '../../packages/runtime/src/core/consumer/record-claims.js';
import { counterWrite, type TransactionWrite } from '../../packages/runtime/src/core/transaction-write.js';

const claim = {
  id: '42',
  status: 'COMPLETED' as const,
  outcome: 'processed',
  payloadHash: 'h',
  type: 'points.deduct',
  producer: 'p',
  seq: 7,
  completedAt: 1,
};
const ledger = { TableName: 'ledger', Key: { pk: 'o-1' } };
const step = (add: number, atLeast?: number) =>
  splitCounterSteps([
    counterWrite({
      TableName: 'accounts',
      Key: { pk: 'a' },
      attribute: 'balance',
      add,
      ...(atLeast === undefined ? {} : { atLeast }),
      rejectionReason: 'insufficient',
    }),
  ]).steps;

describe('claims on business items', () => {
  it('adds the claim and a key guard to the Put of the claim item, keeping its own condition', () => {
    const put: TransactionWrite = {
      Put: {
        TableName: 'ledger',
        Item: { pk: 'o-1', amount: 5 },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      rejectionReason: 'order-already-charged',
    };
    const [carried] = writesWithClaim([put], ledger, claim);
    expect(carried).toEqual({
      Put: {
        TableName: 'ledger',
        Item: { pk: 'o-1', amount: 5, oncely: claim },
        ConditionExpression: '(attribute_not_exists(pk)) AND attribute_not_exists(#oncelyClaimKey)',
        ExpressionAttributeNames: { '#oncelyClaimKey': 'pk' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
      rejectionReason: 'order-already-charged',
    });
  });

  it('adds a claim-only Put when the writes do not put the claim item', () => {
    const update: TransactionWrite = {
      Update: { TableName: 'stock', Key: { pk: 's' }, UpdateExpression: 'SET n = n - :one' },
    };
    const writes = writesWithClaim([update], ledger, claim);
    expect(writes).toHaveLength(2);
    expect(writes[0]?.Put).toMatchObject({ Item: { pk: 'o-1', oncely: claim } });
    expect(writes[1]).toBe(update);
  });

  it('refuses a claim item that is updated or deleted, or put twice, or keyed by nothing', () => {
    const update: TransactionWrite = {
      Update: { TableName: 'ledger', Key: { pk: 'o-1' }, UpdateExpression: 'SET x = :x' },
    };
    expect(claimTargetProblem([update], ledger)).toMatch(/only be written with a Put/);
    const put: TransactionWrite = { Put: { TableName: 'ledger', Item: { pk: 'o-1' } } };
    expect(claimTargetProblem([put, put], ledger)).toMatch(/two Puts/);
    expect(claimTargetProblem([], { TableName: 'ledger', Key: {} })).toMatch(/empty Key/);
    expect(claimTargetProblem([put], ledger)).toBeUndefined();
  });

  it('names an item the same whatever the order of its key attributes', () => {
    expect(itemKey('t', { a: 1, b: 'x' })).toBe(itemKey('t', { b: 'x', a: 1 }));
    expect(itemKey('t', { a: 1 })).not.toBe(itemKey('u', { a: 1 }));
  });
});

describe('counter steps of a batch', () => {
  const balance = (value: number | undefined) =>
    new Map([[itemKey('accounts', { pk: 'a' }), new Map([['balance', value]])]]);

  it('runs the steps in message order, rejecting the ones the running value cannot cover', () => {
    const result = simulateCounters([step(-30, 0), step(-80, 0), step(-60, 0), step(-20, 0)], balance(100));
    expect(result.rejections).toEqual([undefined, 'insufficient', undefined, 'insufficient']);
    expect(result.sums.get(itemKey('accounts', { pk: 'a' }))?.get('balance')).toBe(-90);
  });

  it('refuses a floored step on a counter that does not exist, and starts an unfloored one at zero', () => {
    expect(simulateCounters([step(-1, 0)], new Map()).rejections).toEqual(['insufficient']);
    const unfloored = simulateCounters([step(5), step(-3)], new Map());
    expect(unfloored.rejections).toEqual([undefined, undefined]);
    expect(unfloored.sums.get(itemKey('accounts', { pk: 'a' }))?.get('balance')).toBe(2);
  });

  it('writes the sum once, guarded by the value the simulation started from', () => {
    const update = mergedCounterUpdate(
      { TableName: 'accounts', Key: { pk: 'a' } },
      new Map([['balance', -90]]),
      new Map([['balance', 100]]),
    ).Update;
    expect(update).toEqual({
      TableName: 'accounts',
      Key: { pk: 'a' },
      UpdateExpression: 'SET #c0 = if_not_exists(#c0, :zero) + :s0',
      ConditionExpression: '#c0 = :o0',
      ExpressionAttributeNames: { '#c0': 'balance' },
      ExpressionAttributeValues: { ':zero': 0, ':s0': -90, ':o0': 100 },
    });
    const fresh = mergedCounterUpdate(
      { TableName: 'c', Key: { pk: 'n' } },
      new Map([['hits', 3]]),
      undefined,
    );
    expect(fresh.Update?.ConditionExpression).toBe('attribute_not_exists(#c0)');
  });

  it('builds a counter write that works on its own: floor as a condition, rejection reason kept', () => {
    expect(() => counterWrite({ TableName: 't', Key: { pk: 'k' }, attribute: 'n', add: Number.NaN })).toThrow(
      /add must be a finite number/,
    );
    const write = counterWrite({ TableName: 't', Key: { pk: 'k' }, attribute: 'n', add: 2 });
    expect(write.Update?.ConditionExpression).toBeUndefined();
    expect(write.counter).toEqual({ attribute: 'n', add: 2 });
  });
});

describe('consumption log chunks', () => {
  it('splits sorted, distinct seqs into runs narrower than the span', () => {
    expect(chunkBySpan([9, 1, 3, 1, 4100, 4096, 8200], 4096)).toEqual([[1, 3, 9, 4096], [4100], [8200]]);
    expect(chunkBySpan([], 10)).toEqual([]);
  });
});
