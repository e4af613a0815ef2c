import { describe, expect, it } from 'vitest';
import { benchConsumer } from '../../examples/points/src/bench/consumer.js';

describe('consumer benchmark', () => {
  it('counts at most one DynamoDB request per new and per duplicate message in transactional mode (batch commits), four new and one duplicate for the baseline', async () => {
    const result = await benchConsumer({ messages: 100, duplicateRatio: 0.2, accounts: 5, pollers: 2 });
    const byVariant = Object.fromEntries(result.figures.map((figure) => [figure.variant, figure]));
    expect(byVariant['oncely-transactional']).toMatchObject({
      newMessages: 80,
      duplicates: 20,
      effectsExactlyOnce: true,
    });
    // Per FIFO group run: one consistent read of the balance, one transaction, plus one
    // consumption-log write per batch; a run of duplicates is turned away by its transaction.
    expect(byVariant['oncely-transactional']?.dynamodbRequestsPerNewMessage).toBeLessThan(1);
    expect(byVariant['oncely-transactional']?.dynamodbRequestsPerDuplicate).toBeLessThanOrEqual(1);
    expect(byVariant['oncely-claim']).toMatchObject({
      dynamodbRequestsPerNewMessage: 3,
      dynamodbRequestsPerDuplicate: 1,
      effectsExactlyOnce: true,
    });
    // The end-to-end benchmark's baseline module: Powertools' conditional PutItem turns a resent
    // order away by its envelope id in one request.
    expect(byVariant['powertools-baseline']).toMatchObject({
      dynamodbRequestsPerNewMessage: 4,
      dynamodbRequestsPerDuplicate: 1,
      effectsExactlyOnce: true,
    });
    expect(result.goals.transactionalAtMostOneRequestPerNewMessage).toBe(true);
  });
});
