/**
 * The auditor with the real producer and consumer libraries: what they write to the leases,
 * outbox and claims tables is exactly what the auditor reads.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  balanceOf,
  type ConsumerResources,
  deliver,
  provisionConsumerResources,
  realConsumer,
  receive,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { createAuditDependencies } from '../../packages/runtime/src/adapters/aws-audit-dependencies.js';
import {
  createProducer,
  type TransactionalProducer,
} from '../../packages/runtime/src/adapters/aws-producer.js';
import { streamSeqOf } from '../../packages/runtime/src/adapters/sqs-queue-inspector.js';
import { runAudit } from '../../packages/runtime/src/core/audit/auditor.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';
import { createKeyValueTable, createOutboxTable } from './producer-resources.js';

const cloud = useTestCloud();
let resources: ConsumerResources;
let tables: { outbox: string; leases: string };
let producer: TransactionalProducer;

beforeAll(async () => {
  resources = await provisionConsumerResources(cloud.clients, { prefix: cloud.prefix });
  tables = { outbox: `${cloud.prefix}-outbox`, leases: `${cloud.prefix}-leases` };
  await createOutboxTable(cloud.clients.dynamodb, tables.outbox);
  await createKeyValueTable(cloud.clients.dynamodb, tables.leases);
  producer = createProducer({
    clients: cloud.clients,
    telemetry: new RecordingTelemetry(),
    queueUrl: resources.queueUrl,
    leasesTable: tables.leases,
    outboxTable: tables.outbox,
    sendLog: true,
  });
});

const audit = (compensate = false) =>
  runAudit(
    createAuditDependencies(cloud.clients, {
      claimsTable: resources.claimsTable,
      outboxTable: tables.outbox,
      leasesTable: tables.leases,
      controlTable: resources.controlTable,
      queueUrl: resources.queueUrl,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
    }),
    { graceSeconds: 0, compensate },
  );

/** The real consumer, fed as the event source mapping would, until the queue is empty. */
async function consumeAll(): Promise<void> {
  const { handler } = realConsumer(cloud.clients, resources);
  for (;;) {
    const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    if (messages.length === 0) return;
    await deliver(handler, cloud.clients.sqs, resources, messages);
  }
}

/** Broker loss: these messages vanish from the queue before any consumer sees them. */
async function loseBehindThePipeline(seqs: ReadonlySet<number>): Promise<void> {
  const keep: Message[] = [];
  for (;;) {
    const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    if (messages.length === 0) break;
    for (const message of messages) {
      if (seqs.has(streamSeqOf(message)?.seq ?? 0)) {
        await cloud.clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: resources.queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      } else keep.push(message);
    }
  }
  for (const message of keep) {
    await cloud.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: resources.queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
  }
}

describe('auditor with the real producer and consumer', () => {
  it('finds exactly the lost deductions, re-publishes them and every deduction applies once', async () => {
    await setBalance(cloud.clients.documents, resources, 'account-1', 1000);
    for (let order = 1; order <= 12; order++) {
      await producer.publish({
        type: 'points.deduct',
        payload: { accountId: 'account-1', amount: order, orderId: `order-${order}` },
        key: 'account-1',
      });
    }
    // A poison event: the consumer dead-letters it itself; the auditor must not call it lost.
    await producer.publish({
      type: 'points.deduct',
      payload: { accountId: 'account-1', amount: -1, orderId: 'order-bad' },
      key: 'account-1',
    });
    // Flushes, then releasing closes the stream with its exact last seq (13), so tail loss is judged too.
    await producer.close();

    await loseBehindThePipeline(new Set([4, 9, 12]));
    await consumeAll();

    const found = await audit();
    expect(found.counts).toEqual({ 'in-flight': 0, queued: 0, 'dead-lettered': 1, unsent: 0, missing: 3 });
    expect(
      found.findings.filter((finding) => finding.classification === 'missing').map((f) => f.seq),
    ).toEqual([4, 9, 12]);
    expect(found.findings.find((finding) => finding.classification === 'dead-lettered')?.seq).toBe(13);
    expect(await balanceOf(cloud.clients.documents, resources, 'account-1')).toBe(1000 - (78 - 4 - 9 - 12));

    const healing = await audit(true);
    expect(healing.republished).toBe(3);
    await consumeAll();
    const healed = await audit();
    expect(healed.counts.missing).toBe(0);
    expect(healed.counts['dead-lettered']).toBe(1);
    expect(healed.streams[0]?.confirmedSeq).toBe(12);
    // 1 + 2 + ... + 12, each exactly once.
    expect(await balanceOf(cloud.clients.documents, resources, 'account-1')).toBe(1000 - 78);

    // Healed means healed: a further compensating run finds nothing to re-publish.
    const again = await audit(true);
    expect(again.republished).toBe(0);
  });
});
