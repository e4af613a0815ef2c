/**
 * Deploys the CloudFormation template `cdk synth` writes (`cdk.out/<Stack>.template.json`) into
 * the local cloud, so a local run exercises the real infrastructure definition. Resources are
 * created in dependency order (DependsOn plus every Ref/GetAtt/Sub), intrinsics resolved against
 * what exists so far. Types nobody emulates are listed as unsupported, never dropped silently.
 * Deploying a stack again (after a `--data-dir` restart, or with new code) updates what the first
 * deployment created: names are stable and the built-in handlers create or update.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { LambdaService } from '../lambda/service.js';
import { DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../protocol.js';
import type { LocalCloud } from '../server.js';
import { builtinResourceHandlers } from './builtin-resources.js';
import {
  IntrinsicResolver,
  type ResolvedResource,
  referencedLogicalIds,
  TemplateError,
} from './intrinsics.js';
import {
  type ResourceHandler,
  type ResourceHandlerContext,
  type ResourceHandlerRegistry,
  serviceResourceHandlers,
  sharedResourceHandlers,
} from './resource-handlers.js';

/** The parts of a CloudFormation template the deployer reads. */
export interface CloudFormationTemplate {
  readonly Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown; Condition?: string; Export?: { Name?: unknown } }>;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
}

export interface DeployOptions {
  /** The cdk.out directory holding `asset.<hash>` directories. @default the template file's directory */
  readonly assetDir?: string;
  /**
   * @default the template file's name without `.template.json`, else the only `*.template.json`
   * in `assetDir`, else 'LocalStack'
   */
  readonly stackName?: string;
  /** Divides Lambda timeouts and batching windows (the demo's accelerated time). @default 1 */
  readonly timeScale?: number;
  /** Overrides of parameter defaults. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Handlers tried before the shared and built-in ones (tests, or a one-off override). */
  readonly resourceHandlers?: ResourceHandlerRegistry;
}

export type ResourceStatus = 'created' | 'accepted' | 'unsupported' | 'skipped';

/** One resource of the deployed stack. */
export interface DeployedResource {
  readonly type: string;
  readonly status: ResourceStatus;
  /** What `Ref` returns: queue URL, table name, function name, mapping UUID... */
  readonly physicalId: string;
  readonly arn?: string;
  readonly url?: string;
}

export interface UnsupportedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly warning: string;
}

export interface DeploySummary {
  readonly stackName: string;
  readonly resources: Readonly<Record<string, DeployedResource>>;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly unsupported: readonly UnsupportedResource[];
  readonly warnings: readonly string[];
}

/** A failed deployment, naming the resource it failed on (the resources before it stay created). */
export class DeployError extends Error {
  override readonly name = 'DeployError';
  constructor(
    readonly logicalId: string | undefined,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(logicalId ? `${logicalId}: ${message}` : message);
  }
}

/**
 * Creates the template's resources in the local cloud.
 * @example
 * const summary = await deployTemplate(cloud, 'cdk.out/PipelineStack.template.json');
 * console.log(summary.resources.ConsumerFunction?.physicalId);
 */
export async function deployTemplate(
  cloud: LocalCloud,
  template: CloudFormationTemplate | string,
  options: DeployOptions = {},
): Promise<DeploySummary> {
  const templatePath = typeof template === 'string' ? template : undefined;
  const parsed: CloudFormationTemplate = templatePath
    ? (JSON.parse(await readFile(templatePath, 'utf8')) as CloudFormationTemplate)
    : (template as CloudFormationTemplate);
  const assetDir = options.assetDir ?? (templatePath ? dirname(templatePath) : process.cwd());
  const stackName =
    options.stackName ??
    (templatePath ? basename(templatePath).replace(/\.template\.json$/, '') : soleStackName(assetDir)) ??
    'LocalStack';
  const region = options.region ?? DEFAULT_REGION;
  const timeScale = options.timeScale ?? 1;
  if (options.timeScale !== undefined)
    (cloud.services.lambda as LambdaService | undefined)?.setTimeScale?.(timeScale);

  const deployed = new Map<string, ResolvedResource>();
  // A set: the same placeholder can be resolved for several resources; one warning is enough.
  const warnings = new Set<string>();
  const resolver = new IntrinsicResolver({
    region,
    accountId: LOCAL_ACCOUNT_ID,
    stackName,
    stackId: `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT_ID}:stack/${stackName}/local`,
    parameters: parameterValues(parsed, options.parameters ?? {}),
    mappings: parsed.Mappings ?? {},
    conditions: parsed.Conditions ?? {},
    resource: (logicalId) => deployed.get(logicalId),
    warn: (message) => warnings.add(message),
  });
  const handlerFor = handlerLookup(cloud, options.resourceHandlers);

  const resources: Record<string, DeployedResource> = {};
  const unsupported: UnsupportedResource[] = [];
  for (const logicalId of deploymentOrder(parsed.Resources)) {
    const resource = parsed.Resources[logicalId]!;
    if (resource.Condition && !resolver.condition(resource.Condition)) {
      resources[logicalId] = { type: resource.Type, status: 'skipped', physicalId: '' };
      continue;
    }
    const context: ResourceHandlerContext = {
      cloud,
      endpoint: cloud.endpoint,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      stackName,
      logicalId,
      assetDir,
      timeScale,
      generateName: (maxLength, suffix = '') => physicalName(stackName, logicalId, maxLength, suffix),
      warn: (message) => warnings.add(message),
    };
    const handler = handlerFor(resource.Type);
    if (!handler) {
      const physicalId = context.generateName(64);
      deployed.set(logicalId, { physicalId, attributes: {}, type: resource.Type });
      if (isCustomResource(resource.Type)) {
        // CDK's custom resources (bucket deployments, log retention...) act on AWS itself; locally
        // they are recorded, and the warning says their provider did not run.
        warnings.add(
          `${logicalId}: custom resource ${resource.Type} is accepted but its provider is not run locally`,
        );
        resources[logicalId] = { type: resource.Type, status: 'accepted', physicalId };
        continue;
      }
      const warning = `${logicalId}: ${resource.Type} is not emulated locally; it was not created`;
      unsupported.push({ logicalId, type: resource.Type, warning });
      resources[logicalId] = { type: resource.Type, status: 'unsupported', physicalId };
      continue;
    }
    let provisioned: Awaited<ReturnType<ResourceHandler['create']>>;
    try {
      const properties = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      provisioned = await handler.create(properties, context);
    } catch (error) {
      throw new DeployError(logicalId, `${resource.Type} failed: ${(error as Error).message}`, error);
    }
    const attributes = provisioned.attributes ?? {};
    deployed.set(logicalId, { physicalId: provisioned.physicalId, attributes, type: resource.Type });
    resources[logicalId] = {
      type: resource.Type,
      status: provisioned.status ?? 'created',
      physicalId: provisioned.physicalId,
      ...(typeof attributes.Arn === 'string' ? { arn: attributes.Arn } : {}),
      ...(typeof attributes.QueueUrl === 'string' ? { url: attributes.QueueUrl } : {}),
    };
  }

  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(parsed.Outputs ?? {})) {
    if (output.Condition && !resolver.condition(output.Condition)) continue;
    try {
      outputs[name] = resolver.resolve(output.Value);
    } catch (error) {
      throw new DeployError(undefined, `output ${name}: ${(error as Error).message}`, error);
    }
  }
  return { stackName, resources, outputs, unsupported, warnings: [...warnings] };
}

function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/** The stack name when the assembly directory holds exactly one `<Stack>.template.json`. */
function soleStackName(assetDir: string): string | undefined {
  let templates: string[];
  try {
    templates = readdirSync(assetDir).filter((name) => name.endsWith('.template.json'));
  } catch {
    return undefined;
  }
  return templates.length === 1 ? templates[0]!.replace(/\.template\.json$/, '') : undefined;
}

function handlerLookup(
  cloud: LocalCloud,
  overrides: ResourceHandlerRegistry | undefined,
): (type: string) => ResourceHandler | undefined {
  const fromServices = serviceResourceHandlers(cloud);
  const builtin = builtinResourceHandlers();
  return (type) =>
    overrides?.get(type) ?? fromServices.get(type) ?? sharedResourceHandlers.get(type) ?? builtin.get(type);
}

function parameterValues(
  template: CloudFormationTemplate,
  overrides: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = overrides[name] ?? parameter.Default;
    if (value === undefined)
      throw new DeployError(undefined, `parameter ${name} has no default and no value`);
    values[name] =
      parameter.Type === 'CommaDelimitedList' && typeof value === 'string' ? value.split(',') : value;
  }
  return values;
}

/**
 * Orders resources so each comes after everything it references or names in DependsOn
 * (depth-first topological sort; a cycle is a template error, as in CloudFormation).
 */
export function deploymentOrder(resources: Readonly<Record<string, TemplateResource>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (logicalId: string, path: string[]) => {
    const seen = state.get(logicalId);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      throw new DeployError(undefined, `circular dependency: ${[...path, logicalId].join(' -> ')}`);
    }
    state.set(logicalId, 'visiting');
    const resource = resources[logicalId]!;
    const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const dependency of [...dependsOn, ...referencedLogicalIds(resource.Properties ?? {})]) {
      if (dependency in resources) visit(dependency, [...path, logicalId]);
      else if (dependsOn.includes(dependency)) {
        throw new DeployError(logicalId, `DependsOn names ${dependency}, which is not in the template`);
      }
    }
    state.set(logicalId, 'done');
    order.push(logicalId);
  };
  for (const logicalId of Object.keys(resources)) visit(logicalId, []);
  return order;
}

/**
 * CloudFormation's generated names, `<stack>-<logicalId>-<13 characters>`. The suffix looks random
 * but is derived from stack and logical id, so deploying the same stack again finds (and updates)
 * the same resources instead of creating a second copy next to them.
 */
function physicalName(stackName: string, logicalId: string, maxLength: number, suffix: string): string {
  const random = BigInt(
    `0x${createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex').slice(0, 16)}`,
  )
    .toString(36)
    .toUpperCase()
    .padStart(13, '0')
    .slice(0, 13);
  const room = maxLength - suffix.length - random.length - 2;
  const base = `${stackName}-${logicalId}`.slice(0, Math.max(1, room));
  return `${base}-${random}${suffix}`;
}

export { TemplateError };
