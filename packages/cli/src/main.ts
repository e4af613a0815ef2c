/** `oncely`: the command line of Oncely. */
import { createRequire } from 'node:module';
import { type Command, parseCommandArgs, UsageError } from './command.js';

interface CommandEntry {
  /** One line for `oncely --help`, kept here so the overview loads no command module. */
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

/** The package that contributes the points example's commands (`demo`, `bench`, `chaos`). */
const EXAMPLE_PACKAGE = '@oncely/example-points';

/** Thrown when an example command runs where the example package is not installed. */
class MissingExampleError extends Error {}

async function exampleCommand(name: 'demoCommand' | 'benchCommand' | 'chaosCommand'): Promise<Command> {
  let commands: Record<string, Command>;
  try {
    commands = (await import(`${EXAMPLE_PACKAGE}/commands`)) as Record<string, Command>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new MissingExampleError(
      `this command runs the points example, which is not installed here (${EXAMPLE_PACKAGE}); run it from a clone of the Oncely repository: npm install && npm start`,
    );
  }
  const command = commands[name];
  if (!command) throw new Error(`${EXAMPLE_PACKAGE} has no ${name}`);
  return command;
}

/**
 * Commands load on demand: `oncely --help` and `oncely local` must not pay for aws-cdk-lib or the
 * AWS SDK clients that other commands need.
 */
const commands: Readonly<Record<string, CommandEntry>> = {
  local: {
    summary: 'Run the embedded local cloud, deploying a CDK app or template into it',
    load: async () => (await import('./commands/local.js')).localCommand,
  },
  status: {
    summary: "Show a deployed pipeline's queues, DLQ, claims, scaling and degradation",
    load: async () => (await import('./commands/status.js')).statusCommand,
  },
  audit: {
    summary: 'Walk every producer stream, report lost messages and re-publish them',
    load: async () => (await import('./commands/audit.js')).auditCommand,
  },
  dlq: {
    summary: 'List, inspect and redrive dead-lettered messages with their reasons',
    load: async () => (await import('./commands/dlq.js')).dlqCommand,
  },
  publish: {
    summary: 'Publish events through the Oncely producer (stamped, acknowledged)',
    load: async () => (await import('./commands/publish.js')).publishCommand,
  },
  demo: {
    summary: 'Run the points example on the local cloud from its synthesized stack and check it',
    load: () => exampleCommand('demoCommand'),
  },
  bench: {
    summary: 'Benchmark the points example: throughput, requests and cost per event against a baseline',
    load: () => exampleCommand('benchCommand'),
  },
  chaos: {
    summary: 'Run the points example under injected faults and check that nothing is lost or doubled',
    load: () => exampleCommand('chaosCommand'),
  },
};

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'Usage: oncely <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help',
    '  -v, --version  print the version',
    '',
    "Run 'oncely <command> --help' for a command's options.",
  ].join('\n');
}

/**
 * The version of this package, read from its package.json. By package name (a self-reference
 * through its exports), so it resolves alike from src/ and from the compiled dist/esm/.
 */
export function version(): string {
  const require = createRequire(import.meta.url);
  return (require('oncely/package.json') as { version: string }).version;
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit status:
 * 0 success, 1 failure, 2 bad usage; commands may define more (demo: 3 when an invariant fails).
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(version());
    return 0;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    console.error(`oncely: unknown command '${name}'\n\n${overview()}`);
    return 2;
  }
  let command: Command;
  try {
    command = await entry.load();
  } catch (error) {
    if (!(error instanceof MissingExampleError)) throw error;
    console.error(`oncely ${name}: ${error.message}`);
    return 1;
  }
  try {
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      console.log(command.usage);
      return 0;
    }
    return await command.run(values, positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`oncely ${command.name}: ${error.message} (see 'oncely ${command.name} --help')`);
      return 2;
    }
    console.error(`oncely ${command.name}: ${(error as Error).message}`);
    return 1;
  }
}
