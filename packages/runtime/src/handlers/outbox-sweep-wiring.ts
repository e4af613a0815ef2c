/**
 * What the two scheduled outbox sweeps (relay and compensation) are built from: the outbox store,
 * and a batching sender to the queue. Sweeps never stamp, so they need no lease.
 */
import type { AwsClients } from '../adapters/aws-clients.js';
import { DynamoDbOutboxStore } from '../adapters/dynamodb-outbox-store.js';
import { SqsPublisher } from '../adapters/sqs-publisher.js';
import type { Config } from '../config.js';
import { BatchingSender } from '../core/producer/batching-sender.js';
import { isFifoQueueUrl } from '../core/producer/queue-message.js';
import type { Telemetry } from '../core/telemetry.js';

/** The parts every outbox sweep reads from and sends through. */
export interface OutboxSweepParts {
  readonly store: DynamoDbOutboxStore;
  readonly sender: BatchingSender;
  readonly fifo: boolean;
  readonly telemetry: Telemetry;
}

/** The sweep's parts over `aws` (the handler's clients, see handlerClients). */
export function wireOutboxSweep(
  config: Config,
  aws: Pick<AwsClients, 'sqs' | 'documents'>,
  telemetry: Telemetry,
): OutboxSweepParts {
  const queueUrl = config.require('queueUrl');
  return {
    store: new DynamoDbOutboxStore(aws.documents, config.require('outboxTable')),
    sender: new BatchingSender({ sender: new SqsPublisher(aws.sqs, queueUrl) }),
    fifo: isFifoQueueUrl(queueUrl),
    telemetry,
  };
}
