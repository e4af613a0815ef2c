/**
 * Compensation's sender: puts an envelope back on the queue unchanged (same id, producer, seq,
 * body and mirrored attributes), so the consumer's claim recognises it. Sends through the
 * producer's SqsPublisher. On FIFO queues each attempt gets its own deduplication id: re-using the
 * envelope id inside SQS's five-minute deduplication window would make SQS accept the send and
 * silently drop it.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Republisher } from '../core/audit/audit-model.js';
import type { Envelope } from '../core/envelope.js';
import { isFifoQueueUrl, toQueueMessage } from '../core/producer/queue-message.js';
import { SqsPublisher } from './sqs-publisher.js';

/**
 * The auditor's Republisher on SQS (see the module comment).
 *
 * @example
 * const republisher = new SqsRepublisher(clients.sqs, queueUrl);
 */
export class SqsRepublisher implements Republisher {
  private readonly publisher: SqsPublisher;
  private readonly fifo: boolean;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.publisher = new SqsPublisher(sqs, queueUrl);
    this.fifo = isFifoQueueUrl(queueUrl);
  }

  async republish(envelope: Envelope, attempt: number): Promise<void> {
    await this.publisher.sendOne(toQueueMessage(envelope, this.fifo, `${envelope.id}-audit-${attempt}`));
  }
}
