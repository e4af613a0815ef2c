/**
 * Looking into SQS queues without consuming: approximate counts and peeks.
 *
 * A peek is a ReceiveMessage with VisibilityTimeout 0, so the message is visible again at once and
 * nothing is deleted. It is not free: every receive increments the message's
 * ApproximateReceiveCount (a message peeked maxReceiveCount times moves to the DLQ on its next
 * failure) and, on FIFO queues, briefly competes with consumers for the group. So the auditor peeks
 * only when a run found overdue messages, with a bounded number of receives.
 */
import {
  GetQueueAttributesCommand,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueInspector, QueueSighting, StreamSeqKey } from '../core/audit/audit-model.js';
import { streamSeqKey } from '../core/audit/audit-model.js';
import { ENVELOPE_ATTRIBUTES } from '../core/envelope.js';

/** A queue's approximate message counts. */
export interface QueueCounts {
  /** Waiting, receivable now. */
  readonly visible: number;
  /** Received by a consumer and not yet deleted, i.e. in flight. */
  readonly inFlight: number;
  readonly delayed: number;
  readonly retentionSeconds: number;
  /** Source queue ARN and the DLQ's maxReceiveCount, from RedrivePolicy, when set. */
  readonly maxReceiveCount?: number;
  readonly arn?: string;
}

/** The approximate visible, in-flight and delayed message counts of a queue. */
export async function readQueueCounts(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const names: QueueAttributeName[] = [
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
    'ApproximateNumberOfMessagesDelayed',
    'MessageRetentionPeriod',
    'RedrivePolicy',
    'QueueArn',
  ];
  const { Attributes: attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names }),
  );
  const redrive = attributes.RedrivePolicy
    ? (JSON.parse(attributes.RedrivePolicy) as { maxReceiveCount?: number | string })
    : undefined;
  return {
    visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    retentionSeconds: Number(attributes.MessageRetentionPeriod ?? 345_600),
    ...(redrive?.maxReceiveCount !== undefined ? { maxReceiveCount: Number(redrive.maxReceiveCount) } : {}),
    ...(attributes.QueueArn ? { arn: attributes.QueueArn } : {}),
  };
}

/** Options of {@link peekMessages}. */
export interface PeekOptions {
  /** Most distinct messages to collect. @default 1000 */
  readonly maxMessages?: number;
  /** Most ReceiveMessage calls. @default maxMessages / 10 + 5 */
  readonly maxReceives?: number;
  /** Stop early once this returns true for the messages seen so far. */
  readonly enough?: (seen: ReadonlyMap<string, Message>) => boolean;
}

/**
 * Receives with VisibilityTimeout 0 until the queue stops showing new messages (two receives in a
 * row with nothing new), returning distinct messages with all their attributes.
 */
export async function peekMessages(
  sqs: SQSClient,
  queueUrl: string,
  options: PeekOptions = {},
): Promise<Message[]> {
  const maxMessages = options.maxMessages ?? 1000;
  const maxReceives = options.maxReceives ?? Math.ceil(maxMessages / 10) + 5;
  const seen = new Map<string, Message>();
  let idle = 0;
  for (let receive = 0; receive < maxReceives && seen.size < maxMessages && idle < 2; receive++) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    let fresh = 0;
    for (const message of messages) {
      if (!message.MessageId || seen.has(message.MessageId)) continue;
      seen.set(message.MessageId, message);
      fresh += 1;
    }
    idle = fresh === 0 ? idle + 1 : 0;
    if (options.enough?.(seen)) break;
  }
  return [...seen.values()].slice(0, maxMessages);
}

/** (producer, seq) of a message: from the mirrored attributes, else from the JSON body. */
export function streamSeqOf(message: Message): { producer: string; seq: number; id?: string } | undefined {
  const attributes = message.MessageAttributes ?? {};
  const producer = attributes[ENVELOPE_ATTRIBUTES.producer]?.StringValue;
  const seq = Number(attributes[ENVELOPE_ATTRIBUTES.seq]?.StringValue);
  const id = attributes[ENVELOPE_ATTRIBUTES.id]?.StringValue;
  if (producer && Number.isInteger(seq)) return { producer, seq, ...(id ? { id } : {}) };
  try {
    const body = JSON.parse(message.Body ?? '') as { producer?: unknown; seq?: unknown; id?: unknown };
    if (typeof body.producer === 'string' && typeof body.seq === 'number')
      return {
        producer: body.producer,
        seq: body.seq,
        ...(typeof body.id === 'string' ? { id: body.id } : {}),
      };
  } catch {
    // Not an envelope (a poison message that was never JSON): it names no stream.
  }
  return undefined;
}

function keyOf(message: Message): StreamSeqKey | undefined {
  const at = streamSeqOf(message);
  return at && streamSeqKey(at.producer, at.seq);
}

/** The queues {@link SqsQueueInspector} may peek, and how many messages at most. */
export interface SqsQueueInspectorOptions {
  readonly queueUrl?: string;
  readonly deadLetterQueueUrl?: string;
  /** Most messages peeked per queue and run. @default 1000 */
  readonly maxPeek?: number;
}

/**
 * The auditor's view of the source queue and the DLQ.
 *
 * @example
 * const inspector = new SqsQueueInspector(clients.sqs, { queueUrl, deadLetterQueueUrl });
 */
export class SqsQueueInspector implements QueueInspector {
  constructor(
    private readonly sqs: SQSClient,
    private readonly options: SqsQueueInspectorOptions,
  ) {}

  async sight(queue: 'source' | 'dead-letter', wanted: ReadonlySet<StreamSeqKey>): Promise<QueueSighting> {
    const url = queue === 'source' ? this.options.queueUrl : this.options.deadLetterQueueUrl;
    if (!url) return { seen: new Set(), complete: false, retentionMs: 14 * 86_400_000 };
    const before = await readQueueCounts(this.sqs, url);
    const retentionMs = before.retentionSeconds * 1000;
    if (before.visible + before.inFlight + before.delayed === 0) {
      return { seen: new Set(), complete: true, retentionMs };
    }
    const maxPeek = this.options.maxPeek ?? 1000;
    if (queue === 'source' && (before.inFlight + before.delayed > 0 || before.visible > maxPeek)) {
      // The peek could not see everything, so it could not prove anything missing; it would only
      // relabel "in flight" as "queued" at the price of receive counts on live messages. Skip it.
      return { seen: new Set(), complete: false, retentionMs };
    }
    const seen = new Set<StreamSeqKey>();
    const messages = await peekMessages(this.sqs, url, {
      maxMessages: maxPeek,
      enough: (found) => {
        if (found.size >= before.visible) return true;
        const keys = new Set([...found.values()].map(keyOf));
        return [...wanted].every((key) => keys.has(key));
      },
    });
    for (const message of messages) {
      const key = keyOf(message);
      if (key) seen.add(key);
    }
    // Counts read after the peek too: a message moving between states must not make us overconfident.
    const after = await readQueueCounts(this.sqs, url);
    const unseen =
      Math.max(before.visible, after.visible) +
      Math.max(before.delayed, after.delayed) +
      Math.max(before.inFlight, after.inFlight) -
      messages.length;
    const allFound = [...wanted].every((key) => seen.has(key));
    return { seen, complete: allFound || unseen <= 0, retentionMs };
  }
}
