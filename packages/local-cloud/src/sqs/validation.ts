/**
 * Input checks shared by the SQS operations. Every failure is the AwsError SQS itself would
 * return, so bad input never reaches the message store.
 */
import { AwsError } from '../protocol.js';
import type { MessageAttributeValue } from './digests.js';
import { invalidParameter, missingParameter } from './errors.js';

export type Input = Record<string, unknown>;

export function asInput(value: unknown): Input {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  return value as Input;
}

export function requiredString(input: Input, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw missingParameter(name);
  if (typeof value !== 'string') throw invalidParameter(`Value for parameter ${name} must be a string.`);
  return value;
}

export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`Value for parameter ${name} must be a string.`);
  return value;
}

/**
 * An integer parameter within `[min, max]`; the query protocol's digit strings are accepted too.
 * `reason` words the error where AWS's wording is known.
 */
export function optionalInteger(
  input: Input,
  name: string,
  min: number,
  max: number,
  reason = `must be an integer between ${min} and ${max}.`,
): number | undefined {
  const raw = input[name];
  if (raw === undefined || raw === null) return undefined;
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Value ${String(raw)} for parameter ${name} is invalid. Reason: ${reason}`);
  }
  return value;
}

export function stringList(input: Input, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidParameter(`Value for parameter ${name} must be a list of strings.`);
  }
  return value as string[];
}

export function stringMap(input: Input, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidParameter(`Value for parameter ${name} must be a map of strings.`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalidParameter(`Value for ${name}.${key} must be a string.`);
  }
  return value as Record<string, string>;
}

export function entryList(input: Input, name: string): Input[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParameter(`Value for parameter ${name} must be a list.`);
  return value.map(asInput);
}

/**
 * Message bodies may hold only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF;
 * with the `u` flag a lone surrogate is its own code point and so is rejected too.
 * See https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function validateBody(body: unknown): string {
  if (body === undefined || body === null || body === '') throw missingParameter('MessageBody');
  if (typeof body !== 'string') throw invalidParameter('Value for parameter MessageBody must be a string.');
  if (INVALID_BODY_CHARACTER.test(body)) {
    throw new AwsError(
      'InvalidMessageContents',
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    );
  }
  return body;
}

/**
 * Letters and digits of any script, `_`, `-` and `.`: AWS accepts `attr.1øßä` and refuses `§`, `!`,
 * `"`, `(` and `?` (recorded: test_send_message_with_invalid_string_attributes in LocalStack's
 * AWS-validated tests).
 */
const ATTRIBUTE_NAME = /^[\p{L}\p{N}_.-]{1,256}$/u;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;

/**
 * Message attribute rules from
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
 * Returns the attributes (undefined when none) and their size in bytes, which counts towards the
 * message size limit.
 */
export function validateMessageAttributes(
  raw: unknown,
  kind: 'user' | 'system',
): { attributes: Record<string, MessageAttributeValue> | undefined; bytes: number } {
  if (raw === undefined || raw === null) return { attributes: undefined, bytes: 0 };
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw invalidParameter('Message attributes must be a map.');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) return { attributes: undefined, bytes: 0 };
  if (kind === 'user' && entries.length > 10) {
    throw invalidParameter(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  }
  const attributes: Record<string, MessageAttributeValue> = {};
  let bytes = 0;
  for (const [name, value] of entries) {
    if (kind === 'system' && name !== 'AWSTraceHeader') {
      throw invalidParameter(`Message system attribute name '${name}' is invalid.`);
    }
    if (
      !ATTRIBUTE_NAME.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      name.includes('..') ||
      (kind === 'user' && /^(aws\.|amazon\.)/i.test(name))
    ) {
      throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    }
    if (typeof value !== 'object' || value === null) {
      throw invalidParameter(`Message attribute '${name}' must contain a value.`);
    }
    const { DataType, StringValue, BinaryValue } = value as Record<string, unknown>;
    if (typeof DataType !== 'string' || DataType === '') {
      throw invalidParameter(
        `The message attribute '${name}' must contain a non-empty message attribute type.`,
      );
    }
    if (!DATA_TYPE.test(DataType) || DataType.length > 256) {
      throw invalidParameter(
        `The type of message attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    if (kind === 'system' && DataType !== 'String') {
      throw invalidParameter(`The type of message system attribute '${name}' must be String.`);
    }
    const base = DataType.split('.')[0]!;
    if (base === 'Binary') {
      if (
        typeof BinaryValue !== 'string' ||
        BinaryValue === '' ||
        !/^[A-Za-z0-9+/]*={0,2}$/.test(BinaryValue)
      ) {
        throw invalidParameter(
          `Message (${kind}) attribute '${name}' must contain a non-empty value of type 'Binary'.`,
        );
      }
      setOwn(attributes, name, { DataType, BinaryValue });
      bytes += Buffer.byteLength(BinaryValue, 'base64');
    } else {
      if (typeof StringValue !== 'string' || StringValue === '') {
        throw invalidParameter(
          // AWS's wording (recorded: test_send_message_with_empty_string_attribute).
          `Message (${kind}) attribute '${name}' must contain a non-empty value of type '${base}'.`,
        );
      }
      if (INVALID_BODY_CHARACTER.test(StringValue)) {
        throw invalidParameter(`The message attribute '${name}' contains invalid characters.`);
      }
      if (base === 'Number' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(StringValue)) {
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      setOwn(attributes, name, { DataType, StringValue });
      bytes += Buffer.byteLength(StringValue, 'utf8');
    }
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(DataType, 'utf8');
  }
  return { attributes, bytes };
}

/** Message group and deduplication ids: 1-128 alphanumeric or punctuation characters. */
export function validateFifoId(name: string, value: string): void {
  if (!/^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/.test(value)) {
    throw invalidParameter(
      `Value ${value} for parameter ${name} is invalid. Reason: ${name} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
}

/** Batch entry ids: up to 80 alphanumeric, hyphen or underscore characters, distinct within a request. */
export function validateBatchIds(entries: readonly Input[], maxEntries = 10): void {
  if (entries.length === 0) {
    throw new AwsError(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  }
  if (entries.length > maxEntries) {
    throw new AwsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${maxEntries}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = entry.Id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw new AwsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (seen.has(id)) throw new AwsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
}

/**
 * Assigns an own property even for the name `__proto__`, which is a valid attribute name but
 * would otherwise replace the object's prototype instead of adding a key.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
