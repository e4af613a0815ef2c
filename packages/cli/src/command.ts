/** The shape of one `oncely` sub-command and the helpers every command shares. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * One `oncely` sub-command: its name, help texts, `parseArgs` options and what it runs. Packages
 * contribute commands in this shape (the points example's `demo`, `bench` and `chaos`).
 *
 * @example
 * export const helloCommand: Command = {
 *   name: 'hello',
 *   summary: 'Say hello',
 *   usage: 'Usage: oncely hello [--name N]',
 *   options: { name: { type: 'string' } },
 *   async run(values) {
 *     console.log(`hello ${stringOption(values, 'name') ?? 'world'}`);
 *     return 0;
 *   },
 * };
 */
export interface Command {
  /** The word after `oncely`. */
  readonly name: string;
  /** One line for `oncely --help`. */
  readonly summary: string;
  /** Full usage text for `oncely <name> --help`. */
  readonly usage: string;
  /** Its options, as `node:util` `parseArgs` takes them (`--help` is added to every command). */
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Whether it takes positional arguments (`oncely bench consumer`). @default false */
  readonly allowPositionals?: boolean;
  /** Returns the process exit code. */
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

/** Raised for bad arguments: the CLI prints the message and the command's usage, then exits 2. */
export class UsageError extends Error {}

/**
 * Parses a command's arguments strictly (unknown options are errors), with `--help`/`-h` added;
 * a mistake becomes a one-line {@link UsageError}.
 */
export function parseCommandArgs(command: Command, argv: string[]) {
  const options = { ...command.options, help: { type: 'boolean' as const, short: 'h' } };
  try {
    return parseArgs({
      args: joinNegativeValues(argv, options),
      options,
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    // parseArgs explains some mistakes over several lines; the CLI prints one.
    throw new UsageError((error as Error).message.replace(/\s*\n\s*/g, ' '));
  }
}

/**
 * `--port -1` reaches parseArgs as an option followed by what looks like another option, which it
 * refuses as ambiguous; joined into `--port=-1`, the option's own check names the value instead.
 */
function joinNegativeValues(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): string[] {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!;
    const next = argv[index + 1];
    const name = token.startsWith('--') ? token.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${token}=${next}`);
      index++;
    } else joined.push(token);
  }
  return joined;
}

/** The value of a string option as given, or undefined when absent. */
function rawOption(values: Record<string, unknown>, name: string): string | undefined {
  const raw = values[name];
  return raw === undefined ? undefined : String(raw);
}

/**
 * Parses a non-negative integer option, naming the option in the error. Only decimal digits count:
 * `Number()` alone would take '' as 0, '1e3' as 1000 and '0x10' as 16.
 */
export function integerOption(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = rawOption(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value))
    throw new UsageError(`--${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

/** Parses a TCP port option: an integer from 0 to 65535 (0: the system picks a free port). */
export function portOption(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = rawOption(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > 65_535)
    throw new UsageError(`--${name} must be a port number from 0 to 65535, got '${raw}'`);
  return value;
}

/** Parses a positive number option (fractions allowed), naming the option in the error. */
export function positiveNumberOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
): number {
  const raw = rawOption(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw.trim()) || !Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${name} must be a positive number, got '${raw}'`);
  return value;
}

/**
 * Parses a repeatable `key=value` option (`-c a=1 -c b=2`) into an object; the value may hold `=`.
 * The option must be declared with `multiple: true`.
 */
export function keyValueOption(values: Record<string, unknown>, name: string): Record<string, string> {
  const raw = values[name];
  const entries = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
  const parsed: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw new UsageError(`--${name} must be key=value, got '${entry}'`);
    parsed[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return parsed;
}

/** Refuses options that cannot be combined, naming them: `--app and --template cannot be used together`. */
export function exclusiveOptions(values: Record<string, unknown>, names: readonly string[]): void {
  const given = names.filter((name) => values[name] !== undefined && values[name] !== false);
  if (given.length > 1) {
    const listed = given.map((name) => `--${name}`);
    throw new UsageError(`${listed.slice(0, -1).join(', ')} and ${listed.at(-1)} cannot be used together`);
  }
}

/** Parses a non-empty string option, naming the option in the error. */
export function stringOption(values: Record<string, unknown>, name: string): string | undefined {
  const raw = rawOption(values, name);
  if (raw !== undefined && raw.trim() === '') throw new UsageError(`--${name} must not be empty`);
  return raw;
}

/** A `parseArgs` option that takes a value. */
const VALUE_OPTION = {
  /** The value follows the option: `--stack NAME` or `--stack=NAME`. */
  type: 'string',
} as const;

/** A `parseArgs` option that takes no value. */
const FLAG_OPTION = {
  /** Present or absent: `--json`. */
  type: 'boolean',
} as const;

/** Options of every command that talks to AWS (or LocalStack, or the local cloud). */
export const AWS_OPTIONS = {
  /** `--endpoint URL`: e.g. `http://127.0.0.1:4566`; else `AWS_ENDPOINT_URL`, else AWS. */
  endpoint: VALUE_OPTION,
  /** `--profile NAME`: a named AWS profile. */
  profile: VALUE_OPTION,
  /** `--region REGION`: else `AWS_REGION`, else the profile's. */
  region: VALUE_OPTION,
  /** `--stack NAME`: find the pipeline's resources in this stack's outputs. */
  stack: VALUE_OPTION,
  /** `--outputs-file FILE`: find them in a `cdk deploy --outputs-file` JSON. */
  'outputs-file': VALUE_OPTION,
  /** `--output-prefix PREFIX`: the pipeline's `outputPrefix`, when a stack holds several. */
  'output-prefix': VALUE_OPTION,
  /** `--json`: machine-readable output on stdout. */
  json: FLAG_OPTION,
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Usage lines describing {@link AWS_OPTIONS}. */
export const AWS_OPTIONS_USAGE = `Connection and resources:
  --endpoint URL       AWS endpoint, e.g. http://127.0.0.1:4566 (default: AWS_ENDPOINT_URL, else AWS)
  --profile NAME       named AWS profile
  --region REGION      AWS region (default: AWS_REGION, else the profile's)
  --stack NAME         find resources in this CloudFormation stack's outputs
  --outputs-file FILE  find resources in a \`cdk deploy --outputs-file\` JSON (or the local deployer's)
  --output-prefix P    the pipeline's outputPrefix (outputs named P + QueueUrl, ...); found by
                       itself when the stack holds one pipeline
  --json               machine-readable output on stdout`;

/** Parses a positive integer option, naming the option in the error. */
export function positiveIntegerOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
): number {
  const value = integerOption(values, name, fallback);
  if (value === 0) throw new UsageError(`--${name} must be a positive integer, got '0'`);
  return value;
}

/** Renders rows as an aligned text table for people (`--json` prints the rows instead). */
export function formatTable(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cell = (value: unknown) => (value === undefined || value === null ? '-' : String(value));
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [line([...columns]), ...rows.map((row) => line(columns.map((column) => cell(row[column]))))].join(
    '\n',
  );
}

/** Progress for people, on stderr so stdout stays parseable. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}
