/**
 * Typed access to a decoded DynamoDB request. Every accessor rejects a wrongly shaped member with
 * the error AWS sends, so a malformed request becomes a 400 and never a crash of the engine.
 */
import { dictionary } from '../input-limits.js';
import { AwsError } from '../protocol.js';
import {
  type AttributeValue,
  type Item,
  normaliseItem,
  normaliseValue,
  validationError,
} from './attribute-values.js';
import { checkPlaceholders, type Placeholders } from './expression-evaluator.js';
import type { Parsed } from './expression-parser.js';

export type Input = Record<string, unknown>;

function serialization(member: string): AwsError {
  return new AwsError('SerializationException', `Unexpected value type in payload for member ${member}`);
}

export function asInput(value: unknown): Input {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
  }
  return value as Input;
}

export function optionalString(input: Input, member: string): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw serialization(member);
  return value;
}

export function requiredString(input: Input, member: string, constraint = member): string {
  const value = optionalString(input, member);
  if (value === undefined) {
    throw validationError(
      `1 validation error detected: Value null at '${constraint}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalNumber(input: Input, member: string): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw serialization(member);
  return value;
}

export function optionalBoolean(input: Input, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw serialization(member);
  return value;
}

export function optionalObject(input: Input, member: string): Input | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw serialization(member);
  return value as Input;
}

export function optionalArray(input: Input, member: string): unknown[] | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw serialization(member);
  return value;
}

export function requiredItem(input: Input, member: string): Item {
  const value = input[member];
  if (value === undefined || value === null) {
    throw validationError(
      `1 validation error detected: Value null at '${member.charAt(0).toLowerCase()}${member.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return normaliseItem(value);
}

export function optionalEnum<T extends string>(
  input: Input,
  member: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = optionalString(input, member);
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw validationError(
      `1 validation error detected: Value '${value}' at '${member.charAt(0).toLowerCase()}${member.slice(1)}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value as T;
}

const LEGACY = [
  'Expected',
  'ConditionalOperator',
  'AttributeUpdates',
  'KeyConditions',
  'QueryFilter',
  'ScanFilter',
  'AttributesToGet',
];

/** The legacy (pre-expression) parameters are not emulated; say so instead of ignoring them. */
export function rejectLegacyParameters(input: Input): void {
  for (const member of LEGACY) {
    if (input[member] !== undefined && input[member] !== null) {
      throw validationError(
        `The legacy parameter ${member} is not supported by the Oncely local cloud; use the expression parameters instead`,
      );
    }
  }
}

/**
 * The longest expression attribute name or value (the `#name` or `:value` key), in bytes.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-expression-parameters
 */
const MAX_PLACEHOLDER_BYTES = 255;

function checkPlaceholderKey(member: string, sigil: '#' | ':', key: string): void {
  if (!key.startsWith(sigil) || key.length < 2) {
    throw validationError(`${member} contains invalid key: Syntax error; key: "${key.slice(0, 255)}"`);
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_PLACEHOLDER_BYTES) {
    throw validationError(
      `${member} contains invalid key: The key is longer than ${MAX_PLACEHOLDER_BYTES} bytes; key length: ${bytes}`,
    );
  }
}

/** Reads ExpressionAttributeNames/Values and checks them against the expressions that use them. */
export function placeholdersOf(
  input: Input,
  expressions: readonly (Parsed<unknown> | undefined)[],
): Placeholders {
  const rawNames = optionalObject(input, 'ExpressionAttributeNames');
  const rawValues = optionalObject(input, 'ExpressionAttributeValues');
  const used = expressions.filter((expression): expression is Parsed<unknown> => expression !== undefined);
  if (used.length === 0) {
    if (rawNames)
      throw validationError('ExpressionAttributeNames can only be specified when using expressions');
    if (rawValues)
      throw validationError('ExpressionAttributeValues can only be specified when using expressions');
    return { names: undefined, values: undefined };
  }
  if (rawNames && Object.keys(rawNames).length === 0)
    throw validationError('ExpressionAttributeNames must not be empty');
  if (rawValues && Object.keys(rawValues).length === 0)
    throw validationError('ExpressionAttributeValues must not be empty');
  let names: Record<string, string> | undefined;
  if (rawNames) {
    names = dictionary();
    for (const [name, value] of Object.entries(rawNames)) {
      if (typeof value !== 'string') throw serialization('ExpressionAttributeNames');
      checkPlaceholderKey('ExpressionAttributeNames', '#', name);
      names[name] = value;
    }
  }
  let values: Record<string, AttributeValue> | undefined;
  if (rawValues) {
    values = dictionary();
    for (const [name, value] of Object.entries(rawValues)) {
      checkPlaceholderKey('ExpressionAttributeValues', ':', name);
      try {
        values[name] = normaliseValue(value);
      } catch (error) {
        if (error instanceof AwsError && error.code === 'ValidationException') {
          throw validationError(
            `ExpressionAttributeValues contains invalid value: ${error.message} for key ${name}`,
          );
        }
        throw error;
      }
    }
  }
  const placeholders = { names, values };
  checkPlaceholders(used, placeholders);
  return placeholders;
}
