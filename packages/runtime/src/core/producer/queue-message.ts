/**
 * Envelope -> SQS message: body, FIFO group and deduplication ids, and the attributes that mirror
 * the envelope. Also the size check that runs before anything is stamped.
 */
import { ENVELOPE_ATTRIBUTES, type Envelope } from '../envelope.js';
import type { QueueMessage, QueueMessageAttribute } from './ports.js';

/** SQS's classic message size limit (body plus attributes). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** The event would exceed the queue's message size limit once stamped. */
export class MessageTooLargeError extends Error {
  override readonly name = 'MessageTooLargeError';
  constructor(
    readonly type: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `Event ${type} would be ${sizeBytes} bytes once stamped, over the SQS limit of ${limitBytes} bytes ` +
        `(${limitBytes / 1024} KiB, body plus message attributes); store the payload elsewhere and send a reference`,
    );
  }
}

/** What business code hands to the producer. */
export interface EventDraft<TPayload = unknown> {
  readonly type: string;
  readonly payload: TPayload;
  /** Ordering key: the FIFO MessageGroupId; related events share it. */
  readonly key: string;
}

// Widest values the stamps can take, so the check before stamping is never too optimistic.
const WIDEST_STAMPS = {
  id: '9'.repeat(20),
  producer: `1023-${'9'.repeat(15)}`,
  seq: 9_999_999_999_999,
  occurredAt: '2095-12-31T23:59:59.999Z',
};

/** Throws MessageTooLargeError when the draft cannot fit a message; returns the worst-case size. */
export function assertFitsInMessage(draft: EventDraft, limitBytes = MAX_MESSAGE_BYTES): number {
  const widest: Envelope = { ...WIDEST_STAMPS, type: draft.type, key: draft.key, payload: draft.payload };
  const size = messageSize(JSON.stringify(widest), attributesOf(widest));
  if (size > limitBytes) throw new MessageTooLargeError(draft.type, size, limitBytes);
  return size;
}

/**
 * Maps a stamped envelope to a message. On FIFO queues the key becomes the MessageGroupId and the
 * id the MessageDeduplicationId; `deduplicationId` overrides the latter (compensation re-sends use
 * a fresh one on purpose, so SQS's five-minute dedup window cannot swallow them).
 *
 * @example
 * await publisher.sendBatch([toQueueMessage(envelope, isFifoQueueUrl(queueUrl))]);
 */
export function toQueueMessage(
  envelope: Envelope,
  fifo: boolean,
  deduplicationId: string = envelope.id,
): QueueMessage {
  const body = JSON.stringify(envelope);
  const attributes = attributesOf(envelope);
  return {
    body,
    attributes,
    sizeBytes: messageSize(body, attributes),
    ...(fifo ? { groupId: envelope.key, deduplicationId } : {}),
  };
}

/** True for FIFO queue URLs (their names end in `.fifo`). */
export function isFifoQueueUrl(queueUrl: string): boolean {
  return queueUrl.endsWith('.fifo');
}

function attributesOf(envelope: Envelope): Record<string, QueueMessageAttribute> {
  return {
    [ENVELOPE_ATTRIBUTES.id]: { type: 'String', value: envelope.id },
    [ENVELOPE_ATTRIBUTES.producer]: { type: 'String', value: envelope.producer },
    [ENVELOPE_ATTRIBUTES.seq]: { type: 'Number', value: String(envelope.seq) },
    [ENVELOPE_ATTRIBUTES.type]: { type: 'String', value: envelope.type },
  };
}

/** SQS counts the body and each attribute's name, data type and value. */
function messageSize(body: string, attributes: Record<string, QueueMessageAttribute>): number {
  let size = Buffer.byteLength(body);
  for (const [name, attribute] of Object.entries(attributes))
    size += Buffer.byteLength(name) + attribute.type.length + Buffer.byteLength(attribute.value);
  return size;
}
