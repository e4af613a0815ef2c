/** The shape of one `oncely` sub-command and the helpers every command shares. */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export interface Command {
  readonly name: string;
  /** One line for `oncely --help`. */
  readonly summary: string;
  /** Full usage text for `oncely <name> --help`. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly allowPositionals?: boolean;
  /** Returns the process exit code. */
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

/** Raised for bad arguments: the CLI prints the message and the command's usage, then exits 2. */
export class UsageError extends Error {}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses a non-negative integer option, naming the option in the error. */
export function integerOption(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

/** Options of every command that talks to AWS (or LocalStack, or the local cloud). */
export const AWS_OPTIONS = {
  endpoint: { type: 'string' },
  profile: { type: 'string' },
  region: { type: 'string' },
  stack: { type: 'string' },
  'outputs-file': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Usage lines describing {@link AWS_OPTIONS}. */
export const AWS_OPTIONS_USAGE = `Connection and resources:
  --endpoint URL       AWS endpoint, e.g. http://127.0.0.1:4566 (default: AWS_ENDPOINT_URL, else AWS)
  --profile NAME       named AWS profile
  --region REGION      AWS region (default: AWS_REGION, else the profile's)
  --stack NAME         find resources in this CloudFormation stack's outputs
  --outputs-file FILE  find resources in a \`cdk deploy --outputs-file\` JSON (or the local deployer's)
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
