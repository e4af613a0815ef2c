import { describe, expect, it } from 'vitest';
import type { ServiceResponse } from '../../packages/local-cloud/src/protocol.js';
import type { RequestInterceptor } from '../../packages/local-cloud/src/server.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { createProducer } from '../../packages/runtime/src/adapters/aws-producer.js';
import { DynamoDbLeaseStore } from '../../packages/runtime/src/adapters/dynamodb-lease-store.js';
import { ENVELOPE_ATTRIBUTES, envelopeSchema } from '../../packages/runtime/src/core/envelope.js';
import { relayPendingOutbox } from '../../packages/runtime/src/core/producer/outbox-relay.js';
import { MessageTooLargeError } from '../../packages/runtime/src/core/producer/queue-message.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';
import { createProducerTables, createQueue, drainQueue } from './producer-resources.js';

/**
 * Makes SQS fail some entries of a batch honestly: the entries are taken out of the request before
 * the queue sees it (so they are not enqueued) and reported back as per-entry failures.
 */
class PartialBatchFailures implements RequestInterceptor {
  /** Requests still to be degraded. */
  remaining = 0;
  injected = 0;
  private readonly dropped = new Map<string, string[]>();

  /** Every SendMessage(Batch) fails with a 500 while true. */
  outage = false;

  before(request: { operation: string; input: unknown; requestId: string }, service: string) {
    if (service === 'sqs' && this.outage && request.operation.startsWith('SendMessage'))
      return {
        status: 500,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: 'injected outage' }),
      };
    if (service !== 'sqs' || request.operation !== 'SendMessageBatch' || this.remaining <= 0)
      return undefined;
    const input = request.input as { Entries?: { Id: string }[] };
    const entries = input.Entries ?? [];
    if (entries.length < 2) return undefined;
    this.remaining -= 1;
    const dropped = entries.filter((_, index) => index % 2 === 1).map((entry) => entry.Id);
    input.Entries = entries.filter((_, index) => index % 2 === 0);
    this.dropped.set(request.requestId, dropped);
    this.injected += dropped.length;
    return undefined;
  }

  after(request: { requestId: string }, _service: string, response: ServiceResponse): ServiceResponse {
    const dropped = this.dropped.get(request.requestId);
    if (!dropped) return response;
    this.dropped.delete(request.requestId);
    const body = JSON.parse(response.body.toString()) as { Failed?: unknown[] };
    body.Failed = [
      ...(body.Failed ?? []),
      ...dropped.map((Id) => ({
        Id,
        Code: 'InternalError',
        SenderFault: false,
        Message: 'injected by test',
      })),
    ];
    return { ...response, body: JSON.stringify(body) };
  }
}

const faults = new PartialBatchFailures();
const cloud = useTestCloud({ interceptor: faults });

const drain = (queueUrl: string) => drainQueue(cloud.clients.sqs, queueUrl, 300);

async function setup(name: string, fifo: boolean, options: { sendLog?: boolean; maxAttempts?: number } = {}) {
  const tables = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-${name}`);
  const queueUrl = await createQueue(cloud.clients.sqs, `${cloud.prefix}-${name}`, fifo);
  const telemetry = new RecordingTelemetry();
  const producer = createProducer({
    clients: cloud.clients,
    telemetry,
    queueUrl,
    leasesTable: tables.leasesTable,
    outboxTable: tables.outboxTable,
    batching: {
      lingerMs: 5,
      backoffBaseMs: 5,
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    },
    ...(options.sendLog ? { sendLog: true } : {}),
  });
  return { tables, queueUrl, producer, telemetry };
}

describe('direct mode against the local SQS', () => {
  it('stamps, batches and maps envelope fields onto FIFO ids and message attributes', async () => {
    const { queueUrl, producer } = await setup('fifo', true);
    const receipts = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        producer.publish({
          type: 'points.deduct',
          payload: { accountId: `a${i % 3}`, amount: 1, orderId: `o${i}` },
          key: `a${i % 3}`,
        }),
      ),
    );
    expect(receipts.every((receipt) => receipt.via === 'queue')).toBe(true);
    expect(producer.parts.sender.stats.requests).toBeLessThanOrEqual(5);
    const messages = await drain(queueUrl);
    expect(messages.length).toBe(25);
    for (const message of messages) {
      const envelope = envelopeSchema.parse(JSON.parse(message.Body!));
      expect(message.Attributes?.MessageGroupId).toBe(envelope.key);
      expect(message.Attributes?.MessageDeduplicationId).toBe(envelope.id);
      expect(message.MessageAttributes?.[ENVELOPE_ATTRIBUTES.id]?.StringValue).toBe(envelope.id);
      expect(message.MessageAttributes?.[ENVELOPE_ATTRIBUTES.producer]?.StringValue).toBe(envelope.producer);
      expect(message.MessageAttributes?.[ENVELOPE_ATTRIBUTES.seq]?.StringValue).toBe(String(envelope.seq));
      expect(message.MessageAttributes?.[ENVELOPE_ATTRIBUTES.type]?.StringValue).toBe('points.deduct');
    }
    const seqs = messages.map((message) => JSON.parse(message.Body!).seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    await producer.close();
  });

  it('retries entries SQS failed inside a batch until every message is acknowledged exactly once', async () => {
    const { queueUrl, producer } = await setup('partial', false);
    faults.remaining = 3;
    faults.injected = 0;
    const receipts = await Promise.all(
      Array.from({ length: 30 }, (_, i) => producer.publish({ type: 't', payload: { i }, key: 'k' })),
    );
    expect(faults.injected).toBeGreaterThan(0);
    expect(producer.parts.sender.stats.entryFailures).toBe(faults.injected);
    expect(receipts.every((receipt) => receipt.via === 'queue')).toBe(true);
    const bodies = (await drain(queueUrl)).map((message) => JSON.parse(message.Body!).payload.i as number);
    expect(bodies.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await producer.close();
  });

  it('hands messages to the outbox while SQS is down, and the relay delivers them afterwards', async () => {
    const { queueUrl, producer, telemetry } = await setup('outage', false, { maxAttempts: 2 });
    faults.outage = true;
    const receipts = await Promise.all(
      Array.from({ length: 3 }, (_, i) => producer.publish({ type: 't', payload: { i }, key: 'k' })),
    ).finally(() => {
      faults.outage = false;
    });
    expect(receipts.map((receipt) => receipt.via)).toEqual(['outbox', 'outbox', 'outbox']);
    expect(telemetry.get('PublishFellBackToOutbox')).toBe(3);
    const pending = await producer.parts.outbox!.get(receipts.map((receipt) => receipt.envelope.id));
    expect(pending.map((item) => item.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(await drain(queueUrl)).toEqual([]);

    const report = await relayPendingOutbox({
      store: producer.parts.outbox!,
      sender: producer.parts.sender,
      fifo: false,
      minAgeMs: 0,
    });
    expect(report).toMatchObject({ published: 3, failed: 0 });
    const delivered = (await drain(queueUrl)).map((message) => JSON.parse(message.Body!).seq as number);
    expect(delivered.sort()).toEqual(receipts.map((receipt) => receipt.envelope.seq).sort());
    await producer.close();
  });

  it('refuses an event over 256 KiB before sending anything', async () => {
    const { queueUrl, producer } = await setup('large', false);
    await expect(
      producer.publish({ type: 't', payload: { blob: 'x'.repeat(262_144) }, key: 'k' }),
    ).rejects.toThrow(MessageTooLargeError);
    expect(await drain(queueUrl)).toEqual([]);
  });

  it('records each acknowledged envelope in the outbox as SENT when the send log is on', async () => {
    const { producer } = await setup('sendlog', false, { sendLog: true });
    const receipt = await producer.publish({ type: 't', payload: { n: 1 }, key: 'k' });
    const [item] = await producer.parts.outbox!.get([receipt.envelope.id]);
    expect(item).toMatchObject({ status: 'SENT', attempts: 0 });
    expect(JSON.parse(item!.envelope)).toEqual(receipt.envelope);
    await producer.close();
  });

  it('builds its own clients from clientConfig, and close releases the lease and the clients', async () => {
    const tables = await createProducerTables(cloud.clients.dynamodb, `${cloud.prefix}-own`);
    const queueUrl = await createQueue(cloud.clients.sqs, `${cloud.prefix}-own`, false);
    const producer = createProducer({
      clientConfig: { endpoint: cloud.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS },
      queueUrl,
      leasesTable: tables.leasesTable,
      telemetry: new RecordingTelemetry(),
    });
    const { envelope } = await producer.publish({ type: 't', payload: { n: 1 }, key: 'k' });
    const lease = producer.parts.keeper.current!;
    await producer.close();
    expect((await drain(queueUrl)).map((message) => JSON.parse(message.Body!).id)).toEqual([envelope.id]);
    // Released: the worker id is free at once, and the stream closed at its last stamped seq.
    const again = await new DynamoDbLeaseStore(cloud.clients.documents, tables.leasesTable).tryAcquire(
      lease.workerId,
      'next',
      Date.now(),
      30_000,
    );
    expect(again?.epoch).toBe(lease.epoch + 1);
    await expect(producer.publish({ type: 't', payload: {}, key: 'k' })).rejects.toThrow(/closed/);
  });
});
