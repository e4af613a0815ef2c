import { DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditDependencies } from '../../packages/runtime/src/adapters/aws-audit-dependencies.js';
import { DynamoDbAuditStore } from '../../packages/runtime/src/adapters/dynamodb-audit-store.js';
import { runAudit } from '../../packages/runtime/src/core/audit/auditor.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import {
  type AuditPipeline,
  createAuditPipeline,
  drain,
  envelopeFor,
  publish,
  releaseLease,
  sendPoison,
  writeClaim,
} from './audit-pipeline.js';

const PRODUCER = '1-1';
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('loss auditor against the local cloud', () => {
  let cloud: TestCloud;
  let pipeline: AuditPipeline;
  const audit = (options: Parameters<typeof runAudit>[1] = {}) =>
    runAudit(
      createAuditDependencies(cloud.clients, {
        claimsTable: pipeline.tables.claims,
        outboxTable: pipeline.tables.outbox,
        leasesTable: pipeline.tables.leases,
        controlTable: pipeline.tables.control,
        queueUrl: pipeline.queueUrl,
        deadLetterQueueUrl: pipeline.deadLetterQueueUrl,
      }),
      { graceSeconds: 0, ...options },
    );

  /** Consumes every message on the queue and returns their seqs, in delivery order. */
  async function consumeAll(): Promise<number[]> {
    const consumed: number[] = [];
    await drain(
      cloud,
      pipeline.queueUrl,
      (seq) => {
        consumed.push(seq);
        return 'consume';
      },
      pipeline,
    );
    return consumed;
  }

  beforeEach(async () => {
    cloud = await startTestCloud();
    pipeline = await createAuditPipeline(cloud);
  });
  afterEach(async () => {
    await cloud.stop();
  });

  it('reports exactly the messages deleted behind the pipeline, tail included, and compensation heals them', async () => {
    await publish(cloud, pipeline, PRODUCER, range(1, 20));
    const lost = new Set([5, 12, 19, 20]);
    await drain(cloud, pipeline.queueUrl, (seq) => (lost.has(seq) ? 'lose' : 'consume'), pipeline);

    const first = await audit();
    expect(first.counts).toEqual({ 'in-flight': 0, queued: 0, 'dead-lettered': 0, unsent: 0, missing: 4 });
    expect(first.findings.map((finding) => finding.seq)).toEqual([5, 12, 19, 20]);
    expect(first.streams[0]).toMatchObject({ producer: PRODUCER, confirmedSeq: 4, highWater: 20 });

    const healing = await audit({ compensate: true });
    expect(healing.republished).toBe(4);
    expect(healing.findings.every((finding) => finding.compensation === 'republished')).toBe(true);

    const consumed = await consumeAll();
    expect(consumed.sort((a, b) => a - b)).toEqual([5, 12, 19, 20]);

    const healed = await audit();
    expect(healed.counts.missing).toBe(0);
    expect(healed.findings).toEqual([]);
    expect(healed.streams[0]?.confirmedSeq).toBe(20);
  });

  it('heals loss on a FIFO queue inside the five-minute deduplication window', async () => {
    pipeline = await createAuditPipeline(cloud, 5, { fifo: true });
    await publish(cloud, pipeline, PRODUCER, range(1, 6));
    await drain(cloud, pipeline.queueUrl, (seq) => (seq === 2 || seq === 6 ? 'lose' : 'consume'), pipeline);
    const healing = await audit({ compensate: true });
    expect(healing.findings.map((finding) => [finding.seq, finding.compensation])).toEqual([
      [2, 'republished'],
      [6, 'republished'],
    ]);
    // Same envelope ids as the lost originals, sent seconds ago: a re-used deduplication id would be dropped.
    const consumed = await consumeAll();
    expect(consumed.sort()).toEqual([2, 6]);
    expect((await audit()).counts.missing).toBe(0);
  });

  it('reports in-flight, queued and dead-lettered messages as what they are, never as missing', async () => {
    await publish(cloud, pipeline, PRODUCER, range(1, 6));
    let held: Message | undefined;
    await drain(
      cloud,
      pipeline.queueUrl,
      (seq, message) => {
        if (seq === 2) {
          held = message;
          return 'hold'; // received by a consumer, not yet claimed
        }
        if (seq === 3) return 'lose'; // ... and dead-lettered by the consumer below
        if (seq === 4) return 'leave'; // still waiting in the queue
        if (seq === 5) return 'lose'; // claimed IN_PROGRESS below
        return 'consume';
      },
      pipeline,
    );
    await sendPoison(cloud, pipeline, envelopeFor(PRODUCER, 3), 'payload-invalid');
    await writeClaim(cloud, pipeline, envelopeFor(PRODUCER, 5), 'IN_PROGRESS');

    const report = await audit();
    expect(report.counts.missing).toBe(0);
    const bySeq = Object.fromEntries(report.findings.map((finding) => [finding.seq, finding.classification]));
    // With a message in flight the source queue cannot be seen whole, so it is not peeked at all:
    // seq 4 waiting in it counts as in flight too.
    expect(bySeq).toEqual({ 2: 'in-flight', 3: 'dead-lettered', 4: 'in-flight', 5: 'in-flight' });

    // Once nothing is in flight, a peek sees the whole queue: seq 4 is found waiting there.
    await writeClaim(cloud, pipeline, envelopeFor(PRODUCER, 2));
    await cloud.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: pipeline.queueUrl, ReceiptHandle: held?.ReceiptHandle }),
    );
    const quiet = await audit();
    const quietBySeq = Object.fromEntries(
      quiet.findings.map((finding) => [finding.seq, finding.classification]),
    );
    expect(quietBySeq).toEqual({ 3: 'dead-lettered', 4: 'queued', 5: 'in-flight' });
    expect(quiet.counts.missing).toBe(0);
  });

  it('does not report messages still inside the grace period', async () => {
    await publish(cloud, pipeline, PRODUCER, range(1, 5));
    await drain(cloud, pipeline.queueUrl, (seq) => (seq === 3 || seq === 5 ? 'lose' : 'consume'), pipeline);
    const report = await audit({ graceSeconds: 3600 });
    expect(report.counts.missing).toBe(0);
    expect(report.findings).toEqual([]);
    // seq 3; seq 5 sits in the live stream's tail, which is only a reservation until proven stamped.
    expect(report.streams[0]?.pending).toBe(1);
  });

  it('detects tail loss of a released stream in direct mode, where nothing can be re-published', async () => {
    await publish(cloud, pipeline, PRODUCER, range(1, 10), { outbox: false });
    await drain(cloud, pipeline.queueUrl, (seq) => (seq >= 8 ? 'lose' : 'consume'), pipeline);
    // seq 10 was stamped but voided by the producer (it never reached SQS): not loss.
    await releaseLease(cloud, pipeline, PRODUCER, 10, [10]);
    const report = await audit({ compensate: true });
    expect(
      report.findings.map((finding) => [finding.seq, finding.classification, finding.compensation]),
    ).toEqual([
      [8, 'missing', 'unrecoverable'],
      [9, 'missing', 'unrecoverable'],
    ]);
    expect(report.unrecoverable).toBe(2);
    expect(report.republished).toBe(0);
  });

  it('reads only the claims added since its checkpoint and stores its report', async () => {
    await publish(cloud, pipeline, PRODUCER, range(1, 30));
    await drain(cloud, pipeline.queueUrl, () => 'consume', pipeline);
    const first = await audit();
    expect(first.streams[0]).toMatchObject({ confirmedSeq: 30, claimsRead: 30 });

    await publish(cloud, pipeline, PRODUCER, range(31, 33));
    await drain(cloud, pipeline.queueUrl, () => 'consume', pipeline);
    const second = await audit();
    expect(second.streams[0]).toMatchObject({ confirmedSeq: 33, claimsRead: 3 });

    const store = new DynamoDbAuditStore(cloud.clients.documents, {
      claims: pipeline.tables.claims,
      leases: pipeline.tables.leases,
      control: pipeline.tables.control,
    });
    expect((await store.loadReport())?.streams[0]?.confirmedSeq).toBe(33);
    expect((await store.loadCheckpoint(PRODUCER))?.scannedSeq).toBe(33);
  });
});
