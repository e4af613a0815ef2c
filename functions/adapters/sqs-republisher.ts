/**
 * Compensation's sender: puts an envelope back on the queue unchanged (same id, producer, seq,
 * body and mirrored attributes), so the consumer's claim recognises it. On FIFO queues each attempt
 * gets its own deduplication id: re-using the envelope id inside SQS's five-minute deduplication
 * window would make SQS accept the send and silently drop it.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Republisher } from '../core/audit/audit-model.js';
import type { Envelope } from '../core/envelope.js';
import { isFifoQueueUrl, toQueueMessage } from '../core/producer/queue-message.js';

export class SqsRepublisher implements Republisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async republish(envelope: Envelope, attempt: number): Promise<void> {
    const message = toQueueMessage(
      envelope,
      isFifoQueueUrl(this.queueUrl),
      `${envelope.id}-audit-${attempt}`,
    );
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: message.body,
        MessageAttributes: Object.fromEntries(
          Object.entries(message.attributes).map(([name, attribute]) => [
            name,
            { DataType: attribute.type, StringValue: attribute.value },
          ]),
        ),
        ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
        ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
      }),
    );
  }
}
