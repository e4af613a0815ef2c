/**
 * A small subset of CloudWatch metric math: arithmetic (`+ - * /`, parentheses, numbers) over the
 * ids of other queries, e.g. `m1 + m2` or `100 * errors / invocations`. Series are aligned by
 * timestamp; a timestamp missing from one operand is missing from the result.
 */

/** Timestamp (ms) -> value. */
export type Series = ReadonlyMap<number, number>;

type Value = number | Series;

export class MetricMathError extends Error {}

/** Evaluates `expression` with `series` as its variables; the result is always a series. */
export function evaluateExpression(expression: string, series: ReadonlyMap<string, Series>): Series {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];

  const primary = (): Value => {
    const token = next();
    if (token === undefined) throw new MetricMathError(`Unexpected end of expression: ${expression}`);
    if (token === '(') {
      const value = sum();
      if (next() !== ')') throw new MetricMathError(`Missing ')' in ${expression}`);
      return value;
    }
    if (token === '-') return combine(0, primary(), '-');
    if (/^\d/.test(token)) return Number(token);
    const found = series.get(token);
    if (!found) throw new MetricMathError(`Unknown metric id '${token}' in ${expression}`);
    return found;
  };
  const product = (): Value => {
    let value = primary();
    while (peek() === '*' || peek() === '/') {
      const operator = next()!;
      value = combine(value, primary(), operator);
    }
    return value;
  };
  const sum = (): Value => {
    let value = product();
    while (peek() === '+' || peek() === '-') {
      const operator = next()!;
      value = combine(value, product(), operator);
    }
    return value;
  };

  const result = sum();
  if (position !== tokens.length) throw new MetricMathError(`Unsupported expression: ${expression}`);
  if (typeof result === 'number') {
    // A constant is defined at every timestamp any input has.
    const timestamps = new Set([...series.values()].flatMap((s) => [...s.keys()]));
    return new Map([...timestamps].map((t) => [t, result]));
  }
  return result;
}

/**
 * Parentheses nest at most this deep: the parser recurses per level, and a query's Expression is
 * at most 2048 characters (API_MetricDataQuery.html), which no real expression nests near.
 */
const MAX_PARENTHESES = 100;

function tokenize(expression: string): string[] {
  const tokens = expression.match(/\s*(\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/()])\s*/g);
  const joined = (tokens ?? []).join('');
  if (joined.length !== expression.length) throw new MetricMathError(`Unsupported expression: ${expression}`);
  const trimmed = (tokens ?? []).map((token) => token.trim());
  let depth = 0;
  for (const token of trimmed) {
    if (token === '(' && ++depth > MAX_PARENTHESES) {
      throw new MetricMathError(`Parentheses nest deeper than ${MAX_PARENTHESES} levels in the expression.`);
    }
    if (token === ')') depth--;
  }
  return trimmed;
}

function apply(a: number, b: number, operator: string): number | undefined {
  switch (operator) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : a / b;
  }
  return undefined;
}

function combine(left: Value, right: Value, operator: string): Value {
  if (typeof left === 'number' && typeof right === 'number')
    return apply(left, right, operator) ?? Number.NaN;
  const result = new Map<number, number>();
  const timestamps = typeof left === 'number' ? [...(right as Series).keys()] : [...left.keys()];
  for (const t of timestamps) {
    const a = typeof left === 'number' ? left : left.get(t);
    const b = typeof right === 'number' ? right : right.get(t);
    if (a === undefined || b === undefined) continue;
    const value = apply(a, b, operator);
    if (value !== undefined) result.set(t, value);
  }
  return result;
}
