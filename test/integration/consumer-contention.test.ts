import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  deliver,
  realConsumer,
  receive,
  sendBodies,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import type { RequestInterceptor } from '../../packages/local-cloud/src/server.js';
import { testEnvelope } from '../support/consumer-fakes.js';
import { useConsumerResources } from '../support/consumer-hooks.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

/** Cancels the next TransactWriteItems the way DynamoDB does under contention or throttling. */
const cancellations: string[][] = [];
const interceptor: RequestInterceptor = {
  before(request, service) {
    if (service !== 'dynamodb' || request.operation !== 'TransactWriteItems') return undefined;
    const codes = cancellations.shift();
    if (!codes) return undefined;
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
        CancellationReasons: codes.map((code) => ({ Code: code })),
      }),
    };
  },
};

const cloud = useTestCloud({ interceptor });
const resources = useConsumerResources(cloud);

describe('transaction cancellations through the real SDK', () => {
  // The points handler's transaction: the ledger entry carrying the claim, then the balance step.
  it.each([
    ['a conflict on the claim (the ledger entry)', ['TransactionConflict', 'None']],
    ['throttling of a business write', ['None', 'ThrottlingError']],
    ['a conflict on a business write', ['None', 'TransactionConflict']],
  ])('retries after %s and applies the effect once on the next delivery', async (_, codes) => {
    const { handler } = realConsumer(cloud.clients, resources);
    const account = `contended-${codes.join('-')}`;
    await setBalance(cloud.clients.documents, resources, account, 100);
    await sendBodies(cloud.clients.sqs, resources, [
      testEnvelope({ payload: { accountId: account, amount: 10, orderId: `${account}-o` } }),
    ]);
    cancellations.push(codes);
    const first = await deliver(
      handler,
      cloud.clients.sqs,
      resources,
      await receive(cloud.clients.sqs, resources.queueUrl, 1),
    );
    expect(first.batchItemFailures).toHaveLength(1);
    expect(await balanceOf(cloud.clients.documents, resources, account)).toBe(100);

    const retry = await receive(cloud.clients.sqs, resources.queueUrl, 1);
    expect(retry[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect((await deliver(handler, cloud.clients.sqs, resources, retry)).batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, account)).toBe(90);
  });
});
