/** `oncely`: the ops command line of Oncely. */
import { type Command, parseCommandArgs, UsageError } from './command.js';
import { auditCommand } from './commands/audit.js';
import { benchCommand } from './commands/bench.js';
import { chaosCommand } from './commands/chaos.js';
import { demoCommand } from './commands/demo.js';
import { dlqCommand } from './commands/dlq.js';
import { localCommand } from './commands/local.js';
import { publishCommand } from './commands/publish.js';
import { statusCommand } from './commands/status.js';

const commands: readonly Command[] = [
  demoCommand,
  localCommand,
  statusCommand,
  auditCommand,
  dlqCommand,
  publishCommand,
  benchCommand,
  chaosCommand,
];

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: oncely <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    "Run 'oncely <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview());
    return name ? 0 : 2;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`oncely: unknown command '${name}'\n\n${overview()}`);
    return 2;
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
      console.error(`oncely ${command.name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    console.error(`oncely ${command.name}: ${(error as Error).message}`);
    return 1;
  }
}
