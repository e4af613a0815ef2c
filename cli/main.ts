/** `oncely`: the ops command line of Oncely. */
import { type Command, parseCommandArgs, UsageError } from './command.js';

/**
 * Commands load on demand: `oncely local` must not pay for aws-cdk-lib, which only the commands
 * that synthesize need.
 */
const commandLoaders: Readonly<Record<string, () => Promise<Command>>> = {
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  local: async () => (await import('./commands/local.js')).localCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  dlq: async () => (await import('./commands/dlq.js')).dlqCommand,
  publish: async () => (await import('./commands/publish.js')).publishCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
  chaos: async () => (await import('./commands/chaos.js')).chaosCommand,
};

async function overview(): Promise<string> {
  const commands = await Promise.all(Object.values(commandLoaders).map((load) => load()));
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
    console.log(await overview());
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(commandLoaders, name) ? commandLoaders[name] : undefined;
  if (!load) {
    console.error(`oncely: unknown command '${name}'\n\n${await overview()}`);
    return 2;
  }
  const command = await load();
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
