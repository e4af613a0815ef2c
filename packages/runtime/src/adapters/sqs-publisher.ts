/** The producer's Publisher on SQS: SendMessageBatch, with per-entry failures mapped back by index. */
import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { BatchEntryFailure, Publisher, QueueMessage } from '../core/producer/ports.js';

/**
 * The producer's Publisher port on SQS: one SendMessageBatch per call, per-entry failures mapped back by index.
 *
 * @example
 * const sender = new BatchingSender({ sender: new SqsPublisher(clients.sqs, queueUrl) });
 */
export class SqsPublisher implements Publisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async sendBatch(messages: readonly QueueMessage[]): Promise<readonly BatchEntryFailure[]> {
    const result = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: messages.map((message, index) => ({ Id: String(index), ...this.fields(message) })),
      }),
    );
    return (result.Failed ?? []).map((failure) => ({
      index: Number(failure.Id),
      code: failure.Code ?? 'Unknown',
      senderFault: failure.SenderFault ?? false,
      ...(failure.Message ? { message: failure.Message } : {}),
    }));
  }

  /** One SendMessage per message: the unbatched baseline the benchmark compares against. */
  async sendOne(message: QueueMessage): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, ...this.fields(message) }));
  }

  private fields(message: QueueMessage) {
    const attributes: Record<string, MessageAttributeValue> = {};
    for (const [name, attribute] of Object.entries(message.attributes))
      attributes[name] = { DataType: attribute.type, StringValue: attribute.value };
    return {
      MessageBody: message.body,
      MessageAttributes: attributes,
      ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
      ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
    };
  }
}
