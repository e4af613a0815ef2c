/**
 * DynamoDB's Number type: decimal, up to 38 significant digits, magnitude 1E-130 to
 * 9.99...E+125. JavaScript doubles would silently round (and `0.1 + 0.2` would not be `0.3`), so
 * numbers are kept as a BigInt mantissa with a base-10 exponent.
 */
import { AwsError } from '../protocol.js';

/** value = mantissa * 10^exponent, mantissa without trailing zeros (0 has exponent 0). */
export interface Decimal {
  readonly mantissa: bigint;
  readonly exponent: number;
}

const MAX_DIGITS = 38;
const NUMBER_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

/** Parses a DynamoDB number string; throws the ValidationException AWS sends for a bad one. */
export function parseDecimal(text: string): Decimal {
  // No trimming: " 3" is not a number to DynamoDB ("A value provided cannot be converted into a number").
  const match = NUMBER_PATTERN.exec(text);
  const integer = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || (integer === '' && fraction === '')) {
    throw validation('A value provided cannot be converted into a number');
  }
  let digits = (integer + fraction).replace(/^0+/, '');
  let exponent = Number(match[4] ?? '0') - fraction.length;
  if (digits === '') return { mantissa: 0n, exponent: 0 };
  const trimmed = digits.replace(/0+$/, '');
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  const mantissa = BigInt(digits);
  return checkRange({ mantissa: match[1] === '-' ? -mantissa : mantissa, exponent });
}

function checkRange(value: Decimal): Decimal {
  if (value.mantissa === 0n) return value;
  const digits = (value.mantissa < 0n ? -value.mantissa : value.mantissa).toString().length;
  if (digits > MAX_DIGITS) {
    throw validation('Attempting to store more than 38 significant digits in a Number');
  }
  // Magnitude as d.ddd * 10^e where e = exponent + digits - 1.
  const scale = value.exponent + digits - 1;
  if (scale > 125) {
    throw validation(
      'Number overflow. Attempting to store a number with magnitude larger than supported range',
    );
  }
  if (scale < -130) {
    throw validation(
      'Number underflow. Attempting to store a number with magnitude smaller than supported range',
    );
  }
  return value;
}

function normalise(mantissa: bigint, exponent: number): Decimal {
  if (mantissa === 0n) return { mantissa: 0n, exponent: 0 };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  return checkRange({ mantissa, exponent });
}

/** The canonical text DynamoDB returns: no exponent, no superfluous zeros (`1.50` -> `1.5`). */
export function formatDecimal(value: Decimal): string {
  if (value.mantissa === 0n) return '0';
  const negative = value.mantissa < 0n;
  const digits = (negative ? -value.mantissa : value.mantissa).toString();
  let text: string;
  if (value.exponent >= 0) {
    text = digits + '0'.repeat(value.exponent);
  } else {
    const point = digits.length + value.exponent;
    text =
      point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

/** Canonical form of a number string; throws on invalid input. */
export function canonicalNumber(text: string): string {
  return formatDecimal(parseDecimal(text));
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exponent = Math.min(a.exponent, b.exponent);
  return [
    a.mantissa * 10n ** BigInt(a.exponent - exponent),
    b.mantissa * 10n ** BigInt(b.exponent - exponent),
    exponent,
  ];
}

export function compareDecimals(a: Decimal, b: Decimal): number {
  if (a.mantissa === 0n || b.mantissa === 0n || a.mantissa < 0n !== b.mantissa < 0n) {
    return a.mantissa < b.mantissa ? -1 : a.mantissa > b.mantissa ? 1 : 0;
  }
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compares two canonical number strings numerically. */
export function compareNumbers(a: string, b: string): number {
  if (a === b) return 0;
  return compareDecimals(parseDecimal(a), parseDecimal(b));
}

/** Exact decimal sum; a result needing more than 38 digits is rejected, as DynamoDB does. */
export function addNumbers(a: string, b: string): string {
  const [x, y, exponent] = align(parseDecimal(a), parseDecimal(b));
  return formatDecimal(normalise(x + y, exponent));
}

export function subtractNumbers(a: string, b: string): string {
  const [x, y, exponent] = align(parseDecimal(a), parseDecimal(b));
  return formatDecimal(normalise(x - y, exponent));
}

/**
 * Bytes DynamoDB counts for a number: "approximately ... 1 byte per two significant digits, plus
 * 1 byte" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 * Exactly: digits are stored in pairs aligned on the decimal point (so 1.5 takes two pairs, 15
 * one), plus one byte, plus one more for a negative number; zero is one byte. These are the
 * sizes DynamoDB Local 1.25.1 enforces at the 400 KB item limit, and the ones dynalite recorded.
 */
export function numberSize(canonical: string): number {
  const { mantissa, exponent } = parseDecimal(canonical);
  if (mantissa === 0n) return 1;
  const digits = (mantissa < 0n ? -mantissa : mantissa).toString().length;
  // The power of ten of the leading digit decides where the pairs start.
  const leading = exponent + digits - 1;
  const pairs = Math.ceil(digits / 2) + (digits % 2 === 0 && leading % 2 === 0 ? 1 : 0);
  return 1 + pairs + (mantissa < 0n ? 1 : 0);
}
