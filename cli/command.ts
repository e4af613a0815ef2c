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
