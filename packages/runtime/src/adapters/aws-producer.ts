/**
 * `createProducer`: the producer core wired to AWS, for Lambda functions and any other Node.js
 * service. The lease keeper runs over the DynamoDB leases table, the batching sender over SQS, and
 * outbox mode over the DynamoDB outbox table.
 */
import { BatchingSender, type BatchingSenderOptions } from '../core/producer/batching-sender.js';
import { DirectProducer, type PublishReceipt } from '../core/producer/direct-producer.js';
import { LeaseKeeper, type LeaseKeeperOptions } from '../core/producer/lease-keeper.js';
import { DEFAULT_COMPENSATION_DEADLINE_MS } from '../core/producer/outbox-item.js';
import { OutboxProducer, type TransactReceipt } from '../core/producer/outbox-producer.js';
import type { OutboxStore, ProducerClock } from '../core/producer/ports.js';
import { type EventDraft, isFifoQueueUrl } from '../core/producer/queue-message.js';
import type { Telemetry } from '../core/telemetry.js';
import type { TransactionWrite } from '../core/transaction-write.js';
import { type AwsClients, type ClientOptions, createAwsClients } from './aws-clients.js';
import { DynamoDbLeaseStore } from './dynamodb-lease-store.js';
import { DynamoDbOutboxStore } from './dynamodb-outbox-store.js';
import { EmfTelemetry } from './emf-telemetry.js';
import { SqsPublisher } from './sqs-publisher.js';

/** The clients a producer uses; any {@link AwsClients} satisfies it. */
export type ProducerClients = Pick<AwsClients, 'sqs' | 'documents'>;

/** Options of {@link createProducer}. */
export type ProducerOptions = ClientOptions<ProducerClients> & {
  /** The queue to publish to; a `.fifo` URL makes key the MessageGroupId and id the MessageDeduplicationId. */
  readonly queueUrl: string;
  /** The leases table: the producer leases its worker id (and so its producer stream) there. */
  readonly leasesTable: string;
  /**
   * The outbox table. With it the producer has `transact` (outbox mode), and a direct publish that
   * SQS refuses after every retry goes to the outbox for the relay instead of failing.
   * @default none: direct mode only, a refused publish fails (its sequence number voided)
   */
  readonly outboxTable?: string;
  /**
   * Direct mode: also record every acknowledged envelope in the outbox as SENT, so compensation
   * re-sends it if no consumer completes it. One more DynamoDB write per message; needs `outboxTable`.
   * @default false
   */
  readonly sendLog?: boolean;
  /** How long after a send compensation waits for the consumer's claim. @default 300000 */
  readonly compensationDeadlineMs?: number;
  /** Logs and metrics (failed sends, fallbacks, lease trouble). @default EmfTelemetry, service 'oncely-producer' */
  readonly telemetry?: Telemetry;
  /** Time for leases, linger and backoff (tests). @default the system clock */
  readonly clock?: ProducerClock;
  /** Lease tuning (length, reserved block, background heartbeat for long-lived processes). @default LeaseKeeper's */
  readonly lease?: Omit<LeaseKeeperOptions, 'store' | 'clock' | 'telemetry'>;
  /** Batching and retry tuning of the sends. @default BatchingSender's */
  readonly batching?: Omit<BatchingSenderOptions, 'sender' | 'clock'>;
};

/** Lower-level parts of a producer, for tools and benchmarks (stamp without sending, unbatched sends). */
export interface ProducerParts {
  readonly keeper: LeaseKeeper;
  readonly sender: BatchingSender;
  readonly publisher: SqsPublisher;
  readonly outbox: OutboxStore | undefined;
}

/** A producer in direct mode: stamp, send, resolve once SQS acknowledged. */
export interface Producer {
  /** True for a FIFO queue. */
  readonly fifo: boolean;
  /**
   * Publishes one event: stamps id, producer, seq and occurredAt, sends it, and resolves once SQS
   * acknowledged it (`via: 'queue'`) or, when SQS refused it after every retry, the outbox took it
   * for the relay (`via: 'outbox'`). Otherwise it rejects with PublishFailedError, the sequence
   * number voided on record so the auditor does not report it missing.
   *
   * @example
   * const { envelope } = await producer.publish({ type: 'inventory.reserve', key: sku, payload: { sku, quantity, orderId } });
   */
  publish<TPayload>(event: EventDraft<TPayload>): Promise<PublishReceipt<TPayload>>;
  /** Leases a worker id now (and starts the heartbeat if configured); otherwise the first publish does. */
  start(): Promise<void>;
  /** Waits until every batched send in flight was acknowledged or gave up. */
  flush(): Promise<void>;
  /**
   * Flushes, releases the lease (closing the producer stream at its last sequence number, so the
   * auditor can judge its tail) and closes the clients the producer built itself. Call it when a
   * service shuts down; a Lambda instance that is frozen and dropped needs no close (the lease expires).
   */
  close(): Promise<void>;
  /** The building blocks, for tools that need a lower level. */
  readonly parts: ProducerParts;
}

/** A producer with an outbox table: direct mode plus outbox mode. */
export interface TransactionalProducer extends Producer {
  /**
   * Outbox mode: commits `writes` (your business change) and one outbox item per event in one
   * DynamoDB transaction, then publishes the events eagerly; what the eager publish misses, the
   * relay sends later. If a write's condition fails nothing is committed or published and
   * BusinessConditionFailedError (with the write's `rejectionReason`) is thrown.
   *
   * @example
   * await producer.transact(
   *   [{ Put: { TableName: 'orders', Item: { pk: orderId, sku, quantity }, ConditionExpression: 'attribute_not_exists(pk)' } }],
   *   [{ type: 'inventory.reserve', key: sku, payload: { sku, quantity, orderId } }],
   * );
   */
  transact(writes: readonly TransactionWrite[], events: readonly EventDraft[]): Promise<TransactReceipt>;
}

/**
 * Creates a producer over SQS and DynamoDB, usable from Lambda or any long-running Node.js service.
 * With `outboxTable` it is a {@link TransactionalProducer}.
 *
 * @example
 * const producer = createProducer({ queueUrl, leasesTable, outboxTable, clientConfig: { region: 'eu-west-1' } });
 * await producer.publish({ type: 'inventory.reserve', key: sku, payload: { sku, quantity: 2, orderId } });
 * await producer.close(); // on shutdown: releases the lease
 */
export function createProducer(
  options: ProducerOptions & { readonly outboxTable: string },
): TransactionalProducer;
export function createProducer(options: ProducerOptions): Producer;
export function createProducer(options: ProducerOptions): Producer | TransactionalProducer {
  if (options.sendLog && !options.outboxTable)
    throw new Error('createProducer: sendLog needs an outboxTable');
  // Clients built here are closed by close(); clients passed in stay the caller's.
  const owned = options.clients === undefined ? createAwsClients(options.clientConfig) : undefined;
  const clients: ProducerClients = options.clients ?? owned!;
  const fifo = isFifoQueueUrl(options.queueUrl);
  const telemetry = options.telemetry ?? new EmfTelemetry({ service: 'oncely-producer' });
  const clock = options.clock ? { clock: options.clock } : {};
  const publisher = new SqsPublisher(clients.sqs, options.queueUrl);
  const sender = new BatchingSender({ ...options.batching, ...clock, sender: publisher });
  const keeper = new LeaseKeeper({
    ...options.lease,
    ...clock,
    telemetry,
    store: new DynamoDbLeaseStore(clients.documents, options.leasesTable),
  });
  const outbox = options.outboxTable
    ? new DynamoDbOutboxStore(clients.documents, options.outboxTable)
    : undefined;
  const compensationDeadlineMs = options.compensationDeadlineMs ?? DEFAULT_COMPENSATION_DEADLINE_MS;
  const direct = new DirectProducer({
    ...clock,
    telemetry,
    compensationDeadlineMs,
    keeper,
    sender,
    fifo,
    sendLog: options.sendLog ?? false,
    ...(outbox ? { outbox } : {}),
  });
  const producer: Producer = {
    fifo,
    parts: { keeper, sender, publisher, outbox },
    publish: (event) => direct.publish(event),
    start: () => keeper.start(),
    flush: () => sender.flush(),
    async close() {
      try {
        await sender.flush();
        await keeper.close();
      } finally {
        owned?.destroy();
      }
    },
  };
  if (!outbox) return producer;
  const transactional = new OutboxProducer({
    ...clock,
    telemetry,
    compensationDeadlineMs,
    keeper,
    sender,
    fifo,
    store: outbox,
  });
  return { ...producer, transact: (writes, events) => transactional.transact(writes, events) };
}
