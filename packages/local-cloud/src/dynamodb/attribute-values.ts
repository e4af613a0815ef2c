/**
 * DynamoDB attribute values as they travel in AWS JSON (`{ "S": "x" }`, `{ "N": "1" }`, binary as
 * base64): validation, canonical numbers, ordering (strings by UTF-8 bytes, binary by bytes,
 * numbers by decimal value), equality, and the item size AWS bills and limits.
 */
import { AwsError } from '../protocol.js';
import { canonicalNumber, compareNumbers, numberSize } from './numbers.js';

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

export type Item = Record<string, AttributeValue>;

export type AttributeType = 'S' | 'N' | 'B' | 'BOOL' | 'NULL' | 'SS' | 'NS' | 'BS' | 'L' | 'M';

export const ATTRIBUTE_TYPES: readonly AttributeType[] = [
  'S',
  'N',
  'B',
  'BOOL',
  'NULL',
  'SS',
  'NS',
  'BS',
  'L',
  'M',
];

/** 400 KB: the largest item DynamoDB stores. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Nesting levels of an attribute value, the top-level attribute being level 1: 31 maps or lists
 * around a scalar. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-attributes
 * ("DynamoDB supports nested attributes up to 32 levels deep").
 */
export const MAX_NESTING_LEVELS = 32;

const NESTING_MESSAGE =
  'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';

/**
 * A new, empty item or map value. Items are keyed by client-chosen attribute names, so they have
 * no prototype: `__proto__` or `constructor` is an attribute like any other, and an attribute the
 * item lacks is never found on Object.prototype.
 */
export function emptyItem(): Item {
  return Object.create(null) as Item;
}

/** A ValidationException with the given message. */
export function validationError(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

/** The type tag of a value (`S`, `N`, ...). */
export function typeOf(value: AttributeValue): AttributeType {
  for (const key in value) return key as AttributeType;
  throw validationError(
    'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
  );
}

const SET_NAMES: Record<string, string> = { SS: 'string set', NS: 'number set', BS: 'binary set' };

/**
 * Checks a value received from a client and returns an owned copy with canonical numbers, so the
 * stored item never aliases request objects and numbers compare by string equality.
 */
export function normaliseValue(value: unknown, level = 1): AttributeValue {
  if (level > MAX_NESTING_LEVELS) throw validationError(NESTING_MESSAGE);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationError(
      'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
    );
  }
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    throw validationError(
      keys.length === 0
        ? 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes'
        : 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    );
  }
  const type = keys[0]!;
  const inner = (value as Record<string, unknown>)[type];
  switch (type) {
    case 'S':
      if (typeof inner !== 'string') throw serialization('S');
      return { S: inner };
    case 'N':
      if (typeof inner !== 'string') throw serialization('N');
      return { N: canonicalNumber(inner) };
    case 'B':
      if (typeof inner !== 'string') throw serialization('B');
      return { B: inner };
    case 'BOOL':
      if (typeof inner !== 'boolean') throw serialization('BOOL');
      return { BOOL: inner };
    case 'NULL':
      if (inner !== true) {
        throw validationError(
          'One or more parameter values were invalid: Null attribute value types must have the value of true',
        );
      }
      return { NULL: true };
    case 'SS':
    case 'NS':
    case 'BS': {
      if (!Array.isArray(inner) || inner.some((member) => typeof member !== 'string'))
        throw serialization(type);
      if (inner.length === 0) {
        throw validationError(
          `One or more parameter values were invalid: An ${SET_NAMES[type]}  may not be empty`,
        );
      }
      const members = type === 'NS' ? (inner as string[]).map(canonicalNumber) : [...(inner as string[])];
      if (new Set(members).size !== members.length) {
        throw validationError(
          `One or more parameter values were invalid: Input collection [${inner.join(', ')}] contains duplicates.`,
        );
      }
      return { [type]: members } as AttributeValue;
    }
    case 'L':
      if (!Array.isArray(inner)) throw serialization('L');
      return { L: inner.map((member) => normaliseValue(member, level + 1)) };
    case 'M':
      if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) throw serialization('M');
      return { M: normaliseItem(inner as Record<string, unknown>, level) };
    default:
      throw validationError(
        'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes',
      );
  }
}

function serialization(type: string): AwsError {
  return new AwsError('SerializationException', `Unexpected value type for attribute value member ${type}`);
}

/**
 * Checks and copies a whole item (see `normaliseValue`), or the members of a map value at nesting
 * `level` (0 for an item).
 */
export function normaliseItem(item: unknown, level = 0): Item {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
  }
  const result = emptyItem();
  for (const [name, value] of Object.entries(item)) {
    // Attribute names are 1 to 64 KB long, at the top level and inside maps alike (DynamoDB Local
    // 1.25.1 words the error as below). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.NamingRules
    if (name === '') throw validationError('Empty attribute name');
    result[name] = normaliseValue(value, level + 1);
  }
  return result;
}

/** Nesting levels of an item's deepest attribute (0 for an empty item); see MAX_NESTING_LEVELS. */
export function nestingLevels(item: Item): number {
  let deepest = 0;
  const walk = (value: AttributeValue, level: number): void => {
    deepest = Math.max(deepest, level);
    // Deeper than the limit is all a caller needs to know; no need to walk further.
    if (level > MAX_NESTING_LEVELS) return;
    if ('L' in value) for (const member of value.L) walk(member, level + 1);
    else if ('M' in value) for (const name in value.M) walk(value.M[name]!, level + 1);
  };
  for (const name in item) walk(item[name]!, 1);
  return deepest;
}

/** Rejects an item (after an update) nested deeper than DynamoDB allows. */
export function assertNesting(item: Item): void {
  if (nestingLevels(item) > MAX_NESTING_LEVELS) throw validationError(NESTING_MESSAGE);
}

/**
 * Rebuilds a stored item read back from JSON (a snapshot or log written by this engine) with
 * prototype-free maps, without validating it again.
 */
export function reviveItem(item: Item): Item {
  const result = emptyItem();
  for (const name of Object.keys(item)) result[name] = reviveValue(item[name]!);
  return result;
}

function reviveValue(value: AttributeValue): AttributeValue {
  if ('L' in value) return { L: value.L.map(reviveValue) };
  if ('M' in value) return { M: reviveItem(value.M) };
  return value;
}

/**
 * Compares strings by their UTF-8 bytes, which is code point order. UTF-16 code units agree with
 * it except for surrogates, which are lifted above U+FFFF's neighbours.
 */
export function compareStrings(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

export function compareBinary(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64'));
}

/** Orders two scalars of the same type (S, N or B); used for sort keys and comparators. */
export function compareScalars(a: AttributeValue, b: AttributeValue): number {
  if ('S' in a && 'S' in b) return compareStrings(a.S, b.S);
  if ('N' in a && 'N' in b) return compareNumbers(a.N, b.N);
  if ('B' in a && 'B' in b) return compareBinary(a.B, b.B);
  throw new Error('compareScalars: operands are not comparable scalars of one type');
}

export function isOrderable(value: AttributeValue): boolean {
  return 'S' in value || 'N' in value || 'B' in value;
}

/** Deep equality; sets compare as sets (order-free). */
export function valuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  const x = (a as Record<string, unknown>)[type];
  const y = (b as Record<string, unknown>)[type];
  switch (type) {
    case 'S':
    case 'N':
    case 'B':
    case 'BOOL':
    case 'NULL':
      return x === y;
    case 'SS':
    case 'NS':
    case 'BS': {
      const xs = x as string[];
      const ys = new Set(y as string[]);
      return xs.length === ys.size && xs.every((member) => ys.has(member));
    }
    case 'L': {
      const xs = x as AttributeValue[];
      const ys = y as AttributeValue[];
      return xs.length === ys.length && xs.every((member, i) => valuesEqual(member, ys[i]!));
    }
    case 'M': {
      const xm = x as Item;
      const ym = y as Item;
      const keys = Object.keys(xm);
      return (
        keys.length === Object.keys(ym).length &&
        keys.every((key) => ym[key] !== undefined && valuesEqual(xm[key]!, ym[key]!))
      );
    }
  }
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function binaryLength(base64: string): number {
  return Buffer.byteLength(base64, 'base64');
}

/** Bytes of one value as DynamoDB counts them for the item size limit and capacity units. */
export function valueSize(value: AttributeValue): number {
  if ('S' in value) return utf8Length(value.S);
  if ('N' in value) return numberSize(value.N);
  if ('B' in value) return binaryLength(value.B);
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return value.SS.reduce((sum, member) => sum + utf8Length(member), 0);
  if ('NS' in value) return value.NS.reduce((sum, member) => sum + numberSize(member), 0);
  if ('BS' in value) return value.BS.reduce((sum, member) => sum + binaryLength(member), 0);
  if ('L' in value) return value.L.reduce((sum, member) => sum + 1 + valueSize(member), 3);
  return Object.entries(value.M).reduce(
    (sum, [name, member]) => sum + 1 + utf8Length(name) + valueSize(member),
    3,
  );
}

/** Item size: attribute names plus values. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const name in item) size += utf8Length(name) + valueSize(item[name]!);
  return size;
}

/** Rejects items over 400 KB with AWS's message; returns the size. */
export function assertItemSize(item: Item): number {
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES) throw validationError('Item size has exceeded the maximum allowed size');
  return size;
}

/** Stable text of a key scalar, used as map keys (numbers are canonical, so equal numbers agree). */
export function scalarKey(value: AttributeValue): string {
  if ('S' in value) return `S${value.S}`;
  if ('N' in value) return `N${value.N}`;
  if ('B' in value) return `B${value.B}`;
  throw new Error('scalarKey: not a key scalar');
}

/** 32-bit FNV-1a; spreads partitions over Scan segments the way a hash-partitioned table would. */
export function partitionHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Shows a value the way AWS error messages do: `{S: abc}`-like. */
export function describeValue(value: AttributeValue): string {
  const type = typeOf(value);
  return `{${type}: ${JSON.stringify((value as Record<string, unknown>)[type])}}`;
}
