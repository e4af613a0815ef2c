/**
 * Reading an SQS record's body: an Oncely envelope, or a message some other producer sent - a plain
 * JSON body, an SNS notification (raw delivery or wrapped), or an EventBridge event delivered to
 * SQS. Each shape says where its payload and its type are; docs/interop.md lists what the consumer
 * then guarantees for each.
 */
import type { SQSRecord } from 'aws-lambda';
import { ENVELOPE_ATTRIBUTES } from '../envelope.js';

/**
 * How a body was read:
 * - `oncely`: an Oncely envelope (stamped id, producer, seq);
 * - `sns`: an SNS notification wrapped in its JSON document (subscription without raw delivery);
 * - `eventbridge`: an EventBridge event (a rule with an SQS target);
 * - `json`: any other JSON body, SNS raw delivery included.
 */
export type MessageFormat = 'oncely' | 'json' | 'sns' | 'eventbridge';

/** A delivered message as the consumer read it, before it is routed to a handler. */
export interface ReceivedMessage {
  readonly format: MessageFormat;
  /** The SQS record as Lambda delivered it (message id, attributes, message attributes). */
  readonly record: SQSRecord;
  /** The body, parsed from JSON. */
  readonly body: unknown;
  /**
   * What the handler's schema validates: the envelope's `payload`, the SNS `Message` (parsed when it
   * is JSON, else the string), the EventBridge `detail`, or the whole body.
   */
  readonly payload: unknown;
  /**
   * The type the message declares, if any: the envelope's `type`; for SNS the `type` message
   * attribute, else the `Subject`; for EventBridge the `detail-type`; for other JSON the `type` SQS
   * message attribute, else a string `type` field of the body.
   */
  readonly declaredType: string | undefined;
  /** The SNS MessageId or the EventBridge event id; the same on every delivery of one notification. */
  readonly wrapperId: string | undefined;
  /** When the event happened, if the message says: SNS `Timestamp`, EventBridge `time`. */
  readonly occurredAt: string | undefined;
}

/** The Oncely stamps in a body, or the id mirror in the attributes, mark it as meant to be an envelope. */
export function claimsToBeEnvelope(body: unknown, record: Pick<SQSRecord, 'messageAttributes'>): boolean {
  if (record.messageAttributes?.[ENVELOPE_ATTRIBUTES.id] !== undefined) return true;
  return isObject(body) && 'producer' in body && 'seq' in body;
}

/** Reads a body that is not an Oncely envelope. */
export function readForeignMessage(record: SQSRecord, body: unknown): ReceivedMessage {
  const base = { record, body };
  if (isSnsNotification(body)) {
    const typeAttribute = body.MessageAttributes?.type;
    return {
      ...base,
      format: 'sns',
      payload: parseJsonOr(body.Message),
      declaredType:
        typeAttribute?.Type === 'String' && typeof typeAttribute.Value === 'string'
          ? typeAttribute.Value
          : nonEmptyString(body.Subject),
      wrapperId: nonEmptyString(body.MessageId),
      occurredAt: nonEmptyString(body.Timestamp),
    };
  }
  if (isEventBridgeEvent(body)) {
    return {
      ...base,
      format: 'eventbridge',
      payload: body.detail,
      declaredType: body['detail-type'],
      wrapperId: nonEmptyString(body.id),
      occurredAt: nonEmptyString(body.time),
    };
  }
  return {
    ...base,
    format: 'json',
    payload: body,
    declaredType:
      nonEmptyString(record.messageAttributes?.type?.stringValue) ??
      (isObject(body) ? nonEmptyString(body.type) : undefined),
    wrapperId: undefined,
    occurredAt: undefined,
  };
}

interface SnsNotification {
  readonly Type: 'Notification';
  readonly TopicArn: string;
  readonly Message: string;
  readonly MessageId?: unknown;
  readonly Subject?: unknown;
  readonly Timestamp?: unknown;
  readonly MessageAttributes?: Readonly<
    Record<string, { readonly Type?: unknown; readonly Value?: unknown }>
  >;
}

function isSnsNotification(body: unknown): body is SnsNotification {
  return (
    isObject(body) &&
    body.Type === 'Notification' &&
    typeof body.TopicArn === 'string' &&
    typeof body.Message === 'string'
  );
}

interface EventBridgeEvent {
  readonly 'detail-type': string;
  readonly source: string;
  readonly detail: unknown;
  readonly id?: unknown;
  readonly time?: unknown;
}

function isEventBridgeEvent(body: unknown): body is EventBridgeEvent {
  return (
    isObject(body) &&
    typeof body['detail-type'] === 'string' &&
    typeof body.source === 'string' &&
    'detail' in body
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** SNS carries the message as a string; most publishers put JSON in it. */
function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the handler's schema gets the text itself (z.string() accepts it).
    return text;
  }
}
