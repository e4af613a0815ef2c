/**
 * EventBridge event patterns: a pattern is an object whose leaves are arrays of allowed values;
 * an event matches when every field the pattern names matches. Supported leaf matchers: exact
 * values (string, number, boolean, null), `prefix`, `suffix`, `equals-ignore-case`,
 * `anything-but` (value, list, or `{prefix}`/`{suffix}`), `exists` and `numeric` ranges.
 */

export class EventPatternError extends Error {}

/** Parses and checks a pattern's shape; throws EventPatternError with a reason when it is invalid. */
export function parseEventPattern(text: string): Record<string, unknown> {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw new EventPatternError('Event pattern is not valid JSON');
  }
  if (!isObject(pattern)) throw new EventPatternError('Event pattern must be a JSON object');
  checkShape(pattern, '');
  return pattern;
}

function checkShape(pattern: Record<string, unknown>, path: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const where = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value)) throw new EventPatternError(`$or must be an array at ${where}`);
      for (const branch of value) if (isObject(branch)) checkShape(branch, where);
      continue;
    }
    if (Array.isArray(value)) continue;
    if (isObject(value)) {
      checkShape(value, where);
      continue;
    }
    throw new EventPatternError(`Event pattern leaf at ${where} must be an array`);
  }
}

/** Whether `event` matches `pattern` (both plain JSON values). */
export function matchesEventPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      const branches = (expected as unknown[]).filter(isObject);
      if (!branches.some((branch) => matchesEventPattern(branch, event))) return false;
      continue;
    }
    // Own fields only: an event without `constructor` does not have Object.prototype's.
    const present = isObject(event) && Object.hasOwn(event, key);
    const actual = present ? event[key] : undefined;
    if (Array.isArray(expected)) {
      if (!matchesLeaf(expected, actual, present)) return false;
    } else if (isObject(expected)) {
      if (!isObject(actual)) return false;
      if (!matchesEventPattern(expected, actual)) return false;
    }
  }
  return true;
}

function matchesLeaf(allowed: readonly unknown[], actual: unknown, present: boolean): boolean {
  // An array-valued field matches when any of its elements matches.
  const values = Array.isArray(actual) ? actual : [actual];
  return allowed.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) {
      return matcher.exists === (present && actual !== undefined);
    }
    if (!present) return false;
    return values.some((value) => matchesOne(matcher, value));
  });
}

function matchesOne(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  if ('prefix' in matcher) {
    const prefix = matcher.prefix;
    if (isObject(prefix) && typeof prefix['equals-ignore-case'] === 'string') {
      return (
        typeof value === 'string' &&
        value.toLowerCase().startsWith(prefix['equals-ignore-case'].toLowerCase())
      );
    }
    return typeof value === 'string' && typeof prefix === 'string' && value.startsWith(prefix);
  }
  if ('suffix' in matcher) {
    return typeof value === 'string' && typeof matcher.suffix === 'string' && value.endsWith(matcher.suffix);
  }
  if ('equals-ignore-case' in matcher) {
    const expected = matcher['equals-ignore-case'];
    return (
      typeof value === 'string' &&
      typeof expected === 'string' &&
      value.toLowerCase() === expected.toLowerCase()
    );
  }
  if ('anything-but' in matcher) {
    const excluded = matcher['anything-but'];
    if (Array.isArray(excluded)) return !excluded.includes(value);
    if (isObject(excluded)) return !matchesOne(excluded, value);
    return value !== excluded;
  }
  if ('numeric' in matcher && Array.isArray(matcher.numeric)) {
    if (typeof value !== 'number') return false;
    const terms = matcher.numeric;
    for (let index = 0; index + 1 < terms.length; index += 2) {
      const operator = terms[index];
      const bound = terms[index + 1];
      if (typeof bound !== 'number') return false;
      const ok =
        operator === '='
          ? value === bound
          : operator === '<'
            ? value < bound
            : operator === '<='
              ? value <= bound
              : operator === '>'
                ? value > bound
                : operator === '>='
                  ? value >= bound
                  : false;
      if (!ok) return false;
    }
    return true;
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
