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
import {
  type DeadLetterSend,
  type MessageActions,
  type PoisonDelivery,
  REASON_RECORD_ATTRIBUTE,
  type SqsRecordRef,
} from '../core/consumer/ports.js';
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
  /**
   * The DLQ's largest message (body plus attributes). A poison message that does not fit with its
   * reason attributes leaves a reason record in the DLQ instead and is left for SQS's redrive
   * policy (see docs/consumer.md). Lower it to the DLQ's `MaximumMessageSize` if you set one; a
   * send SQS refuses as too long falls back the same way anyway.
   * @default 1048576 (1 MiB, the SQS quota)
   */
  readonly maxMessageBytes?: number;
}

/**
 * SQS's message size quota, body and attributes together: 1 MiB (the Amazon SQS Developer Guide,
 * "Amazon SQS message quotas"; raised from 256 KiB in 2025). The local cloud enforces the same.
 */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

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

  async sendToDeadLetter(message: PoisonDelivery): Promise<DeadLetterSend> {
    const { record } = message;
    const attributes = poisonAttributes(message);
    const limit = this.options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES;
    if (messageBytes(record.body, attributes) > limit) return this.sendReasonRecord(message);
    try {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.options.deadLetterQueueUrl,
          MessageBody: record.body,
          MessageAttributes: attributes,
          // On a FIFO DLQ keep the group (ordering for redrive) and dedupe repeated sends of one delivery.
          ...(this.deadLetterFifo
            ? {
                MessageGroupId: record.messageGroupId ?? record.messageId,
                MessageDeduplicationId: record.messageId,
              }
            : {}),
        }),
      );
    } catch (error) {
      // A DLQ with a smaller MaximumMessageSize than maxMessageBytes says so only now.
      if (isTooLong(error)) return this.sendReasonRecord(message);
      throw error;
    }
    return 'copied';
  }

  /**
   * The reason alone, bounded (about 2 KB), naming the original message id; the original stays in
   * its queue for SQS's redrive policy to move, so no byte of it is rewritten or lost.
   */
  private async sendReasonRecord(message: PoisonDelivery): Promise<DeadLetterSend> {
    const { record } = message;
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.options.deadLetterQueueUrl,
        MessageBody: JSON.stringify({
          reasonRecordOf: record.messageId,
          reason: message.reason,
          bodyBytes: Buffer.byteLength(record.body, 'utf8'),
          note: 'too large to copy with its reason; SQS redrive moves the message itself here under its own id',
        }),
        MessageAttributes: reasonRecordAttributes(message),
        // Its own group on a FIFO DLQ, so it never hides (or waits behind) the original's group.
        ...(this.deadLetterFifo
          ? {
              MessageGroupId: `${REASON_RECORD_GROUP_PREFIX}${record.messageId}`,
              MessageDeduplicationId: `${record.messageId}-reason`,
            }
          : {}),
      }),
    );
    return 'reason-only';
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

/** MessageGroupId prefix of reason records on a FIFO DLQ. */
const REASON_RECORD_GROUP_PREFIX = 'oncely-reason-';

/** The poison attributes without the originals (which may be large), marked as a reason record. */
function reasonRecordAttributes(message: PoisonDelivery): Record<string, MessageAttributeValue> {
  const all = poisonAttributes({ ...message, record: { ...message.record, messageAttributes: {} } });
  return { ...all, [REASON_RECORD_ATTRIBUTE]: text(message.record.messageId) };
}

/**
 * A message's size as SQS counts it: the body plus each attribute's name, data type and value
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html).
 */
export function messageBytes(body: string, attributes: Record<string, MessageAttributeValue>): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8');
    if (value.StringValue !== undefined) bytes += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) bytes += value.BinaryValue.byteLength;
  }
  return bytes;
}

/** SQS's refusal of an oversized message: `InvalidParameterValue`, "Message must be shorter than N bytes". */
function isTooLong(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /must be shorter than|MessageTooLong|too long/i.test(text);
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}
