/**
 * Turns an SQS record into a validated delivery - the handler it goes to, its payload, and the key
 * its claim is taken under - or says why it is poison: input that can never succeed however often
 * it is retried.
 */
import type { SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { type Envelope, envelopeSchema } from '../envelope.js';
import type { EventHandler } from './event-handlers.js';
import { payloadHash } from './payload-hash.js';
import type { PoisonReason } from './ports.js';
import {
  claimsToBeEnvelope,
  type MessageFormat,
  type ReceivedMessage,
  readForeignMessage,
} from './received-message.js';

/** What a handler learns about the message it handles (besides the payload). */
export interface MessageInfo {
  /** The claim key: the envelope id, or for other messages what the key function returned. */
  readonly id: string;
  /** The event type the message was routed by (its handler's type). */
  readonly type: string;
  readonly format: MessageFormat;
  /** The Oncely stamps (id, type, producer, seq, key, occurredAt); only Oncely envelopes have them. */
  readonly envelope: Omit<Envelope, 'payload'> | undefined;
  /** When the event happened, if the message says (envelope, SNS or EventBridge timestamp). */
  readonly occurredAt: string | undefined;
  /** The SQS message id of this delivery (differs between deliveries of the same SNS/EventBridge event). */
  readonly sqsMessageId: string;
}

/** How messages that are not Oncely envelopes are keyed and routed (see ConsumerOptions). */
export interface ForeignMessagePolicy {
  readonly key: ((message: ReceivedMessage) => string) | undefined;
  readonly typeOf: ((message: ReceivedMessage) => string | undefined) | undefined;
  readonly envelopesOnly: boolean;
}

export interface ValidDelivery {
  readonly kind: 'valid';
  readonly message: MessageInfo;
  readonly handler: EventHandler;
  /** The payload as the handler's schema parsed it. */
  readonly payload: unknown;
  /** Hash of the payload as sent (before parsing), so schema defaults cannot change it. */
  readonly payloadHash: string;
}

export interface PoisonInput {
  readonly kind: 'poison';
  readonly reason: PoisonReason;
  readonly error: string;
  /** What is known about the message, for logs. */
  readonly message?: Partial<MessageInfo>;
}

/** The longest claim key accepted; DynamoDB allows 2048 bytes in a partition key. */
const MAX_KEY_LENGTH = 1024;

/**
 * The default claim key of a message that is not an Oncely envelope: its MessageDeduplicationId on
 * a FIFO queue (so the sender's deduplication id also deduplicates beyond SQS's five-minute window),
 * else its SQS message id (so a redelivery of the same SQS message is applied once).
 */
export function defaultMessageKey(message: Pick<ReceivedMessage, 'record'>): string {
  return message.record.attributes?.MessageDeduplicationId || message.record.messageId;
}

export function parseDelivery(
  record: SQSRecord,
  handlers: ReadonlyMap<string, EventHandler>,
  policy: ForeignMessagePolicy,
): ValidDelivery | PoisonInput {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    return { kind: 'poison', reason: 'body-not-json', error: (error as Error).message };
  }
  if (claimsToBeEnvelope(body, record)) return parseEnvelope(record, body, handlers);
  if (policy.envelopesOnly)
    return {
      kind: 'poison',
      reason: 'envelope-invalid',
      error: 'not an Oncely envelope, and this consumer takes envelopes only',
    };
  return parseForeign(readForeignMessage(record, body), handlers, policy);
}

function parseEnvelope(
  record: SQSRecord,
  body: unknown,
  handlers: ReadonlyMap<string, EventHandler>,
): ValidDelivery | PoisonInput {
  const parsed = envelopeSchema.safeParse(body);
  if (!parsed.success)
    return { kind: 'poison', reason: 'envelope-invalid', error: z.prettifyError(parsed.error) };
  const { payload, ...envelope } = parsed.data;
  const message: MessageInfo = {
    id: envelope.id,
    type: envelope.type,
    format: 'oncely',
    envelope,
    occurredAt: envelope.occurredAt,
    sqsMessageId: record.messageId,
  };
  const handler = handlers.get(envelope.type);
  if (!handler)
    return {
      kind: 'poison',
      reason: 'unknown-type',
      error: `no handler for type '${envelope.type}'`,
      message,
    };
  return validate(message, handler, payload);
}

function parseForeign(
  received: ReceivedMessage,
  handlers: ReadonlyMap<string, EventHandler>,
  policy: ForeignMessagePolicy,
): ValidDelivery | PoisonInput {
  const known = { format: received.format, sqsMessageId: received.record.messageId };
  const route = routeForeign(received, handlers, policy);
  if (route.kind === 'poison') return { ...route, message: known };

  let id: unknown;
  try {
    id = (policy.key ?? defaultMessageKey)(received);
  } catch (error) {
    return {
      kind: 'poison',
      reason: 'key-invalid',
      error: `the key function threw: ${String(error)}`,
      message: known,
    };
  }
  if (typeof id !== 'string' || id === '' || id.length > MAX_KEY_LENGTH)
    return {
      kind: 'poison',
      reason: 'key-invalid',
      error: `the key function must return a string of 1 to ${MAX_KEY_LENGTH} characters, got ${describeKey(id)}`,
      message: known,
    };
  const message: MessageInfo = {
    ...known,
    id,
    type: route.handler.type,
    envelope: undefined,
    occurredAt: received.occurredAt,
  };
  return validate(message, route.handler, received.payload);
}

/**
 * A foreign message's handler: the one `typeOf` names; without `typeOf`, the only handler when
 * there is just one (it takes every message that is not an envelope), else the declared type's.
 */
function routeForeign(
  received: ReceivedMessage,
  handlers: ReadonlyMap<string, EventHandler>,
  policy: ForeignMessagePolicy,
): { kind: 'routed'; handler: EventHandler } | Omit<PoisonInput, 'message'> {
  let type: string | undefined;
  if (policy.typeOf) {
    try {
      type = policy.typeOf(received);
    } catch (error) {
      return { kind: 'poison', reason: 'unknown-type', error: `typeOf threw: ${String(error)}` };
    }
  } else if (handlers.size === 1) {
    return { kind: 'routed', handler: handlers.values().next().value as EventHandler };
  } else {
    type = received.declaredType;
  }
  if (type === undefined)
    return {
      kind: 'poison',
      reason: 'unknown-type',
      error: `a ${received.format} message that names no type, and ${handlers.size} handlers to choose from`,
    };
  const handler = handlers.get(type);
  return handler
    ? { kind: 'routed', handler }
    : { kind: 'poison', reason: 'unknown-type', error: `no handler for type '${type}'` };
}

function validate(
  message: MessageInfo,
  handler: EventHandler,
  rawPayload: unknown,
): ValidDelivery | PoisonInput {
  const payload = handler.schema.safeParse(rawPayload);
  if (!payload.success)
    return { kind: 'poison', reason: 'payload-invalid', error: z.prettifyError(payload.error), message };
  return { kind: 'valid', message, handler, payload: payload.data, payloadHash: payloadHash(rawPayload) };
}

function describeKey(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return value === '' ? 'an empty string' : `${value.length} characters`;
}
