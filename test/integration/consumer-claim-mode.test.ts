import type { Message } from '@aws-sdk/client-sqs';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  balanceOf,
  deliver,
  deliverEachConcurrently,
  eventOf,
  realConsumer,
  receive,
  sendBodies,
  sendCopiesAndReceive,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { DynamoDbClaimStore } from '../../packages/runtime/src/adapters/dynamodb-claim-store.js';
import type { ClaimRecord, SqsConsumerHandler } from '../../packages/runtime/src/core/consumer/index.js';
import { defineHandler } from '../../packages/runtime/src/core/consumer/index.js';
import { ManualClock, testEnvelope } from '../support/consumer-fakes.js';
import { useConsumerResources } from '../support/consumer-hooks.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';
import { waitFor } from '../support/wait.js';

const cloud = useTestCloud();
const resources = useConsumerResources(cloud);

const next = (max = 10) => receive(cloud.clients.sqs, resources.queueUrl, max);
const run = (handler: SqsConsumerHandler, messages: readonly Message[]) =>
  deliver(handler, cloud.clients.sqs, resources, messages);
const context = { getRemainingTimeInMillis: () => 10_000 };

/** Ends the message's current visibility (the consumer may already have), then receives it again. */
async function makeVisible(message: Message): Promise<Message> {
  await cloud.clients.sqs
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: resources.queueUrl,
        ReceiptHandle: message.ReceiptHandle!,
        VisibilityTimeout: 0,
      }),
    )
    .catch(() => undefined);
  const [again] = await next(1);
  expect(again?.MessageId).toBe(message.MessageId);
  return again!;
}

/** An outside effect (an e-mail, an HTTP call): the case claim mode exists for. */
function emailHandler(sent: string[], gate?: () => Promise<void>) {
  return defineHandler({
    type: 'email.send',
    schema: z.object({ to: z.string() }),
    async handle(payload, context) {
      await gate?.();
      sent.push(`${payload.to}:${context.message.id}`);
      return undefined;
    },
  });
}

describe('DynamoDbClaimStore against the local cloud', () => {
  const claim = (id: string, owner: string, leaseUntil: number): ClaimRecord => ({
    id,
    status: 'IN_PROGRESS',
    owner,
    leaseUntil,
    payloadHash: 'h',
    type: 't',
    producer: 'p',
    seq: 1,
    claimedAt: 0,
    expiresAt: 1,
  });

  it('returns the old item when the claim condition fails', async () => {
    const store = new DynamoDbClaimStore(cloud.clients.documents, resources.claimsTable);
    expect(await store.tryClaim(claim('s-1', 'a', 2_000), 1_000)).toEqual({ kind: 'claimed' });
    const taken = await store.tryClaim(claim('s-1', 'b', 3_000), 1_500);
    expect(taken).toMatchObject({
      kind: 'taken',
      existing: { owner: 'a', leaseUntil: 2_000, status: 'IN_PROGRESS' },
    });
    expect(await store.tryClaim(claim('s-1', 'b', 9_000), 2_001)).toEqual({ kind: 'claimed' });
  });

  it('fences completion and release on the owner token', async () => {
    const store = new DynamoDbClaimStore(cloud.clients.documents, resources.claimsTable);
    await store.tryClaim(claim('s-2', 'a', 2_000), 1_000);
    expect(await store.finish('s-2', 'b', 'COMPLETED', 'processed', 1_100)).toBe(false);
    expect(await store.release('s-2', 'b')).toBe(false);
    expect(await store.finish('s-2', 'a', 'COMPLETED', 'processed', 1_100)).toBe(true);
    expect(await store.release('s-2', 'a')).toBe(false);
    expect(await store.read('s-2')).toMatchObject({ status: 'COMPLETED', completedAt: 1_100 });
  });

  it('reports cancellation reasons per action with the old claim item', async () => {
    const store = new DynamoDbClaimStore(cloud.clients.documents, resources.claimsTable);
    await store.tryClaim(claim('s-3', 'a', 2_000), 1_000);
    const result = await store.commit(
      claim('s-3', 'b', 0),
      [
        {
          Put: {
            TableName: resources.ledgerTable,
            Item: { pk: 'ledger-s-3' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      1_500,
    );
    expect(result).toMatchObject({
      kind: 'cancelled',
      reasons: [{ code: 'ConditionalCheckFailed', item: { owner: 'a' } }, { code: 'None' }],
    });
  });
});

describe('claim mode against the local cloud', () => {
  it('deducts points once in claim mode too', async () => {
    const { handler } = realConsumer(cloud.clients, resources, { mode: 'claim' });
    await setBalance(cloud.clients.documents, resources, 'claim-acc', 50);
    const envelope = testEnvelope({
      key: 'claim-acc',
      payload: { accountId: 'claim-acc', amount: 20, orderId: 'claim-o-1' },
    });
    await sendBodies(cloud.clients.sqs, resources, [envelope, envelope]);
    for (const message of await next()) expect((await run(handler, [message])).batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, 'claim-acc')).toBe(30);
  });

  it('runs the handler once for 20 concurrent deliveries of one message', async () => {
    const sent: string[] = [];
    const { handler } = realConsumer(cloud.clients, resources, {
      mode: 'claim',
      handlers: [emailHandler(sent)],
    });
    const envelope = testEnvelope({ type: 'email.send', payload: { to: 'all@example.com' } });
    let pending = await sendCopiesAndReceive(cloud.clients.sqs, resources, envelope, 20);
    for (let round = 0; pending.length > 0 && round < 10; round += 1) {
      const losers = await deliverEachConcurrently(handler, cloud.clients.sqs, resources, pending);
      // Losers of the race wait for the winner's lease; bring them back at once instead.
      for (const message of losers)
        await cloud.clients.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: resources.queueUrl,
            ReceiptHandle: message.ReceiptHandle!,
            VisibilityTimeout: 0,
          }),
        );
      pending = [];
      while (pending.length < losers.length) pending.push(...(await next()));
    }
    expect(pending).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it('re-processes a message after a crash between claim and completion, once the lease expired', async () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const handlers = [emailHandler(sent)];
    const { handler, claims } = realConsumer(cloud.clients, resources, {
      mode: 'claim',
      now: clock.now,
      handlers,
    });
    // The crashing instance: its completion never reaches DynamoDB.
    const crashing = realConsumer(cloud.clients, resources, { mode: 'claim', now: clock.now, handlers });
    crashing.claims.finish = async () => {
      throw new Error('instance crashed');
    };
    const envelope = testEnvelope({ type: 'email.send', payload: { to: 'ann@example.com' } });
    await sendBodies(cloud.clients.sqs, resources, [envelope]);
    const [message] = await next(1);
    await crashing.handler(eventOf([message!], resources), context);
    expect((await claims.read(envelope.id as string))?.status).toBe('IN_PROGRESS');

    const redelivered = await makeVisible(message!);
    const early = await run(handler, [redelivered]);
    expect(early.batchItemFailures).toHaveLength(1);
    expect(sent).toHaveLength(1);

    clock.advance(10_000 + 2_000 + 1);
    const late = await run(handler, [await makeVisible(redelivered)]);
    expect(late.batchItemFailures).toEqual([]);
    // At-least-once for outside effects: the crashed attempt's e-mail went out, and so did the retry's.
    expect(sent).toHaveLength(2);
    expect((await claims.read(envelope.id as string))?.status).toBe('COMPLETED');
  });

  it('does not let a stale owner complete over the delivery that took the claim over', async () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    let releaseStale!: () => void;
    const staleGate = new Promise<void>((resolve) => {
      releaseStale = resolve;
    });
    let first = true;
    const gate = () => {
      if (!first) return Promise.resolve();
      first = false;
      return staleGate;
    };
    const { handler, claims } = realConsumer(cloud.clients, resources, {
      mode: 'claim',
      now: clock.now,
      handlers: [emailHandler(sent, gate)],
      newOwnerToken: (() => {
        let n = 0;
        return () => `owner-${++n}`;
      })(),
    });
    const envelope = testEnvelope({ type: 'email.send', payload: { to: 'bob@example.com' } });
    await sendBodies(cloud.clients.sqs, resources, [envelope]);
    const [message] = await next(1);
    const stale = handler(eventOf([message!], resources), context);
    // Wait until the stale delivery holds the claim, then let its lease run out.
    await waitFor(
      'the stale delivery (owner-1) to hold the claim',
      60_000,
      async () => (await claims.read(envelope.id as string))?.owner === 'owner-1',
      5,
    );
    clock.advance(60_000);
    const takeover = await run(handler, [await makeVisible(message!)]);
    expect(takeover.batchItemFailures).toEqual([]);
    releaseStale();
    expect((await stale).batchItemFailures).toEqual([{ itemIdentifier: message!.MessageId }]);
    expect(await claims.read(envelope.id as string)).toMatchObject({ status: 'COMPLETED', owner: 'owner-2' });
  });
});
