import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsError, jsonErrorResponse } from '../../packages/local-cloud/src/protocol.js';
import { streamSeqOf } from '../../packages/runtime/src/adapters/sqs-queue-inspector.js';
import type { Envelope } from '../../packages/runtime/src/core/envelope.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { queueDepth } from '../support/sqs-queues.js';
import {
  type AuditPipeline,
  createAuditPipeline,
  envelopeFor,
  runCli,
  sendPoison,
} from './audit-pipeline.js';

const PRODUCER = '1-1';

/** Every (seq) in a queue, read with visibility 0 so nothing changes (receive counts aside). */
async function seqsIn(cloud: TestCloud, queueUrl: string): Promise<number[]> {
  const seqs = new Map<string, number>();
  for (let attempt = 0; attempt < 10; attempt++) {
    const { Messages: messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const message of messages) seqs.set(message.MessageId!, streamSeqOf(message)?.seq ?? 0);
  }
  return [...seqs.values()].sort((a, b) => a - b);
}

describe('oncely dlq against the local cloud', () => {
  let cloud: TestCloud;
  let pipeline: AuditPipeline;
  /** SendMessage of seq 2 fails (every retry), as a broken network or a throttled queue would. */
  let failSeq: number | undefined;
  /** ChangeMessageVisibility (the release at the end of a selective redrive) fails. */
  let failRelease = false;

  beforeEach(async () => {
    failSeq = undefined;
    failRelease = false;
    cloud = await startTestCloud({
      interceptor: {
        before(request, service) {
          if (service === 'sqs' && request.operation === 'ChangeMessageVisibility' && failRelease)
            return jsonErrorResponse(
              new AwsError('InternalError', 'injected release failure', 500),
              'com.amazonaws.sqs',
            );
          const body = (request.input as { MessageBody?: string } | undefined)?.MessageBody;
          if (service === 'sqs' && request.operation === 'SendMessage' && failSeq !== undefined && body) {
            if ((JSON.parse(body) as Envelope).seq === failSeq)
              return jsonErrorResponse(
                new AwsError('InternalError', 'injected send failure', 500),
                'com.amazonaws.sqs',
              );
          }
          return undefined;
        },
      },
    });
    pipeline = await createAuditPipeline(cloud, 1);
    const { Attributes: dlq } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: pipeline.deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const dlqArn = dlq?.QueueArn;
    for (const seq of [1, 2, 3])
      await sendPoison(cloud, pipeline, envelopeFor(PRODUCER, seq), 'payload-invalid');
    for (const seq of [4, 5])
      await sendPoison(cloud, pipeline, envelopeFor(PRODUCER, seq, 'orders.place'), 'schema-mismatch');
    // seq 6 fails once in the consumer and SQS moves it (maxReceiveCount 1).
    await cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: pipeline.queueUrl,
        MessageBody: JSON.stringify(envelopeFor(PRODUCER, 6)),
      }),
    );
    const receive = new ReceiveMessageCommand({ QueueUrl: pipeline.queueUrl, VisibilityTimeout: 0 });
    await cloud.clients.sqs.send(receive);
    await cloud.clients.sqs.send(receive);
    // From now on peeks at the source queue (seqsIn) must not dead-letter anything.
    await cloud.clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: pipeline.queueUrl,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1000 }) },
      }),
    );
  });
  afterEach(async () => {
    await cloud.stop();
  });

  it('lists dead letters with their failure reasons without consuming them', async () => {
    const { code, stdout } = await runCli(['dlq', 'list', '--json', ...pipeline.cliOptions]);
    expect(code).toBe(0);
    const letters = JSON.parse(stdout) as Array<{
      seq: number;
      reason: string;
      sourceArn?: string;
      receiveCount?: number;
    }>;
    expect(letters.map((letter) => letter.seq).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const reasons = letters.map((letter) => letter.reason);
    expect(reasons.filter((reason) => reason === 'payload-invalid')).toHaveLength(3);
    expect(reasons.filter((reason) => reason === 'schema-mismatch')).toHaveLength(2);
    const moved = letters.find((letter) => letter.seq === 6);
    expect(moved?.reason).toBe('maxReceiveCount exceeded');
    expect(moved?.sourceArn).toContain(`${cloud.prefix}-queue`);
    expect(moved?.receiveCount).toBeGreaterThanOrEqual(1);
    expect(await queueDepth(cloud, pipeline.deadLetterQueueUrl)).toBe(6);

    const table = await runCli(['dlq', 'list', ...pipeline.cliOptions]);
    expect(table.stdout).toContain('maxReceiveCount exceeded');
    expect(table.stdout).toContain('payload-invalid');
  });

  it('redrives selectively and loses nothing when a send fails midway', async () => {
    failSeq = 2;
    const failed = await runCli([
      'dlq',
      'redrive',
      '--reason',
      'payload-invalid',
      '--json',
      ...pipeline.cliOptions,
    ]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ moved: 2, failed: 1, skipped: 3 });
    expect(await seqsIn(cloud, pipeline.queueUrl)).toEqual([1, 3]);
    expect(await seqsIn(cloud, pipeline.deadLetterQueueUrl)).toEqual([2, 4, 5, 6]);

    const byType = await runCli(['dlq', 'redrive', '--type', 'orders.place', ...pipeline.cliOptions]);
    expect(byType.code).toBe(0);
    expect(byType.stdout).toContain('Redrove 2 message(s)');
    expect(await seqsIn(cloud, pipeline.queueUrl)).toEqual([1, 3, 4, 5]);

    failSeq = undefined;
    const retried = await runCli(['dlq', 'redrive', '--reason', 'payload-invalid', ...pipeline.cliOptions]);
    expect(retried.code).toBe(0);
    expect(await seqsIn(cloud, pipeline.queueUrl)).toEqual([1, 2, 3, 4, 5]);
    expect(await seqsIn(cloud, pipeline.deadLetterQueueUrl)).toEqual([6]);
  });

  it('says which held messages it could not release, and they stay in the DLQ', async () => {
    failRelease = true;
    const result = await runCli([
      'dlq',
      'redrive',
      '--type',
      'orders.place',
      '--json',
      ...pipeline.cliOptions,
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      moved: number;
      skipped: number;
      stillHidden: number;
      errors: string[];
    };
    expect(report).toMatchObject({ moved: 2, skipped: 4, stillHidden: 4 });
    expect(report.errors).toHaveLength(4);
    expect(report.errors[0]).toMatch(/still in the DLQ but hidden for up to 120 s/);
    const { Attributes: depth } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: pipeline.deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(depth).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '4',
    });
  });

  it('redrives everything with a message move task and follows it to the end', async () => {
    const { code, stderr } = await runCli([
      'dlq',
      'redrive',
      '--wait',
      '--max-per-second',
      '50',
      ...pipeline.cliOptions,
    ]);
    expect(code).toBe(0);
    expect(stderr).toContain('started message move task');
    expect(stderr).toContain('COMPLETED');
    expect(await queueDepth(cloud, pipeline.deadLetterQueueUrl)).toBe(0);
    expect(await seqsIn(cloud, pipeline.queueUrl)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a missing or unknown action and mixed options with exit 2', async () => {
    expect((await runCli(['dlq', ...pipeline.cliOptions])).code).toBe(2);
    const unknown = await runCli(['dlq', 'purge', ...pipeline.cliOptions]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown action 'purge'");
    expect((await runCli(['dlq', 'redrive', '--type', 'x', '--wait', ...pipeline.cliOptions])).code).toBe(2);
    expect((await runCli(['dlq', 'list', '--max', 'lots', ...pipeline.cliOptions])).code).toBe(2);
  });
});
