/**
 * Guards every service applies to what a client sends before it reaches the engines: a nesting
 * limit for JSON documents (checked on the text, without recursion, so a hostile document cannot
 * overflow the stack of the code that would otherwise walk it) and dictionaries for user-chosen
 * keys that have no prototype, so a key such as `__proto__` or `constructor` is data like any
 * other and never reaches Object.prototype.
 */

/**
 * Nesting accepted in a request body. AWS's JSON deserialisers reject documents nested deeper than
 * about a thousand levels; no AWS request shape needs more than a few dozen (a DynamoDB item's 32
 * levels are 64 JSON levels plus the envelope).
 */
export const MAX_JSON_DEPTH = 1000;

/** Whether the JSON text nests objects and arrays deeper than `limit` (strings are skipped). */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c /* \ */) index++;
      else if (code === 0x22 /* " */) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** A dictionary keyed by client-chosen names: no prototype, so every key is an own key. */
export function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Copies entries into a prototype-free dictionary (an own `__proto__` key stays a key). */
export function dictionaryFrom<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const result = dictionary<T>();
  for (const [key, value] of entries) result[key] = value;
  return result;
}

/** The value stored under an own key, never one inherited from a prototype. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
