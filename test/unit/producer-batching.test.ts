import { describe, expect, it } from 'vitest';
import {
  BatchingSender,
  SendExhaustedError,
} from '../../packages/runtime/src/core/producer/batching-sender.js';
import type { QueueMessage } from '../../packages/runtime/src/core/producer/ports.js';
import { FakePublisher, ManualProducerClock } from './producer-fakes.js';

const message = (n: number, sizeBytes = 100): QueueMessage => ({ body: `m${n}`, attributes: {}, sizeBytes });

function senderWith(fake: FakePublisher, options: { maxAttempts?: number; lingerMs?: number } = {}) {
  return new BatchingSender({
    sender: fake,
    clock: new ManualProducerClock(),
    lingerMs: options.lingerMs ?? 1,
    maxAttempts: options.maxAttempts ?? 6,
    random: () => 0.5,
  });
}

describe('BatchingSender', () => {
  it('packs concurrent sends into batches of at most ten', async () => {
    const fake = new FakePublisher();
    const sender = senderWith(fake);
    await Promise.all(Array.from({ length: 25 }, (_, i) => sender.send(message(i))));
    expect(fake.batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(sender.stats).toMatchObject({ requests: 3, entriesSent: 25 });
  });

  it('sends a lone message after the linger without waiting for a full batch', async () => {
    const fake = new FakePublisher();
    await senderWith(fake, { lingerMs: 2 }).send(message(1));
    expect(fake.batches.length).toBe(1);
  });

  it('retries only the entries SQS did not accept until every one is acknowledged', async () => {
    const fake = new FakePublisher();
    // The first two requests fail every other entry, as a throttled partition would.
    fake.failures = (batch, call) =>
      call < 2
        ? batch.flatMap((_, index) =>
            index % 2 === 1 ? [{ index, code: 'RequestThrottled', senderFault: false }] : [],
          )
        : [];
    const sender = senderWith(fake);
    await Promise.all(Array.from({ length: 20 }, (_, i) => sender.send(message(i))));
    const bodies = fake.accepted.map((m) => m.body).sort();
    expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
    expect(sender.stats.entryFailures).toBe(10);
  });

  it('retries every entry when the whole request fails', async () => {
    const fake = new FakePublisher();
    fake.failures = (_batch, call) => (call === 0 ? new Error('ServiceUnavailable') : []);
    const sender = senderWith(fake);
    await Promise.all(Array.from({ length: 3 }, (_, i) => sender.send(message(i))));
    expect(fake.accepted.length).toBe(3);
    expect(sender.stats.requestFailures).toBe(1);
  });

  it('gives up with SendExhaustedError after the configured attempts', async () => {
    const fake = new FakePublisher();
    fake.failures = (batch) =>
      batch.map((_, index) => ({ index, code: 'InternalError', senderFault: false }));
    const sender = senderWith(fake, { maxAttempts: 4 });
    const error = await sender.send(message(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendExhaustedError);
    expect(error).toMatchObject({ attempts: 4 });
    expect(fake.batches.length).toBe(4);
  });

  it('keeps each batch under the byte limit', async () => {
    const fake = new FakePublisher();
    const sender = senderWith(fake);
    await Promise.all(Array.from({ length: 4 }, (_, i) => sender.send(message(i, 100 * 1024))));
    expect(fake.batches.map((batch) => batch.length)).toEqual([2, 2]);
  });

  it('flush waits for messages still lingering', async () => {
    const fake = new FakePublisher();
    const sender = senderWith(fake, { lingerMs: 10_000 });
    const sent = sender.send(message(1));
    await sender.flush();
    await sent;
    expect(fake.accepted.length).toBe(1);
  });
});
