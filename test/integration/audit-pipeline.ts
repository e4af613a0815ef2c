/**
 * Test fixture for the auditor and the ops commands: a queue with its DLQ and the four tables the
 * auditor reads, created through the real SDK on a test cloud, plus a minimal producer and consumer
 * that write exactly what the table contracts (packages/runtime/src/core/tables.ts) define - so these tests
 * depend on the contracts, not on the producer or consumer libraries.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';
import { main } from '../../packages/cli/src/main.js';
import { streamSeqOf } from '../../packages/runtime/src/adapters/sqs-queue-inspector.js';
import { type Envelope, POISON_ATTRIBUTES } from '../../packages/runtime/src/core/envelope.js';
import { isFifoQueueUrl, toQueueMessage } from '../../packages/runtime/src/core/producer/queue-message.js';
import {
  CLAIMS,
  type ClaimStatus,
  LEASES,
  OUTBOX,
  PARTITION_KEY,
} from '../../packages/runtime/src/core/tables.js';
import type { TestCloud } from '../support/local-cloud.js';

export interface AuditPipeline {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly tables: { claims: string; outbox: string; leases: string; control: string };
  /** CLI options naming every resource. */
  readonly cliOptions: string[];
}

export async function createAuditPipeline(
  cloud: TestCloud,
  maxReceiveCount = 5,
  options: { fifo?: boolean } = {},
): Promise<AuditPipeline> {
  const { sqs, dynamodb } = cloud.clients;
  const name = (suffix: string) => `${cloud.prefix}${options.fifo ? '-fifo' : ''}-${suffix}`;
  const queueName = (suffix: string) => (options.fifo ? `${name(suffix)}.fifo` : name(suffix));
  const fifo = options.fifo ? { FifoQueue: 'true' } : {};
  const { QueueUrl: deadLetterQueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: queueName('dlq'), Attributes: fifo }),
  );
  const { Attributes: dlq } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: queueName('queue'),
      Attributes: {
        ...fifo,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq?.QueueArn, maxReceiveCount }),
        VisibilityTimeout: '30',
      },
    }),
  );
  const tables = {
    claims: name('claims'),
    outbox: name('outbox'),
    leases: name('leases'),
    control: name('control'),
  };
  const table = async (
    tableName: string,
    index?: { name: string; hash: string; range: string; rangeType: 'S' | 'N' },
  ) => {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: PARTITION_KEY, AttributeType: 'S' },
          ...(index
            ? [
                { AttributeName: index.hash, AttributeType: 'S' as const },
                { AttributeName: index.range, AttributeType: index.rangeType },
              ]
            : []),
        ],
        KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
        ...(index
          ? {
              GlobalSecondaryIndexes: [
                {
                  IndexName: index.name,
                  KeySchema: [
                    { AttributeName: index.hash, KeyType: 'HASH' },
                    { AttributeName: index.range, KeyType: 'RANGE' },
                  ],
                  Projection: { ProjectionType: 'ALL' },
                },
              ],
            }
          : {}),
      }),
    );
  };
  await table(tables.claims, {
    name: CLAIMS.byProducerIndex,
    hash: 'producer',
    range: 'seq',
    rangeType: 'N',
  });
  await table(tables.outbox, {
    name: OUTBOX.byStatusIndex,
    hash: 'status',
    range: 'createdAt',
    rangeType: 'N',
  });
  await table(tables.leases);
  await table(tables.control);
  return {
    queueUrl: queueUrl!,
    deadLetterQueueUrl: deadLetterQueueUrl!,
    tables,
    cliOptions: [
      '--endpoint',
      cloud.endpoint,
      '--queue-url',
      queueUrl!,
      '--dlq-url',
      deadLetterQueueUrl!,
      '--claims-table',
      tables.claims,
      '--outbox-table',
      tables.outbox,
      '--leases-table',
      tables.leases,
      '--control-table',
      tables.control,
    ],
  };
}

export function envelopeFor(producer: string, seq: number, type = 'points.deduct'): Envelope {
  return {
    id: String(7_000_000 + seq),
    type,
    producer,
    seq,
    key: `account-${seq % 3}`,
    occurredAt: new Date().toISOString(),
    payload: { accountId: `account-${seq % 3}`, amount: seq },
  };
}

/** A producer in send-log mode: outbox item (SENT) plus the message, then the lease's high-water mark. */
export async function publish(
  cloud: TestCloud,
  pipeline: AuditPipeline,
  producer: string,
  seqs: number[],
  options: { outbox?: boolean } = {},
) {
  for (const seq of seqs) {
    const envelope = envelopeFor(producer, seq);
    if (options.outbox !== false)
      await cloud.clients.documents.send(
        new PutCommand({
          TableName: pipeline.tables.outbox,
          Item: {
            [PARTITION_KEY]: envelope.id,
            envelope: JSON.stringify(envelope),
            status: 'SENT',
            createdAt: Date.now(),
            attempts: 0,
          },
        }),
      );
    await sendEnvelope(cloud, pipeline.queueUrl, envelope);
  }
  await setLease(cloud, pipeline, producer, Math.max(...seqs));
}

export async function sendEnvelope(cloud: TestCloud, queueUrl: string, envelope: Envelope, extra = {}) {
  const message = toQueueMessage(envelope, isFifoQueueUrl(queueUrl));
  await cloud.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.body,
      ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
      ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
      MessageAttributes: {
        ...Object.fromEntries(
          Object.entries(message.attributes).map(([name, value]) => [
            name,
            { DataType: value.type, StringValue: value.value },
          ]),
        ),
        ...extra,
      },
    }),
  );
}

/** What the consumer library writes when it dead-letters a poison message itself. */
export async function sendPoison(
  cloud: TestCloud,
  pipeline: AuditPipeline,
  envelope: Envelope,
  reason: string,
) {
  const text = (value: string) => ({ DataType: 'String', StringValue: value });
  await sendEnvelope(cloud, pipeline.deadLetterQueueUrl, envelope, {
    [POISON_ATTRIBUTES.reason]: text(reason),
    [POISON_ATTRIBUTES.error]: text(`${reason}: injected by the test`),
    [POISON_ATTRIBUTES.sourceQueue]: text(
      `arn:aws:sqs:us-east-1:000000000000:${pipeline.queueUrl.split('/').at(-1)}`,
    ),
    [POISON_ATTRIBUTES.receiveCount]: { DataType: 'Number', StringValue: '1' },
  });
}

/** The lease item after the producer released its stream: final mark exact, some seqs voided. */
export async function releaseLease(
  cloud: TestCloud,
  pipeline: AuditPipeline,
  stream: string,
  finalHighWater: number,
  voided: number[] = [],
) {
  await cloud.clients.documents.send(
    new PutCommand({
      TableName: pipeline.tables.leases,
      Item: {
        [PARTITION_KEY]: LEASES.itemKey(1),
        workerId: 1,
        epoch: 1,
        leaseUntil: 0,
        highWater: finalHighWater,
        closedStreams: { [stream]: finalHighWater },
        closedBy: { [stream]: 'release' },
        voided: { [stream]: voided },
      },
    }),
  );
}

export async function setLease(cloud: TestCloud, pipeline: AuditPipeline, stream: string, highWater: number) {
  await cloud.clients.documents.send(
    new PutCommand({
      TableName: pipeline.tables.leases,
      Item: {
        [PARTITION_KEY]: LEASES.itemKey(1),
        workerId: 1,
        epoch: 1,
        stream,
        highWater,
        leaseUntil: Date.now() + 60_000,
      },
    }),
  );
}

export async function writeClaim(
  cloud: TestCloud,
  pipeline: AuditPipeline,
  envelope: Envelope,
  status: ClaimStatus = 'COMPLETED',
) {
  await cloud.clients.documents.send(
    new PutCommand({
      TableName: pipeline.tables.claims,
      Item: {
        [PARTITION_KEY]: envelope.id,
        status,
        producer: envelope.producer,
        seq: envelope.seq,
        type: envelope.type,
        claimedAt: Date.now(),
        ...(status === 'IN_PROGRESS' ? {} : { completedAt: Date.now() }),
      },
    }),
  );
}

/**
 * Receives every visible message once (hidden for 30 s), then lets `decide` say what happens to it:
 * `consume` (claim + delete), `lose` (delete without a claim: the broker lost it), `hold` (stay in
 * flight) or `leave` (visible again at once).
 */
export async function drain(
  cloud: TestCloud,
  queueUrl: string,
  decide: (seq: number, message: Message) => 'consume' | 'lose' | 'hold' | 'leave',
  pipeline: AuditPipeline,
): Promise<void> {
  const { sqs } = cloud.clients;
  const leave: Message[] = [];
  for (;;) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
      }),
    );
    if (messages.length === 0) break;
    for (const message of messages) {
      const at = streamSeqOf(message);
      const decision = decide(at?.seq ?? 0, message);
      if (decision === 'consume') {
        await writeClaim(cloud, pipeline, JSON.parse(message.Body!) as Envelope);
      }
      if (decision === 'consume' || decision === 'lose') {
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
      }
      if (decision === 'leave') leave.push(message);
    }
  }
  for (const message of leave) {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
  }
}

/** Runs the CLI in-process, capturing what it prints. */
export async function runCli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts) => void out.push(parts.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...parts) => void err.push(parts.join(' ')));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}
