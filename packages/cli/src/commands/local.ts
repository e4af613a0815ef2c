/**
 * `oncely local`: the embedded local cloud with any CDK app (or synthesized template) deployed into
 * it, its stack outputs printed and every function's log lines streamed, prefixed with the
 * function's name, until Ctrl-C. Stdout carries what a person or a script reads (outputs, the
 * endpoint, function logs); progress and warnings go to stderr.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import {
  type CloudAssembly,
  type DeploySummary,
  deployCloudAssembly,
  deployTemplate,
  type FunctionLogEvent,
  isLoopbackHost,
  type LocalCloud,
  selectStacks,
  startLocalCloud,
  synthesizeCdkApp,
} from '@oncely/local-cloud';
import {
  type Command,
  exclusiveOptions,
  keyValueOption,
  portOption,
  positiveNumberOption,
  progress,
  stringOption,
  UsageError,
} from '../command.js';

/** Where `oncely local` writes the deployed stacks' outputs for the other commands' --outputs-file. */
const DEFAULT_OUTPUTS_FILE = '.oncely/local-outputs.json';
/** Where the app writes its cloud assembly, apart from the project's own cdk.out. */
const DEFAULT_ASSEMBLY_DIR = '.oncely/cdk.out';
/** Function log lines kept while the stacks deploy, printed once the outputs are. */
const LOG_LINES_BUFFERED = 1000;

export const localCommand: Command = {
  name: 'local',
  summary: 'Run the embedded local cloud (SQS, DynamoDB, ...) on one port',
  usage: `Usage: oncely local [--app CMD | --template FILE] [options]

Starts the embedded local cloud (SQS, DynamoDB, Lambda, CloudWatch, EventBridge, SNS and
CloudFormation on one port), deploys a CDK app or a synthesized template into it, prints the
stack outputs and streams every function's log lines, prefixed with the function's name, until
interrupted (Ctrl-C). The outputs are also written to ${DEFAULT_OUTPUTS_FILE}.

What to deploy:
  --app CMD            run this CDK app command (as in cdk.json, e.g. "npx ts-node bin/app.ts")
                       and deploy every stack it synthesizes
  --template FILE      deploy a synthesized template; its assets are looked up next to it (cdk.out)
  (neither)            run the app of ./cdk.json if there is one, else start empty
  --stack NAME         with --app: deploy only this stack (and the stacks it depends on);
                       with --template: the stack's name (default: the file name)
  -c, --context K=V    context for the app, as with cdk synth (repeatable)
  --output DIR         where the app writes its cloud assembly (default ${DEFAULT_ASSEMBLY_DIR})
  --empty              deploy nothing, even when ./cdk.json exists

Local cloud:
  --port N             TCP port from 0 to 65535; 0 picks a free one (default 4566)
  --host H             interface to listen on (default 127.0.0.1); other than loopback needs --allow-remote
  --allow-remote       accept a non-loopback --host: anyone who can reach the port can run code here
  --allow-host NAME    accept requests addressed to NAME (e.g. a Docker service name), besides
                       127.0.0.1/localhost; repeatable (see docs/local-cloud-security.md)
  --data-dir DIR       keep state in DIR so it survives a restart (default: memory only)
  --time-scale X       run alarm periods and schedules X times faster (default 1)
  --outputs-file FILE  where to write the stack outputs (default ${DEFAULT_OUTPUTS_FILE})
  --no-console         do not serve the live console (default: at <endpoint>/_oncely/console/)
  -h, --help           show this help

From another terminal, every tool works against it unchanged:
  oncely status --stack NAME --endpoint http://127.0.0.1:4566
  aws --endpoint-url http://127.0.0.1:4566 cloudformation describe-stacks`,
  options: {
    app: { type: 'string' },
    template: { type: 'string' },
    stack: { type: 'string' },
    context: { type: 'string', short: 'c', multiple: true },
    output: { type: 'string' },
    empty: { type: 'boolean' },
    port: { type: 'string' },
    host: { type: 'string' },
    'allow-remote': { type: 'boolean' },
    'allow-host': { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    'time-scale': { type: 'string' },
    'outputs-file': { type: 'string' },
    'no-console': { type: 'boolean' },
  },
  async run(values) {
    const settings = readSettings(values);
    // Synthesize before listening, so a broken app fails before anything starts.
    const source = settings.source.kind === 'app' ? await synthesize(settings.source) : settings.source;
    const cloud = await listen(settings);
    try {
      // Before deploying, so its charts start with the deployment; stacks appear as they deploy.
      const liveConsole = settings.console
        ? await (await import('../console/index.js')).attachConsole(cloud)
        : undefined;
      await deployAndServe(cloud, source, settings, liveConsole?.url);
    } finally {
      await cloud.stop();
    }
    return 0;
  },
};

interface AppSource {
  readonly kind: 'app';
  readonly command: string;
  readonly outdir: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly stack: string | undefined;
}

type Source =
  | AppSource
  | { readonly kind: 'template'; readonly file: string; readonly stackName: string }
  | { readonly kind: 'empty'; readonly hint: boolean };

type ReadySource =
  | Exclude<Source, AppSource>
  | { readonly kind: 'assembly'; readonly assembly: CloudAssembly; readonly stack: string | undefined };

interface Settings {
  readonly source: Source;
  readonly port: number;
  readonly host: string;
  readonly allowRemote: boolean;
  readonly allowedHosts: readonly string[];
  readonly dataDir: string | undefined;
  readonly timeScale: number;
  readonly outputsFile: string;
  readonly console: boolean;
}

/** Every option checked up front, each bad one refused in one line naming it. */
function readSettings(values: Record<string, unknown>): Settings {
  exclusiveOptions(values, ['app', 'template', 'empty']);
  const port = portOption(values, 'port', 4566);
  const timeScale = positiveNumberOption(values, 'time-scale', 1);
  const host = stringOption(values, 'host') ?? '127.0.0.1';
  const allowRemote = values['allow-remote'] === true;
  // No authentication: beyond loopback, anyone who reaches the port runs code on this machine.
  if (!isLoopbackHost(host) && !allowRemote) {
    throw new UsageError(
      `--host ${host} is not a loopback address: anyone who can reach it could run code on this machine ` +
        'through the Lambda API. Add --allow-remote to accept that risk.',
    );
  }
  const allowedHosts = (values['allow-host'] as string[] | undefined) ?? [];
  const dataDir = stringOption(values, 'data-dir');
  const outputsFile = stringOption(values, 'outputs-file') ?? DEFAULT_OUTPUTS_FILE;
  const stack = stringOption(values, 'stack');
  const context = keyValueOption(values, 'context');
  const app = stringOption(values, 'app');
  const template = stringOption(values, 'template');
  const outdir = stringOption(values, 'output') ?? DEFAULT_ASSEMBLY_DIR;

  let source: Source;
  if (template !== undefined) {
    if (!existsSync(template)) throw new UsageError(`--template ${template}: no such file`);
    if (!statSync(template).isFile()) throw new UsageError(`--template ${template}: not a file`);
    source = { kind: 'template', file: resolve(template), stackName: stack ?? stackNameOf(template) };
  } else if (values.empty) {
    source = { kind: 'empty', hint: false };
  } else {
    const project = readCdkJson(app === undefined);
    const command = app ?? project.app;
    source = command
      ? { kind: 'app', command, outdir, context: { ...project.context, ...context }, stack }
      : { kind: 'empty', hint: true };
  }
  if (source.kind !== 'app') {
    for (const name of ['context', 'output'] as const) {
      if (values[name] !== undefined)
        throw new UsageError(`--${name} applies to a CDK app (--app or ./cdk.json)`);
    }
    if (source.kind === 'empty' && stack !== undefined) {
      throw new UsageError('--stack needs something to deploy: --app, --template or a ./cdk.json');
    }
  }
  return {
    source,
    port,
    host,
    allowRemote,
    allowedHosts,
    dataDir,
    timeScale,
    outputsFile,
    console: values['no-console'] !== true,
  };
}

/** `cdk.out/Orders.template.json` -> `Orders`, as the deployer names a stack from its file. */
function stackNameOf(file: string): string {
  return basename(file)
    .replace(/\.template\.json$/, '')
    .replace(/\.json$/, '');
}

/**
 * ./cdk.json's app command and context, merged with ./cdk.context.json as the CDK CLI does, so
 * `oncely local` in a CDK project synthesizes what `cdk synth` would.
 */
function readCdkJson(needsApp: boolean): { app: string | undefined; context: Record<string, unknown> } {
  const read = (file: string): Record<string, unknown> | undefined => {
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`./${file} is not valid JSON: ${(error as Error).message}`);
    }
  };
  const cdkJson = read('cdk.json');
  const saved = read('cdk.context.json');
  const context = { ...(cdkJson?.context as Record<string, unknown> | undefined), ...saved };
  const app = typeof cdkJson?.app === 'string' ? cdkJson.app : undefined;
  if (cdkJson && !app && needsApp) {
    throw new UsageError('./cdk.json has no "app" command: pass --app CMD or --template FILE');
  }
  return { app, context };
}

async function synthesize(source: AppSource): Promise<ReadySource> {
  const started = Date.now();
  progress(`Running the CDK app: ${source.command} (cloud assembly in ${source.outdir})`);
  const assembly = await synthesizeCdkApp({
    command: source.command,
    outdir: source.outdir,
    context: source.context,
  });
  if (assembly.stacks.length === 0) throw new Error(`the CDK app (${source.command}) synthesized no stacks`);
  progress(`Synthesized ${plural(assembly.stacks.length, 'stack')} in ${seconds(started)}`);
  if (source.stack !== undefined) {
    // Checked before the cloud listens, like every other argument.
    try {
      selectStacks(assembly, [source.stack]);
    } catch (error) {
      throw new UsageError(`--stack ${source.stack}: ${(error as Error).message}`);
    }
  }
  return { kind: 'assembly', assembly, stack: source.stack };
}

async function listen(settings: Settings): Promise<LocalCloud> {
  try {
    return await startLocalCloud({
      port: settings.port,
      host: settings.host,
      allowRemote: settings.allowRemote,
      allowedHosts: settings.allowedHosts,
      ...(settings.dataDir ? { dataDir: settings.dataDir } : {}),
      monitoring: { timeScale: settings.timeScale },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `port ${settings.port} on ${settings.host} is in use: pass --port N for another port, or --port 0 for a free one`,
      );
    }
    throw error;
  }
}

async function deployAndServe(
  cloud: LocalCloud,
  source: ReadySource,
  settings: Settings,
  consoleUrl: string | undefined,
): Promise<void> {
  // Subscribed before deploying, so no line is lost; held back until the outputs are printed.
  const printer = new FunctionLogPrinter();
  const unsubscribe = cloud.logs.subscribe((event) => printer.line(event));
  try {
    const summaries = await deploy(cloud, source);
    for (const summary of summaries) console.log(describeDeployment(summary));
    if (summaries.length > 0) {
      await writeOutputs(settings.outputsFile, summaries);
      console.log(`Outputs written to ${settings.outputsFile}`);
    }
    if (source.kind === 'empty' && source.hint) {
      progress(
        'Nothing to deploy (no --app, no --template, no ./cdk.json): the local cloud runs empty. Deploy an app with\n' +
          '  oncely local --app "npx ts-node --prefer-ts-exts bin/app.ts"   or   oncely local --template cdk.out/Stack.template.json',
      );
    }
    console.log(readyMessage(cloud, summaries, consoleUrl));
    printer.start(summaries);
    await interrupted();
    progress('Stopping the local cloud...');
  } finally {
    unsubscribe();
  }
}

async function deploy(cloud: LocalCloud, source: ReadySource): Promise<DeploySummary[]> {
  if (source.kind === 'empty') return [];
  const started = Date.now();
  let summaries: DeploySummary[];
  if (source.kind === 'template') {
    progress(`Deploying ${source.stackName}...`);
    const options = { stackName: source.stackName, assetDir: dirname(source.file) };
    summaries = [await deployTemplate(cloud, source.file, options)];
  } else {
    summaries = await deployCloudAssembly(cloud, source.assembly, {
      ...(source.stack ? { stacks: [source.stack] } : {}),
      onStack: (stack) =>
        progress(
          `Deploying ${stack.stackName}${stack.displayName === stack.stackName ? '' : ` (${stack.displayName})`}...`,
        ),
    });
  }
  for (const summary of summaries) {
    for (const warning of [...summary.unsupported.map((entry) => entry.warning), ...summary.warnings]) {
      progress(`  warning: ${warning}`);
    }
  }
  progress(`Deployed ${plural(summaries.length, 'stack')} in ${seconds(started)}`);
  return summaries;
}

/** A stack for people: how its resources fared, then its outputs as `key: value`. */
function describeDeployment(summary: DeploySummary): string {
  const statuses = Object.values(summary.resources).map((resource) => resource.status);
  const count = (status: string) => statuses.filter((candidate) => candidate === status).length;
  const lines = [
    `Stack ${summary.stackName}: ${count('created')} resources created, ${count('accepted')} accepted without ` +
      `effect (IAM, log groups, ...), ${count('unsupported')} not emulated`,
  ];
  const outputs = Object.entries(summary.outputs);
  if (outputs.length === 0) lines.push('  (no outputs)');
  for (const [key, value] of outputs) lines.push(`  ${key}: ${String(value)}`);
  return lines.join('\n');
}

/** The outputs in `cdk deploy --outputs-file` form, which every `--outputs-file` reader takes. */
async function writeOutputs(file: string, summaries: readonly DeploySummary[]): Promise<void> {
  const outputs = Object.fromEntries(
    summaries.map((summary) => [
      summary.stackName,
      Object.fromEntries(Object.entries(summary.outputs).map(([key, value]) => [key, String(value)])),
    ]),
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(outputs, null, 2)}\n`);
}

function readyMessage(
  cloud: LocalCloud,
  summaries: readonly DeploySummary[],
  consoleUrl: string | undefined,
): string {
  const stack = summaries.at(-1)?.stackName ?? 'NAME';
  return [
    `Oncely local cloud ready at ${cloud.endpoint} (Ctrl-C stops it); function logs follow.`,
    ...(consoleUrl ? [`  console: ${consoleUrl}  (open it in a browser: the stacks live)`] : []),
    `  try: oncely status --stack ${stack} --endpoint ${cloud.endpoint}`,
    `       aws --endpoint-url ${cloud.endpoint} --region us-east-1 cloudformation describe-stacks`,
  ].join('\n');
}

/**
 * Prints function log lines as `[Label] line`. Lines written while the stacks deploy are held
 * (bounded) until the outputs are out, so the first screen stays readable.
 */
class FunctionLogPrinter {
  private held: FunctionLogEvent[] | undefined = [];
  private dropped = 0;
  private labels = new Map<string, string>();

  line(event: FunctionLogEvent): void {
    if (!this.held) {
      this.print(event);
      return;
    }
    if (this.held.length >= LOG_LINES_BUFFERED) {
      this.held.shift();
      this.dropped++;
    }
    this.held.push(event);
  }

  start(summaries: readonly DeploySummary[]): void {
    this.labels = functionLabels(summaries);
    const held = this.held ?? [];
    this.held = undefined;
    if (this.dropped > 0) progress(`(${this.dropped} earlier function log lines not shown)`);
    for (const event of held) this.print(event);
  }

  private print(event: FunctionLogEvent): void {
    console.log(`[${this.labels.get(event.functionName) ?? event.functionName}] ${event.line}`);
  }
}

/**
 * What each deployed function is called in its log prefix: the name the template gave it, else its
 * logical id without the hash CDK appends (`PointsConsumer4A1B2C3D` -> `PointsConsumer`); prefixed
 * with the stack name where two stacks would otherwise print the same label.
 */
export function functionLabels(summaries: readonly DeploySummary[]): Map<string, string> {
  const entries: Array<{ physicalId: string; label: string; stackName: string }> = [];
  for (const summary of summaries) {
    for (const [logicalId, resource] of Object.entries(summary.resources)) {
      if (resource.type !== 'AWS::Lambda::Function' || !resource.physicalId) continue;
      const generated = resource.physicalId.startsWith(`${summary.stackName}-`);
      const label = generated ? logicalId.replace(/(?<=.)[0-9A-F]{8}$/, '') : resource.physicalId;
      entries.push({ physicalId: resource.physicalId, label, stackName: summary.stackName });
    }
  }
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry.label, (counts.get(entry.label) ?? 0) + 1);
  return new Map(
    entries.map((entry) => [
      entry.physicalId,
      (counts.get(entry.label) ?? 0) > 1 ? `${entry.stackName}/${entry.label}` : entry.label,
    ]),
  );
}

function interrupted(): Promise<void> {
  return new Promise((resolvePromise) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolvePromise();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
