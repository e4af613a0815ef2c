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

/** How much of the message text {@link parseDelivery} may quote in its errors. */
export interface DeliveryParseOptions {
  /**
   * Quote the body in errors (a JSON parse error quotes its first characters). Off unless payload
   * logging is on: errors go to logs and to the DLQ's `oncely.poison.error` attribute.
   */
  readonly quotePayload: boolean;
}

export function parseDelivery(
  record: SQSRecord,
  handlers: ReadonlyMap<string, EventHandler>,
  policy: ForeignMessagePolicy,
  options: DeliveryParseOptions = { quotePayload: false },
): ValidDelivery | PoisonInput {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    return {
      kind: 'poison',
      reason: 'body-not-json',
      error: options.quotePayload ? (error as Error).message : describeParseError(record.body, error),
    };
  }
  const unstorable = findUnstorableText(record.body, body);
  if (unstorable) return { kind: 'poison', reason: 'payload-invalid', error: unstorable };
  if (claimsToBeEnvelope(body, record)) return parseEnvelope(record, body, handlers, options.quotePayload);
  if (policy.envelopesOnly)
    return {
      kind: 'poison',
      reason: 'envelope-invalid',
      error: 'not an Oncely envelope, and this consumer takes envelopes only',
    };
  return parseForeign(readForeignMessage(record, body), handlers, policy, options.quotePayload);
}

function parseEnvelope(
  record: SQSRecord,
  body: unknown,
  handlers: ReadonlyMap<string, EventHandler>,
  quote: boolean,
): ValidDelivery | PoisonInput {
  const parsed = envelopeSchema.safeParse(body);
  if (!parsed.success)
    return { kind: 'poison', reason: 'envelope-invalid', error: describeSchemaError(parsed.error, quote) };
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
  return validate(message, handler, payload, quote);
}

function parseForeign(
  received: ReceivedMessage,
  handlers: ReadonlyMap<string, EventHandler>,
  policy: ForeignMessagePolicy,
  quote: boolean,
): ValidDelivery | PoisonInput {
  const known = { format: received.format, sqsMessageId: received.record.messageId };
  // An SNS Message is JSON inside a string: its escapes only become characters now.
  if (received.format === 'sns' && typeof received.payload !== 'string') {
    const message = (received.body as { Message: string }).Message;
    const unstorable = findUnstorableText(message, received.payload);
    if (unstorable) return { kind: 'poison', reason: 'payload-invalid', error: unstorable, message: known };
  }
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
  return validate(message, route.handler, received.payload, quote);
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
  quote: boolean,
): ValidDelivery | PoisonInput {
  const payload = handler.schema.safeParse(rawPayload);
  if (!payload.success)
    return {
      kind: 'poison',
      reason: 'payload-invalid',
      error: describeSchemaError(payload.error, quote),
      message,
    };
  return { kind: 'valid', message, handler, payload: payload.data, payloadHash: payloadHash(rawPayload) };
}

/**
 * A JSON parse error without the body text V8 quotes in it (`Unexpected token 'n', "not json S"...`):
 * only the body's size and, when V8 gives one, the position.
 */
function describeParseError(body: string, error: unknown): string {
  const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  return `the body is not JSON (${Buffer.byteLength(body, 'utf8')} bytes${
    position === undefined ? '' : `, error at position ${position}`
  }; the parser's message quotes the body, so it is left out unless logPayload is on)`;
}

/**
 * A lone UTF-16 surrogate (raw, or from a JSON escape such as `\ud800`), which neither SQS (its
 * allowed characters exclude #xD800-#xDFFF) nor DynamoDB (strings are UTF-8) can store, and an
 * applied one breaks every reader of the row. With the `u` flag a paired surrogate is one code
 * point, so only unpaired ones match.
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/**
 * U+FFFD, what a decoder leaves for invalid UTF-8 bytes. It is a valid character, but one in a
 * body means its text was already lost on the way, so applying it would store corrupted data.
 */
const REPLACEMENT_CHARACTER = '\uFFFD';

/** Why the body's text cannot be applied, or undefined. Walks the parsed value (escapes) without recursion. */
function findUnstorableText(raw: string, body: unknown): string | undefined {
  const problem = (text: string) =>
    LONE_SURROGATE.test(text)
      ? 'a lone UTF-16 surrogate (such as the escape \\ud800), which DynamoDB and SQS cannot store'
      : text.includes(REPLACEMENT_CHARACTER)
        ? 'U+FFFD, the replacement for invalid UTF-8 bytes: the text was corrupted before it arrived'
        : undefined;
  const found = problem(raw);
  if (found) return `the body holds ${found}`;
  // Escapes only exist in the raw text as `\u`: skip the walk for bodies without any.
  if (!raw.includes('\\u')) return undefined;
  const pending: unknown[] = [body];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      const inString = problem(value);
      if (inString) return `a string in the body holds ${inString}`;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, entry] of Object.entries(value)) {
        const inKey = problem(key);
        if (inKey) return `a field name in the body holds ${inKey}`;
        pending.push(entry);
      }
    }
  }
  return undefined;
}

/**
 * The schema's complaint. Zod quotes no values, but it names unrecognized keys, which are the
 * payload's own text: unless payload logging is on only their number is said.
 */
function describeSchemaError(error: z.ZodError, quote: boolean): string {
  if (quote) return z.prettifyError(error);
  const issues = error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? {
          ...issue,
          keys: [],
          message: `${issue.keys.length} unrecognized key(s) (names left out unless logPayload is on)`,
        }
      : issue,
  );
  return z.prettifyError(new z.ZodError(issues));
}

function describeKey(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return value === '' ? 'an empty string' : `${value.length} characters`;
}
