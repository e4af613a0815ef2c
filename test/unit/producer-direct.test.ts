import { describe, expect, it } from 'vitest';
import { ENVELOPE_ATTRIBUTES } from '../../packages/runtime/src/core/envelope.js';
import { BatchingSender } from '../../packages/runtime/src/core/producer/batching-sender.js';
import {
  DirectProducer,
  PublishFailedError,
} from '../../packages/runtime/src/core/producer/direct-producer.js';
import { LeaseKeeper } from '../../packages/runtime/src/core/producer/lease-keeper.js';
import { MessageTooLargeError } from '../../packages/runtime/src/core/producer/queue-message.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import {
  FakePublisher,
  InMemoryLeaseStore,
  InMemoryOutboxStore,
  ManualProducerClock,
} from './producer-fakes.js';

function setup(options: { fifo?: boolean; sendLog?: boolean; outbox?: boolean } = {}) {
  const clock = new ManualProducerClock();
  const leases = new InMemoryLeaseStore();
  const keeper = new LeaseKeeper({ store: leases, clock, holder: 'test' });
  const queue = new FakePublisher();
  const outbox = new InMemoryOutboxStore();
  const telemetry = new RecordingTelemetry();
  const producer = new DirectProducer({
    keeper,
    sender: new BatchingSender({ sender: queue, clock, lingerMs: 1, maxAttempts: 3 }),
    fifo: options.fifo ?? true,
    ...(options.outbox === false ? {} : { outbox }),
    sendLog: options.sendLog ?? false,
    clock,
    telemetry,
  });
  return { clock, leases, keeper, queue, outbox, producer, telemetry };
}

describe('DirectProducer', () => {
  it('stamps the envelope and maps key and id to FIFO group and deduplication ids', async () => {
    const { producer, queue, keeper } = setup();
    const receipt = await producer.publish({
      type: 'points.deduct',
      payload: { amount: 5 },
      key: 'account-1',
    });
    expect(receipt.via).toBe('queue');
    expect(receipt.envelope).toMatchObject({ type: 'points.deduct', key: 'account-1', seq: 1 });
    expect(receipt.envelope.producer).toBe(keeper.current!.stream);
    const [sent] = queue.accepted;
    expect(sent).toMatchObject({ groupId: 'account-1', deduplicationId: receipt.envelope.id });
    expect(JSON.parse(sent!.body)).toEqual(receipt.envelope);
    expect(sent!.attributes[ENVELOPE_ATTRIBUTES.id]).toEqual({ type: 'String', value: receipt.envelope.id });
    expect(sent!.attributes[ENVELOPE_ATTRIBUTES.seq]).toEqual({ type: 'Number', value: '1' });
    expect(sent!.attributes[ENVELOPE_ATTRIBUTES.producer]!.value).toBe(receipt.envelope.producer);
    expect(sent!.attributes[ENVELOPE_ATTRIBUTES.type]!.value).toBe('points.deduct');
  });

  it('sets no group or deduplication id on a standard queue', async () => {
    const { producer, queue } = setup({ fifo: false });
    await producer.publish({ type: 't', payload: {}, key: 'k' });
    expect(queue.accepted[0]!.groupId).toBeUndefined();
    expect(queue.accepted[0]!.deduplicationId).toBeUndefined();
  });

  it('rejects an oversized event before stamping, naming the 256 KiB limit, without using a sequence number', async () => {
    const { producer } = setup();
    const error = await producer
      .publish({ type: 'big', payload: { blob: 'x'.repeat(256 * 1024) }, key: 'k' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(String(error.message)).toMatch(/256 KiB/);
    expect((await producer.publish({ type: 'small', payload: {}, key: 'k' })).envelope.seq).toBe(1);
  });

  it('hands a message SQS will not take to the outbox for the relay', async () => {
    const { producer, queue, outbox } = setup();
    queue.failures = (batch) =>
      batch.map((_, index) => ({ index, code: 'InternalError', senderFault: false }));
    const receipt = await producer.publish({ type: 't', payload: { a: 1 }, key: 'k' });
    expect(receipt.via).toBe('outbox');
    expect(outbox.items.get(receipt.envelope.id)).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(JSON.parse(outbox.items.get(receipt.envelope.id)!.envelope)).toEqual(receipt.envelope);
  });

  it('voids the sequence number on record when neither SQS nor the outbox takes the message', async () => {
    const { producer, queue, outbox, leases, keeper } = setup();
    queue.failures = (batch) =>
      batch.map((_, index) => ({ index, code: 'InternalError', senderFault: false }));
    outbox.failPuts = true;
    const error = await producer.publish({ type: 't', payload: {}, key: 'k' }).catch((e) => e);
    expect(error).toBeInstanceOf(PublishFailedError);
    expect(leases.rows.get(keeper.current!.workerId)!.voided.get(keeper.current!.stream)).toEqual([1]);
  });

  it('writes nothing to the outbox per message by default, and a SENT item with sendLog', async () => {
    const plain = setup();
    await plain.producer.publish({ type: 't', payload: {}, key: 'k' });
    expect(plain.outbox.items.size).toBe(0);

    const logged = setup({ sendLog: true });
    const receipt = await logged.producer.publish({ type: 't', payload: {}, key: 'k' });
    expect(logged.outbox.items.get(receipt.envelope.id)).toMatchObject({ status: 'SENT' });
  });

  it('does not fail an acknowledged publish when only the send-log write fails', async () => {
    const { producer, outbox, telemetry } = setup({ sendLog: true });
    outbox.failPuts = true;
    expect((await producer.publish({ type: 't', payload: {}, key: 'k' })).via).toBe('queue');
    expect(telemetry.get('SendLogWriteFailed')).toBe(1);
    expect(telemetry.logs).toMatchObject([
      { level: 'error', message: 'send-log write failed', fields: { error: 'Error: outbox unreachable' } },
    ]);
  });
});
