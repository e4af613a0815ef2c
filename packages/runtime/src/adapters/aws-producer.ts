/**
 * Wires the producer core to AWS: the lease keeper over the DynamoDB lease store, the batching
 * sender over SQS, and the outbox over DynamoDB. Handlers, tests and the benchmark build their
 * producers here so that they all run the same composition.
 */
import { BatchingSender, type BatchingSenderOptions } from '../core/producer/batching-sender.js';
import { DirectProducer } from '../core/producer/direct-producer.js';
import { LeaseKeeper, type LeaseKeeperOptions } from '../core/producer/lease-keeper.js';
import { DEFAULT_COMPENSATION_DEADLINE_MS } from '../core/producer/outbox-item.js';
import { OutboxProducer } from '../core/producer/outbox-producer.js';
import type { ProducerClock, ProducerMetrics } from '../core/producer/ports.js';
import { isFifoQueueUrl } from '../core/producer/queue-message.js';
import type { AwsClients } from './aws-clients.js';
import { DynamoDbClaimStatusReader } from './dynamodb-claim-status-reader.js';
import { DynamoDbLeaseStore } from './dynamodb-lease-store.js';
import { DynamoDbOutboxStore } from './dynamodb-outbox-store.js';
import { SqsPublisher } from './sqs-publisher.js';

export interface AwsProducerSettings {
  readonly queueUrl: string;
  readonly leasesTable: string;
  /** Needed by outbox mode, the direct-mode fallback and the send log. */
  readonly outboxTable?: string;
  /** Needed by the compensation sweep only. */
  readonly claimsTable?: string;
  readonly clock?: ProducerClock;
  readonly metrics?: ProducerMetrics;
  readonly lease?: Omit<LeaseKeeperOptions, 'store' | 'clock'>;
  readonly batching?: Omit<BatchingSenderOptions, 'sender' | 'clock'>;
  /** Direct mode: record acknowledged envelopes in the outbox as SENT. @default false */
  readonly sendLog?: boolean;
  /** @default 300_000 */
  readonly compensationDeadlineMs?: number;
}

/** Every part of the producer side, built over one set of clients. */
export interface AwsProducer {
  readonly fifo: boolean;
  readonly publisher: SqsPublisher;
  readonly sender: BatchingSender;
  readonly keeper: LeaseKeeper;
  readonly outbox: DynamoDbOutboxStore | undefined;
  readonly claims: DynamoDbClaimStatusReader | undefined;
  readonly direct: DirectProducer;
  /** Undefined without an outbox table. */
  readonly transactional: OutboxProducer | undefined;
}

export function createAwsProducer(clients: AwsClients, settings: AwsProducerSettings): AwsProducer {
  const fifo = isFifoQueueUrl(settings.queueUrl);
  const clock = settings.clock ? { clock: settings.clock } : {};
  const metrics = settings.metrics ? { metrics: settings.metrics } : {};
  const publisher = new SqsPublisher(clients.sqs, settings.queueUrl);
  const sender = new BatchingSender({ ...settings.batching, ...clock, sender: publisher });
  const keeper = new LeaseKeeper({
    ...settings.lease,
    ...clock,
    store: new DynamoDbLeaseStore(clients.documents, settings.leasesTable),
  });
  const outbox = settings.outboxTable
    ? new DynamoDbOutboxStore(clients.documents, settings.outboxTable)
    : undefined;
  const claims = settings.claimsTable
    ? new DynamoDbClaimStatusReader(clients.documents, settings.claimsTable)
    : undefined;
  const deadline = {
    compensationDeadlineMs: settings.compensationDeadlineMs ?? DEFAULT_COMPENSATION_DEADLINE_MS,
  };
  return {
    fifo,
    publisher,
    sender,
    keeper,
    outbox,
    claims,
    direct: new DirectProducer({
      ...clock,
      ...metrics,
      ...deadline,
      keeper,
      sender,
      fifo,
      sendLog: settings.sendLog ?? false,
      ...(outbox ? { outbox } : {}),
    }),
    transactional: outbox
      ? new OutboxProducer({ ...clock, ...metrics, ...deadline, keeper, sender, fifo, store: outbox })
      : undefined,
  };
}
