/**
 * The consumer's queue actions on SQS: sending poison messages to the dead-letter queue itself, and
 * delaying retries with ChangeMessageVisibility.
 */
import {
  ChangeMessageVisibilityCommand,
  GetQueueUrlCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { MessageActions, PoisonDelivery, SqsRecordRef } from '../core/consumer/ports.js';
import { POISON_ATTRIBUTES } from '../core/envelope.js';
import { isFifoQueueUrl } from '../core/producer/queue-message.js';

/** Options of {@link SqsMessageActions}. */
export interface SqsMessageActionsOptions {
  /** Where poison messages go; normally the source queue's own DLQ. */
  readonly deadLetterQueueUrl: string;
  /**
   * URL of the queue the records come from, when there is one; saves a GetQueueUrl call (and its
   * IAM permission). @default looked up by the record's ARN with GetQueueUrl, once per queue
   */
  readonly sourceQueueUrl?: string;
}

/** SQS accepts at most 10 message attributes per message. */
const MAX_MESSAGE_ATTRIBUTES = 10;
/** Holds the original attributes that did not fit, as JSON. */
export const OVERFLOW_ATTRIBUTE = 'oncely.poison.originalAttributes';
const MAX_ERROR_TEXT = 1_024;

/**
 * The consumer's MessageActions on SQS: poison messages to the DLQ (with `oncely.poison.*` attributes), retry backoff with ChangeMessageVisibility.
 *
 * @example
 * const messages = new SqsMessageActions(clients.sqs, { deadLetterQueueUrl, sourceQueueUrl: queueUrl });
 */
export class SqsMessageActions implements MessageActions {
  /** Queue URLs by ARN: the event carries ARNs, the API wants URLs. */
  private readonly queueUrls = new Map<string, Promise<string>>();
  /** The DLQ URL is fixed, so whether it is FIFO is known once, not per poison message. */
  private readonly deadLetterFifo: boolean;

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: SqsMessageActionsOptions,
  ) {
    this.deadLetterFifo = isFifoQueueUrl(options.deadLetterQueueUrl);
  }

  async sendToDeadLetter(message: PoisonDelivery): Promise<void> {
    const { record } = message;
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.options.deadLetterQueueUrl,
        MessageBody: record.body,
        MessageAttributes: poisonAttributes(message),
        // On a FIFO DLQ keep the group (ordering for redrive) and dedupe repeated sends of one delivery.
        ...(this.deadLetterFifo
          ? {
              MessageGroupId: record.messageGroupId ?? record.messageId,
              MessageDeduplicationId: record.messageId,
            }
          : {}),
      }),
    );
  }

  async changeVisibility(record: SqsRecordRef, visibilityTimeoutSeconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: await this.queueUrl(record.eventSourceARN),
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: visibilityTimeoutSeconds,
      }),
    );
  }

  private queueUrl(arn: string): Promise<string> {
    if (this.options.sourceQueueUrl) return Promise.resolve(this.options.sourceQueueUrl);
    let url = this.queueUrls.get(arn);
    if (!url) {
      const [, , , , account, name] = arn.split(':');
      url = this.sqs
        .send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))
        .then((result) => result.QueueUrl ?? Promise.reject(new Error(`No URL for queue ${arn}`)));
      url.catch(() => this.queueUrls.delete(arn));
      this.queueUrls.set(arn, url);
    }
    return url;
  }
}

/** The poison attributes plus the original ones; originals that do not fit travel as JSON in one attribute. */
export function poisonAttributes(message: PoisonDelivery): Record<string, MessageAttributeValue> {
  const { record } = message;
  const attributes: Record<string, MessageAttributeValue> = {
    [POISON_ATTRIBUTES.reason]: text(message.reason),
    [POISON_ATTRIBUTES.error]: text(message.error.slice(0, MAX_ERROR_TEXT) || 'unknown'),
    [POISON_ATTRIBUTES.sourceQueue]: text(record.eventSourceARN),
    [POISON_ATTRIBUTES.originalMessageId]: text(record.messageId),
    [POISON_ATTRIBUTES.receiveCount]: { DataType: 'Number', StringValue: String(record.receiveCount) },
  };
  // Envelope mirrors (oncely.*) first: tools read them.
  const originals = Object.entries(record.messageAttributes).sort(
    ([a], [b]) => Number(!a.startsWith('oncely.')) - Number(!b.startsWith('oncely.')) || a.localeCompare(b),
  );
  const room = MAX_MESSAGE_ATTRIBUTES - Object.keys(attributes).length;
  const fits = originals.length <= room ? originals : originals.slice(0, room - 1);
  for (const [name, value] of fits) {
    attributes[name] = {
      DataType: value.dataType,
      ...(value.stringValue !== undefined ? { StringValue: value.stringValue } : {}),
      ...(value.binaryValue !== undefined ? { BinaryValue: Buffer.from(value.binaryValue, 'base64') } : {}),
    };
  }
  if (fits.length < originals.length)
    attributes[OVERFLOW_ATTRIBUTE] = text(JSON.stringify(Object.fromEntries(originals.slice(fits.length))));
  return attributes;
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}
