/**
 * Dead-letter queue tools on SQS: list messages with why they are there (without consuming them),
 * redrive everything with a message move task, or redrive a selection by hand (receive, re-send to
 * the source queue, delete from the DLQ only after the send succeeded - a failed send leaves the
 * message where it was, so nothing is lost midway).
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { REASON_RECORD_ATTRIBUTE } from '../core/consumer/ports.js';
import { ENVELOPE_ATTRIBUTES, POISON_ATTRIBUTES } from '../core/envelope.js';
import { isFifoQueueUrl } from '../core/producer/queue-message.js';
import { peekMessages, streamSeqOf } from './sqs-queue-inspector.js';

/** Reason code of messages SQS moved because they failed too often. */
export const MAX_RECEIVE_COUNT_REASON = 'maxReceiveCount exceeded';

/** One DLQ message as the tools show it. */
export interface DeadLetter {
  readonly messageId: string;
  /** Epoch ms the message was first sent (to the source queue). */
  readonly sentAt: number | undefined;
  readonly type: string | undefined;
  readonly producer: string | undefined;
  readonly seq: number | undefined;
  readonly envelopeId: string | undefined;
  /** The consumer's poison reason, or {@link MAX_RECEIVE_COUNT_REASON}. */
  readonly reason: string;
  readonly error: string | undefined;
  /**
   * Receives so far: for poison messages the count when the consumer gave up; otherwise SQS's
   * ApproximateReceiveCount, which includes the receives in the source queue and every peek.
   */
  readonly receiveCount: number | undefined;
  /** ARN of the queue it came from (DeadLetterQueueSourceArn, or the poison attribute). */
  readonly sourceArn: string | undefined;
  /**
   * Set on a reason record: the consumer's note of why the message with this SQS id is poison,
   * left when the message was too large to copy with its reason. SQS's redrive policy moves that
   * message here under the same id; {@link listDeadLetters} then shows it with this reason.
   */
  readonly reasonRecordOf?: string;
}

/** Reads a DLQ message's reason, envelope stamps and timing from its attributes (the body only when they are missing). */
export function describeDeadLetter(message: Message): DeadLetter {
  const attributes = message.MessageAttributes ?? {};
  const system = message.Attributes ?? {};
  const text = (name: string) => attributes[name]?.StringValue;
  const at = streamSeqOf(message);
  const poisonReason = text(POISON_ATTRIBUTES.reason);
  const receives = poisonReason ? text(POISON_ATTRIBUTES.receiveCount) : system.ApproximateReceiveCount;
  let type = text(ENVELOPE_ATTRIBUTES.type);
  if (!type) {
    try {
      const body = JSON.parse(message.Body ?? '') as { type?: unknown };
      if (typeof body.type === 'string') type = body.type;
    } catch {
      // Not JSON: the poison reason says so.
    }
  }
  return {
    messageId: message.MessageId ?? '',
    sentAt: system.SentTimestamp ? Number(system.SentTimestamp) : undefined,
    type,
    producer: at?.producer,
    seq: at?.seq,
    envelopeId: at?.id,
    reason: poisonReason ?? MAX_RECEIVE_COUNT_REASON,
    error: text(POISON_ATTRIBUTES.error),
    receiveCount: receives === undefined ? undefined : Number(receives),
    sourceArn: text(POISON_ATTRIBUTES.sourceQueue) ?? system.DeadLetterQueueSourceArn,
    ...(text(REASON_RECORD_ATTRIBUTE) === undefined ? {} : { reasonRecordOf: text(REASON_RECORD_ATTRIBUTE) }),
  };
}

/**
 * Joins reason records to the messages they explain: a message SQS moved (reason
 * {@link MAX_RECEIVE_COUNT_REASON}) takes the reason and error of its record, and the record is
 * not listed then. A record whose message is not among `letters` (still spending its receives in
 * the source queue, or beyond the peeked ones) is listed itself, once.
 */
export function joinReasonRecords(letters: readonly DeadLetter[]): DeadLetter[] {
  const records = new Map<string, DeadLetter>();
  for (const letter of letters)
    if (letter.reasonRecordOf !== undefined && !records.has(letter.reasonRecordOf))
      records.set(letter.reasonRecordOf, letter);
  const explained = new Set<string>();
  const joined: DeadLetter[] = [];
  for (const letter of letters) {
    if (letter.reasonRecordOf !== undefined) continue;
    const record = records.get(letter.messageId);
    if (record && letter.reason === MAX_RECEIVE_COUNT_REASON) {
      explained.add(letter.messageId);
      joined.push({
        ...letter,
        reason: record.reason,
        error: record.error,
        receiveCount: record.receiveCount,
        sourceArn: letter.sourceArn ?? record.sourceArn,
      });
    } else {
      joined.push(letter);
    }
  }
  for (const [original, record] of records) if (!explained.has(original)) joined.push(record);
  return joined;
}

/**
 * Peeks (VisibilityTimeout 0) at up to `max` DLQ messages; nothing is consumed.
 *
 * @example
 * for (const letter of await listDeadLetters(clients.sqs, dlqUrl, 100)) console.log(letter.reason, letter.type);
 */
export async function listDeadLetters(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  max = 100,
): Promise<DeadLetter[]> {
  const messages = await peekMessages(sqs, deadLetterQueueUrl, { maxMessages: max });
  return joinReasonRecords(messages.map(describeDeadLetter)).sort(
    (a, b) => (a.sentAt ?? 0) - (b.sentAt ?? 0),
  );
}

/** The ARN of a queue, from its QueueArn attribute. */
export async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes: attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (!attributes?.QueueArn) throw new Error(`queue ${queueUrl} has no QueueArn`);
  return attributes.QueueArn;
}

/** A message move task as `oncely dlq` reports it. */
export interface RedriveTask {
  readonly taskHandle: string | undefined;
  readonly status: string;
  readonly moved: number;
  readonly toMove: number | undefined;
  readonly failureReason: string | undefined;
}

/**
 * Starts a message move task from the DLQ. With `destinationArn` every message goes there (needed
 * for messages the consumer dead-lettered itself, which SQS cannot trace to a source); without it
 * each message returns to the queue it came from.
 *
 * @example
 * const handle = await startRedrive(clients.sqs, dlqArn, { destinationArn: queueArn });
 * const task = await waitForRedrive(clients.sqs, dlqArn, handle);
 */
export async function startRedrive(
  sqs: SQSClient,
  deadLetterQueueArn: string,
  options: { destinationArn?: string; maxPerSecond?: number } = {},
): Promise<string | undefined> {
  const { TaskHandle: handle } = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: deadLetterQueueArn,
      ...(options.destinationArn ? { DestinationArn: options.destinationArn } : {}),
      ...(options.maxPerSecond ? { MaxNumberOfMessagesPerSecond: options.maxPerSecond } : {}),
    }),
  );
  return handle;
}

/** The most recent move task of the DLQ. */
export async function latestRedrive(
  sqs: SQSClient,
  deadLetterQueueArn: string,
): Promise<RedriveTask | undefined> {
  const { Results: results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: deadLetterQueueArn, MaxResults: 1 }),
  );
  const task: ListMessageMoveTasksResultEntry | undefined = results[0];
  if (!task) return undefined;
  return {
    taskHandle: task.TaskHandle,
    status: task.Status ?? 'UNKNOWN',
    moved: task.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: task.ApproximateNumberOfMessagesToMove,
    failureReason: task.FailureReason,
  };
}

/** Follows the DLQ's move task until it is no longer RUNNING, reporting progress. */
export async function waitForRedrive(
  sqs: SQSClient,
  deadLetterQueueArn: string,
  options: {
    pollMs?: number;
    onProgress?: (task: RedriveTask) => void;
    sleep?: (ms: number) => Promise<void>;
  } = {},
): Promise<RedriveTask | undefined> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    const task = await latestRedrive(sqs, deadLetterQueueArn);
    if (task) options.onProgress?.(task);
    if (task?.status !== 'RUNNING') return task;
    await sleep(options.pollMs ?? 1000);
  }
}

/** Which DLQ messages {@link redriveSelected} moves, and where. */
export interface SelectiveRedriveOptions {
  /** Redrive only messages whose reason equals this (see {@link DeadLetter.reason}). */
  readonly reason?: string;
  /** Redrive only messages of this envelope type. */
  readonly type?: string;
  /** Redrive only these messages (SQS message ids of the DLQ copies, as {@link DeadLetter.messageId}). */
  readonly messageIds?: readonly string[];
  /** Where to send them; default: each message's source queue. */
  readonly destinationUrl?: string;
  /** Most messages to move. @default unlimited */
  readonly max?: number;
  /** How long received messages stay hidden while the run looks at the rest. @default 120 */
  readonly holdSeconds?: number;
  readonly onProgress?: (moved: number, failed: number) => void;
}

/** What {@link redriveSelected} did. */
export interface SelectiveRedriveResult {
  readonly moved: number;
  readonly skipped: number;
  readonly failed: number;
  /**
   * Messages left in the DLQ that could not be made visible again at the end: still there, but
   * hidden until their `holdSeconds` run out. Their errors are in `errors`.
   */
  readonly stillHidden: number;
  readonly errors: readonly string[];
}

/**
 * Receives DLQ messages (hidden for `holdSeconds`), re-sends the matching ones with body and
 * envelope attributes unchanged, and deletes each from the DLQ only after its send succeeded.
 * Non-matching and failed messages stay in the DLQ and are made visible again at the end.
 *
 * @example
 * const { moved } = await redriveSelected(clients.sqs, dlqUrl, { reason: MAX_RECEIVE_COUNT_REASON });
 */
export async function redriveSelected(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  options: SelectiveRedriveOptions,
): Promise<SelectiveRedriveResult> {
  const hold = options.holdSeconds ?? 120;
  const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
  const max = Math.min(options.max ?? Number.POSITIVE_INFINITY, wanted?.size ?? Number.POSITIVE_INFINITY);
  /** Messages received and still in the DLQ, by id, with their latest receipt handle. */
  const held = new Map<string, Message>();
  const seen = new Set<string>();
  const urlsByArn = new Map<string, string>();
  const errors: string[] = [];
  let moved = 0;
  let failed = 0;
  let skipped = 0;
  let stillHidden = 0;
  let empty = 0;
  try {
    while (moved < max && empty < 2) {
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: hold,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      let fresh = 0;
      for (const message of messages) {
        const id = message.MessageId ?? '';
        // Only the latest receipt handle can release a message, so remember it for every one.
        if (seen.has(id)) {
          held.set(id, message);
          continue;
        }
        seen.add(id);
        fresh += 1;
        const letter = describeDeadLetter(message);
        const matches =
          // A reason record is a note about another message, not a message to redrive.
          letter.reasonRecordOf === undefined &&
          (options.reason === undefined || letter.reason === options.reason) &&
          (options.type === undefined || letter.type === options.type) &&
          (wanted === undefined || wanted.has(id)) &&
          moved < max;
        if (!matches) {
          skipped += 1;
          held.set(id, message);
          continue;
        }
        try {
          const destination = options.destinationUrl ?? (await sourceUrlOf(sqs, letter, urlsByArn));
          await sqs.send(resendCommand(message, destination));
        } catch (error) {
          failed += 1;
          errors.push(`${letter.messageId}: ${(error as Error).message}`);
          held.set(id, message);
          continue;
        }
        // Only now is it safe to remove: the message exists in the destination queue.
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
        moved += 1;
        options.onProgress?.(moved, failed);
      }
      empty = fresh === 0 ? empty + 1 : 0;
    }
  } finally {
    // Whatever stays in the DLQ is visible again at once (else after `holdSeconds` anyway).
    for (const message of held.values()) {
      try {
        await release(sqs, deadLetterQueueUrl, message);
      } catch (error) {
        stillHidden += 1;
        errors.push(
          `${message.MessageId}: still in the DLQ but hidden for up to ${hold} s (${(error as Error).message})`,
        );
      }
    }
  }
  return { moved, skipped, failed, stillHidden, errors };
}

async function release(sqs: SQSClient, queueUrl: string, message: Message): Promise<void> {
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl,
      ReceiptHandle: message.ReceiptHandle,
      VisibilityTimeout: 0,
    }),
  );
}

async function sourceUrlOf(sqs: SQSClient, letter: DeadLetter, cache: Map<string, string>): Promise<string> {
  const arn = letter.sourceArn;
  if (!arn) throw new Error('the message names no source queue; pass the destination queue URL');
  const cached = cache.get(arn);
  if (cached) return cached;
  const [, , , , account, name] = arn.split(':');
  const { QueueUrl: url } = await sqs.send(
    new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
  );
  if (!url) throw new Error(`no URL for queue ${arn}`);
  cache.set(arn, url);
  return url;
}

const POISON_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(Object.values(POISON_ATTRIBUTES));

/** The original message again: same body, its own attributes without the poison annotations. */
function resendCommand(message: Message, queueUrl: string): SendMessageCommand {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (POISON_ATTRIBUTE_NAMES.has(name) || !value.DataType) continue;
    attributes[name] = {
      DataType: value.DataType,
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
    };
  }
  const fifo = isFifoQueueUrl(queueUrl);
  const groupId = message.Attributes?.MessageGroupId ?? streamSeqOf(message)?.producer ?? 'redrive';
  return new SendMessageCommand({
    QueueUrl: queueUrl,
    MessageBody: message.Body ?? '',
    ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
    // A fresh deduplication id: the original one may still be inside SQS's five-minute window.
    ...(fifo ? { MessageGroupId: groupId, MessageDeduplicationId: `${message.MessageId}-redrive` } : {}),
  });
}
