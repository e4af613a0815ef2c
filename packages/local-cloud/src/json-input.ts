/**
 * Typed reading of AWS JSON-protocol requests: each member is taken with its shape (string,
 * number, list, structure) and its documented length, range, pattern or enum, so no service acts
 * on a value of the wrong type or out of range. Services bind it to their own error names (what
 * AWS answers for a missing member, a member of the wrong type, and one out of its constraints).
 */
import type { AwsError } from './protocol.js';

export type Input = Record<string, unknown>;

export interface InputErrors {
  /** A required member is absent. */
  missing(path: string): AwsError;
  /** A member has the wrong JSON type. */
  serialization(path: string): AwsError;
  /** A member breaks its length, range, pattern or enum. */
  constraint(path: string, value: unknown, rule: string): AwsError;
}

export interface StringRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  readonly values?: readonly string[];
}

export interface NumberRule {
  readonly required?: boolean;
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export interface ListRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** "1 validation error detected" as AWS writes it; the value is shown cut to 256 characters. */
export function validationMessage(path: string, value: unknown, rule: string): string {
  const shown = typeof value === 'string' ? value.slice(0, 256) : JSON.stringify(value)?.slice(0, 256);
  return `1 validation error detected: Value '${shown}' at '${path}' failed to satisfy constraint: ${rule}`;
}

/** Readers for one service's error names. `path` is the member as AWS names it in messages. */
export class JsonInputReader {
  constructor(readonly errors: InputErrors) {}

  structure(value: unknown, path: string): Input {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.errors.serialization(path);
    }
    return value as Input;
  }

  optionalStructure(input: Input, name: string, path = name): Input | undefined {
    const value = input[name];
    return present(value) ? this.structure(value, path) : undefined;
  }

  string(input: Input, name: string, rule: StringRule = {}, path = name): string | undefined {
    const value = input[name];
    if (!present(value)) {
      if (rule.required) throw this.errors.missing(path);
      return undefined;
    }
    if (typeof value !== 'string') throw this.errors.serialization(path);
    if (rule.required && value === '') throw this.errors.missing(path);
    const min = rule.min ?? (rule.required ? 1 : 0);
    if (value.length < min) {
      throw this.errors.constraint(path, value, `Member must have length greater than or equal to ${min}`);
    }
    if (rule.max !== undefined && value.length > rule.max) {
      throw this.errors.constraint(path, value, `Member must have length less than or equal to ${rule.max}`);
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      throw this.errors.constraint(
        path,
        value,
        `Member must satisfy regular expression pattern: ${rule.pattern.source}`,
      );
    }
    if (rule.values && !rule.values.includes(value)) {
      throw this.errors.constraint(
        path,
        value,
        `Member must satisfy enum value set: [${rule.values.join(', ')}]`,
      );
    }
    return value;
  }

  requiredString(input: Input, name: string, rule: StringRule = {}, path = name): string {
    return this.string(input, name, { ...rule, required: true }, path)!;
  }

  number(input: Input, name: string, rule: NumberRule = {}, path = name): number | undefined {
    const value = input[name];
    if (!present(value)) {
      if (rule.required) throw this.errors.missing(path);
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.errors.serialization(path);
    if (rule.integer && !Number.isInteger(value)) throw this.errors.serialization(path);
    if (rule.min !== undefined && value < rule.min) {
      throw this.errors.constraint(
        path,
        value,
        `Member must have value greater than or equal to ${rule.min}`,
      );
    }
    if (rule.max !== undefined && value > rule.max) {
      throw this.errors.constraint(path, value, `Member must have value less than or equal to ${rule.max}`);
    }
    return value;
  }

  boolean(input: Input, name: string, path = name): boolean | undefined {
    const value = input[name];
    if (!present(value)) return undefined;
    if (typeof value !== 'boolean') throw this.errors.serialization(path);
    return value;
  }

  list(input: Input, name: string, rule: ListRule = {}, path = name): unknown[] | undefined {
    const value = input[name];
    if (!present(value)) {
      if (rule.required) throw this.errors.missing(path);
      return undefined;
    }
    if (!Array.isArray(value)) throw this.errors.serialization(path);
    const min = rule.min ?? (rule.required ? 1 : 0);
    if (value.length < min) {
      if (rule.required && value.length === 0) throw this.errors.missing(path);
      throw this.errors.constraint(
        path,
        value.length,
        `Member must have length greater than or equal to ${min}`,
      );
    }
    if (rule.max !== undefined && value.length > rule.max) {
      throw this.errors.constraint(
        path,
        `[${value.length} items]`,
        `Member must have length less than or equal to ${rule.max}`,
      );
    }
    return value;
  }

  stringList(
    input: Input,
    name: string,
    rule: ListRule & { readonly item?: StringRule } = {},
    path = name,
  ): string[] {
    const items = this.list(input, name, rule, path) ?? [];
    return items.map((item, index) => {
      if (typeof item !== 'string') throw this.errors.serialization(`${path}.${index + 1}`);
      return this.requiredString({ item }, 'item', rule.item, `${path}.${index + 1}`);
    });
  }

  /** Each element of a list member as a structure. */
  structures(input: Input, name: string, rule: ListRule = {}, path = name): Input[] {
    return (this.list(input, name, rule, path) ?? []).map((item, index) =>
      this.structure(item, `${path}.${index + 1}`),
    );
  }
}
