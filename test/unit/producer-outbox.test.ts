import { describe, expect, it } from 'vitest';
import { placeOrder } from '../../examples/points/src/domain/place-order.js';
import { BatchingSender } from '../../packages/runtime/src/core/producer/batching-sender.js';
import {
  compensateUnacknowledged,
  republishFromOutbox,
} from '../../packages/runtime/src/core/producer/compensation.js';
import { LeaseKeeper } from '../../packages/runtime/src/core/producer/lease-keeper.js';
import { OutboxProducer } from '../../packages/runtime/src/core/producer/outbox-producer.js';
import { relayPendingOutbox } from '../../packages/runtime/src/core/producer/outbox-relay.js';
import { BusinessConditionFailedError } from '../../packages/runtime/src/core/producer/ports.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import {
  FakeClaims,
  FakePublisher,
  InMemoryLeaseStore,
  InMemoryOutboxStore,
  ManualProducerClock,
} from './producer-fakes.js';

function setup() {
  const clock = new ManualProducerClock();
  const leases = new InMemoryLeaseStore();
  const keeper = new LeaseKeeper({ store: leases, clock, holder: 'test' });
  const queue = new FakePublisher();
  const store = new InMemoryOutboxStore();
  const sender = new BatchingSender({ sender: queue, clock, lingerMs: 1, maxAttempts: 2 });
  const telemetry = new RecordingTelemetry();
  const producer = new OutboxProducer({
    keeper,
    store,
    sender,
    fifo: true,
    clock,
    compensationDeadlineMs: 60_000,
  });
  return { clock, leases, keeper, queue, store, sender, producer, telemetry };
}

const event = { type: 'points.deduct', payload: { accountId: 'a', amount: 1, orderId: 'o' }, key: 'a' };
const failAll = (batch: readonly unknown[]) =>
  batch.map((_, index) => ({ index, code: 'InternalError', senderFault: false }));

describe('OutboxProducer.transact', () => {
  it('commits the business writes with the outbox items, publishes eagerly and marks them SENT', async () => {
    const { producer, store, queue } = setup();
    const order = { Put: { TableName: 'orders', Item: { pk: 'order-1' } } };
    const { envelopes, published } = await producer.transact([order], [event, event]);
    expect(published).toBe(2);
    expect(store.committed).toEqual([order]);
    expect(envelopes.map((e) => store.items.get(e.id)?.status)).toEqual(['SENT', 'SENT']);
    expect(queue.accepted.map((m) => m.deduplicationId)).toEqual(envelopes.map((e) => e.id));
  });

  it('publishes nothing and voids the stamped numbers when a business condition fails', async () => {
    const { producer, store, queue, leases, keeper } = setup();
    store.businessItems.add('orders/order-1');
    const duplicateOrder = {
      Put: { TableName: 'orders', Item: { pk: 'order-1' }, ConditionExpression: 'attribute_not_exists(pk)' },
      rejectionReason: 'order-exists',
    };
    const error = await producer.transact([duplicateOrder], [event]).catch((e) => e);
    expect(error).toBeInstanceOf(BusinessConditionFailedError);
    expect(error.reason).toBe('order-exists');
    expect(store.items.size).toBe(0);
    expect(queue.batches.length).toBe(0);
    expect(leases.rows.get(keeper.current!.workerId)!.voided.get(keeper.current!.stream)).toEqual([1]);
  });

  it('leaves items PENDING when the eager publish fails, and the relay sweep sends them later', async () => {
    const { producer, store, queue, sender, clock } = setup();
    queue.failures = failAll;
    const { envelopes, published } = await producer.transact([], [event]);
    expect(published).toBe(0);
    expect(store.items.get(envelopes[0]!.id)!.status).toBe('PENDING');

    queue.failures = () => [];
    clock.current += 10_000;
    const report = await relayPendingOutbox({ store, sender, fifo: true, clock });
    expect(report).toMatchObject({ examined: 1, published: 1 });
    expect(store.items.get(envelopes[0]!.id)!.status).toBe('SENT');
  });
});

describe('relay sweep', () => {
  it('re-publishes the same envelope when it crashed between publish and mark-sent', async () => {
    const { producer, store, queue, sender, clock } = setup();
    queue.failures = failAll;
    const { envelopes } = await producer.transact([], [event]);
    queue.failures = () => [];
    clock.current += 10_000;
    store.failUpdates = true; // the "crash": SQS took it, the SENT mark never lands
    await expect(relayPendingOutbox({ store, sender, fifo: true, clock })).rejects.toThrow();
    store.failUpdates = false;
    await relayPendingOutbox({ store, sender, fifo: true, clock });
    const copies = queue.accepted.filter((m) => JSON.parse(m.body).id === envelopes[0]!.id);
    expect(copies.length).toBe(2);
    // Same MessageDeduplicationId: SQS FIFO drops the copy; the consumer's claim catches it elsewhere.
    expect(new Set(copies.map((m) => m.deduplicationId))).toEqual(new Set([envelopes[0]!.id]));
  });

  it('leaves young items to the eager publish', async () => {
    const { producer, store, queue, sender, clock } = setup();
    queue.failures = failAll;
    await producer.transact([], [event]);
    queue.failures = () => [];
    const report = await relayPendingOutbox({ store, sender, fifo: true, clock, minAgeMs: 5_000 });
    expect(report.examined).toBe(0);
  });

  it('marks an item EXHAUSTED after the allowed relay attempts', async () => {
    const { producer, store, queue, sender, clock, telemetry } = setup();
    queue.failures = failAll;
    const { envelopes } = await producer.transact([], [event]);
    for (let i = 0; i < 3; i++) {
      clock.current += 1_000_000;
      await relayPendingOutbox({ store, sender, fifo: true, clock, maxAttempts: 3, telemetry });
    }
    expect(store.items.get(envelopes[0]!.id)).toMatchObject({ status: 'EXHAUSTED', attempts: 3 });
    expect(telemetry.get('OutboxRelayExhausted')).toBe(1);
    expect(telemetry.get('OutboxRelayFailed')).toBe(3);
    expect(telemetry.logs.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'outbox relay send failed'],
      ['warn', 'outbox relay send failed'],
      ['error', 'outbox item exhausted'],
    ]);
  });
});

describe('compensation sweep', () => {
  it('re-publishes SENT items the consumer has not completed by the deadline, with a fresh deduplication id', async () => {
    const { producer, store, queue, sender, clock } = setup();
    const claims = new FakeClaims();
    const { envelopes } = await producer.transact([], [event, event]);
    const [done, lost] = envelopes;
    claims.status.set(done!.id, 'COMPLETED');

    const sweep = () =>
      compensateUnacknowledged({
        store,
        claims,
        sender,
        fifo: true,
        clock,
        deadlineMs: 60_000,
      });

    const early = await sweep();
    expect(early.examined).toBe(0);

    clock.current += 61_000;
    const report = await sweep();
    expect(report).toMatchObject({ examined: 2, acknowledged: 1, republished: 1, exhausted: 0 });
    expect(store.items.get(done!.id)).toMatchObject({ status: 'COMPLETED', outcome: 'COMPLETED' });
    const resent = queue.accepted.at(-1)!;
    expect(JSON.parse(resent.body)).toEqual(lost);
    expect(resent.deduplicationId).toBe(`${lost!.id}-c1`);
  });

  it('stops after the allowed attempts, marks the item EXHAUSTED and counts CompensationExhausted', async () => {
    const { producer, store, sender, clock, telemetry } = setup();
    const claims = new FakeClaims();
    const { envelopes } = await producer.transact([], [event]);
    const options = {
      store,
      claims,
      sender,
      fifo: true,
      clock,
      deadlineMs: 60_000,
      maxAttempts: 2,
      telemetry,
    };
    const reports = [];
    for (let i = 0; i < 3; i++) {
      clock.current += 61_000;
      reports.push(await compensateUnacknowledged(options));
    }
    expect(reports.map((r) => r.republished)).toEqual([1, 1, 0]);
    expect(reports[2]!.exhausted).toBe(1);
    expect(store.items.get(envelopes[0]!.id)!.status).toBe('EXHAUSTED');
    expect(telemetry.get('CompensationExhausted')).toBe(1);
    expect(telemetry.get('CompensationRepublished')).toBe(2);
    expect(telemetry.flushes).toBe(3);
  });

  it('logs and counts a re-send SQS refuses, and leaves the item for the next sweep', async () => {
    const { producer, store, queue, sender, clock, telemetry } = setup();
    const { envelopes } = await producer.transact([], [event]);
    queue.failures = failAll;
    clock.current += 61_000;
    const options = {
      store,
      claims: new FakeClaims(),
      sender,
      fifo: true,
      clock,
      deadlineMs: 60_000,
      telemetry,
    };
    const report = await compensateUnacknowledged(options);
    expect(report).toMatchObject({ republished: 0, failed: 1 });
    expect(telemetry.get('CompensationSendFailed')).toBe(1);
    expect(telemetry.logs).toMatchObject([
      {
        level: 'error',
        message: 'compensation re-send failed',
        fields: { id: envelopes[0]!.id, attempt: 1 },
      },
    ]);
    expect(store.items.get(envelopes[0]!.id)).toMatchObject({ status: 'SENT', attempts: 0 });
  });

  it('re-publishes ids the auditor reports missing and lists the ones it cannot find', async () => {
    const { producer, store, queue, sender, clock } = setup();
    const { envelopes } = await producer.transact([], [event]);
    const before = queue.accepted.length;
    const report = await republishFromOutbox([envelopes[0]!.id, '123'], {
      store,
      claims: new FakeClaims(),
      sender,
      fifo: true,
      clock,
    });
    expect(report).toMatchObject({ republished: 1, notFound: ['123'] });
    expect(queue.accepted.length).toBe(before + 1);
  });
});

describe('placeOrder (trade example)', () => {
  it('writes the order and a points.deduct event keyed by account, once per order', async () => {
    const { producer, store, queue, clock } = setup();
    const dependencies = { publisher: producer, ordersTable: 'orders', now: () => clock.now() };
    const input = { orderId: 'o-1', accountId: 'acc-9', amount: 30, note: 'gift' };
    const placed = await placeOrder(input, dependencies);
    expect(placed.status).toBe('PLACED');
    expect(store.committed[0]).toMatchObject({
      Put: {
        TableName: 'orders',
        Item: { pk: 'o-1', accountId: 'acc-9', amount: 30, note: 'gift' },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    const body = JSON.parse(queue.accepted[0]!.body);
    expect(body).toMatchObject({ type: 'points.deduct', key: 'acc-9' });
    expect(body.payload).toEqual({ accountId: 'acc-9', amount: 30, orderId: 'o-1' });
    expect(await placeOrder(input, dependencies)).toEqual({ status: 'ALREADY_PLACED', orderId: 'o-1' });
    expect(queue.accepted).toHaveLength(1);
  });

  it('rejects invalid input before anything is stamped', async () => {
    const { producer, clock } = setup();
    const dependencies = { publisher: producer, ordersTable: 'orders', now: () => clock.now() };
    await expect(placeOrder({ orderId: 'o', accountId: 'a', amount: -1 }, dependencies)).rejects.toThrow();
  });
});
