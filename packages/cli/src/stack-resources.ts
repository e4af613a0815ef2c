/**
 * Finds the pipeline's resources for a CLI command, first match wins:
 *   1. explicit options (`--queue-url`, `--claims-table`, ...),
 *   2. the stack's outputs: CloudFormation DescribeStacks for `--stack` (AWS, LocalStack), or an
 *      outputs file (`cdk deploy --outputs-file`, or the summary the local deployer writes),
 *   3. the `ONCELY_*` environment variables (packages/runtime/src/config.ts).
 * Also builds the AWS clients from `--endpoint` / `--profile` / `--region`.
 */
import { readFile } from 'node:fs/promises';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { type AwsClients, createAwsClients, LOCAL_CREDENTIALS } from '@oncely/runtime/aws';
import type { SettingName } from '@oncely/runtime/contract';
import { type Config, loadConfig } from '@oncely/runtime/lambda';
import { UsageError } from './command.js';

/** The stack outputs the CLI uses; the keys are OUTPUT_KEYS of `@oncely/runtime/contract`. */
export const RESOURCES = {
  queueUrl: { output: 'QueueUrl', option: 'queue-url', setting: 'queueUrl' },
  deadLetterQueueUrl: { output: 'DeadLetterQueueUrl', option: 'dlq-url', setting: 'deadLetterQueueUrl' },
  claimsTable: { output: 'ClaimsTableName', option: 'claims-table', setting: 'claimsTable' },
  outboxTable: { output: 'OutboxTableName', option: 'outbox-table', setting: 'outboxTable' },
  leasesTable: { output: 'LeasesTableName', option: 'leases-table', setting: 'leasesTable' },
  controlTable: { output: 'ControlTableName', option: 'control-table', setting: 'controlTable' },
  consumerFunction: {
    output: 'ConsumerFunctionName',
    option: 'consumer-function',
    setting: 'consumerFunctionName',
  },
  eventSourceMappingId: {
    output: 'EventSourceMappingId',
    option: 'event-source-mapping',
    setting: 'eventSourceMappingId',
  },
} as const satisfies Record<string, { output: string; option: string; setting: SettingName }>;

export type ResourceName = keyof typeof RESOURCES;

/** The options for {@link RESOURCES}, for commands that take them. */
export const RESOURCE_OPTIONS = Object.fromEntries(
  Object.values(RESOURCES).map((resource) => [resource.option, { type: 'string' as const }]),
) as Record<(typeof RESOURCES)[ResourceName]['option'], { type: 'string' }>;

export const RESOURCE_OPTIONS_USAGE = `Resource overrides (else --stack / --outputs-file, else ONCELY_* variables):
  --queue-url URL  --dlq-url URL  --claims-table NAME  --outbox-table NAME  --leases-table NAME
  --control-table NAME  --consumer-function NAME  --event-source-mapping UUID`;

export interface CliContext {
  readonly clients: AwsClients;
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
  readonly json: boolean;
  /** A resource, or a usage error naming the three ways to provide it. */
  require(name: ResourceName): string;
  optional(name: ResourceName): string | undefined;
  close(): void;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', 'localhost.localstack.cloud']);

/** Connects a command to its pipeline: clients plus resource lookup. */
export async function connect(
  values: Record<string, unknown>,
  config: Config = loadConfig(),
): Promise<CliContext> {
  const endpoint = (values.endpoint as string | undefined) ?? config.optional('endpoint');
  const profile = values.profile as string | undefined;
  let local = false;
  if (endpoint) {
    try {
      local = LOOPBACK_HOSTS.has(new URL(endpoint).hostname);
    } catch {
      throw new UsageError(`--endpoint must be a URL such as http://127.0.0.1:4566, got '${endpoint}'`);
    }
  }
  const region =
    (values.region as string | undefined) ?? config.optional('region') ?? (local ? 'us-east-1' : undefined);
  const clientConfig = {
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(profile ? { profile } : {}),
    // Emulators do not check signatures; without a profile, use fixed credentials instead of the chain.
    ...(local && !profile ? { credentials: LOCAL_CREDENTIALS } : {}),
  };

  const outputs = new Map<string, string>();
  const stack = values.stack as string | undefined;
  /** The stack's status when DescribeStacks found it, for errors about missing outputs. */
  let stackStatus: string | undefined;
  const outputsFile = values['outputs-file'] as string | undefined;
  if (outputsFile) {
    for (const [key, value] of Object.entries(await readOutputsFile(outputsFile, stack)))
      outputs.set(key, value);
  } else if (stack) {
    const cloudformation = new CloudFormationClient(clientConfig);
    try {
      const described = await describeStackOutputs(cloudformation, stack, region);
      stackStatus = described.status;
      for (const [key, value] of Object.entries(described.outputs)) outputs.set(key, value);
    } finally {
      cloudformation.destroy();
    }
  }

  const prefix = outputPrefixOf(outputs, values['output-prefix'] as string | undefined);
  const clients = createAwsClients(clientConfig);
  const optional = (name: ResourceName) => {
    const resource = RESOURCES[name];
    return (
      (values[resource.option] as string | undefined) ??
      (prefix.kind === 'one' ? outputs.get(`${prefix.prefix}${resource.output}`) : undefined) ??
      config.optional(resource.setting)
    );
  };
  return {
    clients,
    endpoint,
    region,
    json: values.json === true,
    optional,
    require(name) {
      const value = optional(name);
      if (value) return value;
      const resource = RESOURCES[name];
      if (prefix.kind === 'several')
        throw new UsageError(
          `the outputs hold ${prefix.prefixes.length} pipelines (output prefixes ${prefix.prefixes
            .map((candidate) => `'${candidate}'`)
            .join(', ')}): pass --output-prefix`,
        );
      if (stack && stackStatus) {
        // The stack exists; saying "pass --stack" would send people in a circle.
        const failed = /FAILED|ROLLBACK/.test(stackStatus) ? ' (its deployment did not complete)' : '';
        throw new UsageError(
          `stack '${stack}' (${stackStatus})${failed} has no output ${resource.output}: ` +
            `pass --${resource.option}, or add the output to the stack`,
        );
      }
      throw new UsageError(
        `cannot find the ${resource.output}: pass --${resource.option}, --stack NAME (output ${resource.output}), ` +
          `or set the ONCELY_* variable of '${resource.setting}'`,
      );
    },
    close: () => clients.destroy(),
  };
}

/**
 * Which pipeline's outputs to read: the `--output-prefix` given; else the unprefixed one; else the
 * only pipeline whose outputs carry a prefix (`OncelyPipeline`'s `outputPrefix`); several prefixed
 * pipelines and none unprefixed must be told apart with `--output-prefix`.
 */
export function outputPrefixOf(
  outputs: ReadonlyMap<string, string>,
  given: string | undefined,
): { kind: 'one'; prefix: string } | { kind: 'several'; prefixes: string[] } {
  if (given !== undefined) return { kind: 'one', prefix: given };
  const anchor = RESOURCES.queueUrl.output;
  if (outputs.has(anchor) || outputs.size === 0) return { kind: 'one', prefix: '' };
  const prefixes = [...outputs.keys()]
    .filter(
      (key) =>
        key.endsWith(anchor) &&
        outputs.has(`${key.slice(0, -anchor.length)}${RESOURCES.deadLetterQueueUrl.output}`),
    )
    .map((key) => key.slice(0, -anchor.length))
    .sort();
  if (prefixes.length === 1) return { kind: 'one', prefix: prefixes[0] as string };
  return prefixes.length === 0 ? { kind: 'one', prefix: '' } : { kind: 'several', prefixes };
}

/**
 * The stack's outputs and status through DescribeStacks: the same call against AWS, LocalStack and
 * the local cloud (which answers it for every stack `oncely local` deployed).
 */
async function describeStackOutputs(
  cloudformation: CloudFormationClient,
  stack: string,
  region: string | undefined,
): Promise<{ outputs: Record<string, string>; status: string | undefined }> {
  try {
    const { Stacks: stacks = [] } = await cloudformation.send(
      new DescribeStacksCommand({ StackName: stack }),
    );
    const found = stacks[0];
    if (!found) throw new Error(`stack '${stack}' not found`);
    const outputs = Object.fromEntries(
      (found.Outputs ?? []).flatMap((output) =>
        output.OutputKey && output.OutputValue !== undefined ? [[output.OutputKey, output.OutputValue]] : [],
      ),
    );
    return { outputs, status: found.StackStatus };
  } catch (error) {
    if (/does not exist/i.test((error as Error).message))
      throw new Error(`stack '${stack}' not found${region ? ` in ${region}` : ''}`);
    throw error;
  }
}

/**
 * `{ "<stack>": { "<OutputKey>": "<value>" } }` (cdk), a flat `{ "<OutputKey>": "<value>" }`, or the
 * local deployer's summary `{ "stackName": ..., "outputs": { ... } }`.
 */
async function readOutputsFile(path: string, stack: string | undefined): Promise<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read --outputs-file ${path}: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object')
    throw new UsageError(`--outputs-file ${path} is not a JSON object`);
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.every(([, value]) => typeof value === 'string')) return parsed as Record<string, string>;
  // The local deployer's summary: { stackName, outputs: { ... }, resources, ... }.
  const summary = parsed as { stackName?: unknown; outputs?: unknown };
  if (typeof summary.stackName === 'string' && summary.outputs && typeof summary.outputs === 'object') {
    if (stack && stack !== summary.stackName)
      throw new UsageError(`stack '${stack}' not found in ${path} (it has: ${summary.stackName})`);
    return Object.fromEntries(Object.entries(summary.outputs).map(([key, value]) => [key, String(value)]));
  }
  const stacks = entries.filter(([, value]) => value && typeof value === 'object');
  const chosen = stack
    ? stacks.find(([name]) => name === stack)
    : stacks.length === 1
      ? stacks[0]
      : undefined;
  if (!chosen) {
    const names = stacks.map(([name]) => name).join(', ');
    throw new UsageError(
      stack
        ? `stack '${stack}' not found in ${path} (it has: ${names})`
        : `${path} holds several stacks (${names}): pass --stack`,
    );
  }
  return chosen[1] as Record<string, string>;
}

/** Turns SDK failures into messages that say what to do. */
export function explainAwsError(error: unknown, context: Pick<CliContext, 'endpoint'>): Error {
  const failure = error as Error & { code?: string; cause?: { code?: string } };
  const code = failure.code ?? failure.cause?.code;
  if (failure.name === 'CredentialsProviderError' || /credential/i.test(failure.message ?? ''))
    return new Error(
      'no AWS credentials found: pass --profile, set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ' +
        'or use --endpoint for a local cloud',
    );
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(failure.message ?? ''))
    return new Error(`cannot reach ${context.endpoint ?? 'AWS'}: is the endpoint running ('oncely local')?`);
  if (/region is missing/i.test(failure.message ?? ''))
    return new Error('no AWS region: pass --region or set AWS_REGION');
  return failure instanceof Error ? failure : new Error(String(error));
}

/** Connects, runs `work`, explains AWS failures and always releases the clients. */
export async function withPipeline<T>(
  values: Record<string, unknown>,
  work: (context: CliContext) => Promise<T>,
): Promise<T> {
  const context = await connect(values).catch((error: unknown) => {
    throw error instanceof UsageError ? error : explainAwsError(error, { endpoint: undefined });
  });
  try {
    return await work(context);
  } catch (error) {
    throw error instanceof UsageError ? error : explainAwsError(error, context);
  } finally {
    context.close();
  }
}
