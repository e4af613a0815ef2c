/**
 * Deploys the CloudFormation template `cdk synth` writes (`cdk.out/<Stack>.template.json`) into
 * the local cloud, so a local run exercises the real infrastructure definition. Resources are
 * created in dependency order (DependsOn plus every Ref/GetAtt/Sub), intrinsics resolved against
 * what exists so far. Types nobody emulates are listed as unsupported, never dropped silently.
 * Deploying a stack again (after a `--data-dir` restart, or with new code) updates what the first
 * deployment created: names are stable and the built-in handlers create or update.
 * Each deployment, good or failed, is recorded with the local CloudFormation service, which answers
 * DescribeStacks/ListStackResources for it and resolves other stacks' `Fn::ImportValue` from its
 * exports. Asset paths (and handlers) must stay inside the cloud assembly (contained-path.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { CloudFormationService } from '../cloudformation/service.js';
import type { StackDeployment, StackOutput } from '../cloudformation/stack-registry.js';
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
  /** The stack's description. */
  readonly Description?: string;
  /** Parameters; each takes its `Default` unless `DeployOptions.parameters` gives a value. */
  readonly Parameters?: Record<
    string,
    {
      /** The parameter's type (`String`, `Number`, ...). */
      Type?: string;
      /** Its value when none is given. */
      Default?: unknown;
    }
  >;
  /** Lookup tables for `Fn::FindInMap`. */
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  /** Conditions that resources and outputs name. */
  readonly Conditions?: Record<string, unknown>;
  /** The resources, by logical id. */
  readonly Resources: Record<string, TemplateResource>;
  /** The outputs, by key. */
  readonly Outputs?: Record<
    string,
    {
      /** The value, intrinsics resolved at deployment. */
      Value: unknown;
      /** What the output is. */
      Description?: string;
      /** Only when this condition holds. */
      Condition?: string;
      /** Exported for other stacks' `Fn::ImportValue`. */
      Export?: {
        /** The export's name. */
        Name?: unknown;
      };
    }
  >;
}

/** One resource of a template. */
export interface TemplateResource {
  /** Its CloudFormation type (`AWS::SQS::Queue`). */
  readonly Type: string;
  /** Its properties, intrinsics unresolved. */
  readonly Properties?: Record<string, unknown>;
  /** Resources created before it, besides the ones it references. */
  readonly DependsOn?: string | string[];
  /** Created only when this condition holds. */
  readonly Condition?: string;
}

/** Options of {@link deployTemplate}. */
export interface DeployOptions {
  /**
   * The directory asset paths are relative to, holding the stack's `*.assets.json` (for a stack of a
   * cdk.out, that cdk.out or its nested stage assembly). @default the template file's directory
   */
  readonly assetDir?: string;
  /**
   * The cloud assembly root: asset paths (and function handlers) must resolve inside it; absolute
   * paths, `..` escapes and symbolic links out of it are refused. @default assetDir
   */
  readonly assemblyDir?: string;
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

/**
 * What the deployer did with a resource: `created` in an emulated service, `accepted` without
 * effect (IAM, log groups, ...), `unsupported` (listed with a warning), `skipped` (its condition is
 * false).
 */
export type ResourceStatus = 'created' | 'accepted' | 'unsupported' | 'skipped';

/** One resource of the deployed stack. */
export interface DeployedResource {
  /** Its CloudFormation type. */
  readonly type: string;
  /** What the deployer did with it. */
  readonly status: ResourceStatus;
  /** What `Ref` returns: queue URL, table name, function name, mapping UUID... */
  readonly physicalId: string;
  /** Its ARN, when it has one. */
  readonly arn?: string;
  /** Its URL (queues). */
  readonly url?: string;
}

/** A resource the local cloud does not emulate; the deployment goes on without it. */
export interface UnsupportedResource {
  /** Its logical id. */
  readonly logicalId: string;
  /** Its CloudFormation type. */
  readonly type: string;
  /** What is missing, for people. */
  readonly warning: string;
}

/** The result of deploying one stack. */
export interface DeploySummary {
  /** The stack's name. */
  readonly stackName: string;
  /** `arn:aws:cloudformation:<region>:000000000000:stack/<name>/<uuid>`, stable across redeployments. */
  readonly stackId: string;
  /** Every resource, by logical id. */
  readonly resources: Readonly<Record<string, DeployedResource>>;
  /** The stack's outputs, resolved, by key (`QueueUrl`, ...). */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The resources it did not emulate. */
  readonly unsupported: readonly UnsupportedResource[];
  /** Settings it ignored (KMS keys, filter criteria, ...). */
  readonly warnings: readonly string[];
}

/** A failed deployment, naming the resource it failed on (the resources before it stay created). */
export class DeployError extends Error {
  /** Always `DeployError`. */
  override readonly name = 'DeployError';
  constructor(
    /** The resource the deployment failed on, when it got that far. */
    readonly logicalId: string | undefined,
    message: string,
    /** The underlying error. */
    override readonly cause?: unknown,
  ) {
    super(logicalId ? `${logicalId}: ${message}` : message);
  }
}

/**
 * Creates the template's resources in the local cloud.
 * @example
 * const summary = await deployTemplate(cloud, 'cdk.out/InventoryStack.template.json');
 * console.log(summary.outputs.QueueUrl, summary.unsupported);
 */
export async function deployTemplate(
  cloud: LocalCloud,
  template: CloudFormationTemplate | string,
  options: DeployOptions = {},
): Promise<DeploySummary> {
  const templatePath = typeof template === 'string' ? template : undefined;
  const templateText = templatePath ? await readFile(templatePath, 'utf8') : undefined;
  const parsed: CloudFormationTemplate = templateText
    ? (JSON.parse(templateText) as CloudFormationTemplate)
    : (template as CloudFormationTemplate);
  const assetDir = options.assetDir ?? (templatePath ? dirname(templatePath) : process.cwd());
  const assemblyDir = options.assemblyDir ?? assetDir;
  const stackName =
    options.stackName ??
    (templatePath ? basename(templatePath).replace(/\.template\.json$/, '') : soleStackName(assetDir)) ??
    'LocalStack';
  const region = options.region ?? DEFAULT_REGION;
  const timeScale = options.timeScale ?? 1;
  if (options.timeScale !== undefined)
    (cloud.services.lambda as LambdaService | undefined)?.setTimeScale?.(timeScale);

  const cloudformation = cloudFormationOf(cloud);
  const stackId =
    cloudformation?.stackIdFor(stackName, region) ??
    `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT_ID}:stack/${stackName}/${randomUUID()}`;
  const parameters = parameterValues(parsed, options.parameters ?? {});

  const deployed = new Map<string, ResolvedResource>();
  // A set: the same placeholder can be resolved for several resources; one warning is enough.
  const warnings = new Set<string>();
  const resolver = new IntrinsicResolver({
    region,
    accountId: LOCAL_ACCOUNT_ID,
    stackName,
    stackId,
    parameters,
    mappings: parsed.Mappings ?? {},
    conditions: parsed.Conditions ?? {},
    resource: (logicalId) => deployed.get(logicalId),
    importValue: (name) => cloudformation?.exportedValue(name),
    warn: (message) => warnings.add(message),
  });
  const handlerFor = handlerLookup(cloud, options.resourceHandlers);

  const resources: Record<string, DeployedResource> = {};
  const unsupported: UnsupportedResource[] = [];
  // What the local CloudFormation API reports for this stack, also when the deployment fails.
  const recorded: Array<StackDeployment['resources'][number]> = [];
  const record = (outputs: readonly StackOutput[], failure?: string) => {
    try {
      cloudformation?.recordDeployment({
        stackName,
        stackId,
        region,
        templateBody: templateText ?? JSON.stringify(parsed, null, 1),
        parameters: Object.fromEntries(
          Object.entries(parameters).map(([name, value]) => [name, outputText(value)]),
        ),
        outputs,
        resources: recorded,
        ...(typeof parsed.Description === 'string' ? { description: parsed.Description } : {}),
        ...(failure ? { failure } : {}),
      });
    } catch (error) {
      throw new DeployError(undefined, (error as Error).message, error);
    }
  };
  let current: { logicalId: string; type: string } | undefined;
  try {
    for (const logicalId of deploymentOrder(parsed.Resources)) {
      const resource = parsed.Resources[logicalId]!;
      current = { logicalId, type: resource.Type };
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
        assemblyDir,
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
          recorded.push({
            logicalId,
            physicalId,
            type: resource.Type,
            statusReason: 'Recorded by the local cloud; the custom resource provider did not run',
          });
          continue;
        }
        const warning = `${logicalId}: ${resource.Type} is not emulated locally; it was not created`;
        unsupported.push({ logicalId, type: resource.Type, warning });
        resources[logicalId] = { type: resource.Type, status: 'unsupported', physicalId };
        recorded.push({
          logicalId,
          physicalId,
          type: resource.Type,
          statusReason: 'Not emulated by the local cloud; the resource was not created',
        });
        continue;
      }
      let provisioned: Awaited<ReturnType<ResourceHandler['create']>>;
      let properties: Record<string, unknown>;
      try {
        properties = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
        provisioned = await handler.create(properties, context);
      } catch (error) {
        throw new DeployError(logicalId, `${resource.Type} failed: ${(error as Error).message}`, error);
      }
      const attributes = provisioned.attributes ?? {};
      const status = provisioned.status ?? 'created';
      deployed.set(logicalId, { physicalId: provisioned.physicalId, attributes, type: resource.Type });
      resources[logicalId] = {
        type: resource.Type,
        status,
        physicalId: provisioned.physicalId,
        ...(typeof attributes.Arn === 'string' ? { arn: attributes.Arn } : {}),
        ...(typeof attributes.QueueUrl === 'string' ? { url: attributes.QueueUrl } : {}),
      };
      recorded.push({
        logicalId,
        physicalId: provisioned.physicalId,
        type: resource.Type,
        propertiesDigest: digest(properties),
        ...(status === 'accepted'
          ? { statusReason: 'Accepted by the local cloud without effect (not enforced locally)' }
          : {}),
      });
    }
    current = undefined;

    const outputs: Record<string, unknown> = {};
    const stackOutputs: StackOutput[] = [];
    for (const [name, output] of Object.entries(parsed.Outputs ?? {})) {
      if (output.Condition && !resolver.condition(output.Condition)) continue;
      try {
        outputs[name] = resolver.resolve(output.Value);
        const exportName =
          output.Export?.Name === undefined ? undefined : resolver.resolve(output.Export.Name);
        stackOutputs.push({
          key: name,
          value: outputText(outputs[name]),
          ...(typeof output.Description === 'string' ? { description: output.Description } : {}),
          ...(exportName !== undefined ? { exportName: outputText(exportName) } : {}),
        });
      } catch (error) {
        throw new DeployError(undefined, `output ${name}: ${(error as Error).message}`, error);
      }
    }
    record(stackOutputs);
    await cloud.flush();
    return { stackName, stackId, resources, outputs, unsupported, warnings: [...warnings] };
  } catch (error) {
    if (current) {
      recorded.push({
        logicalId: current.logicalId,
        physicalId: '',
        type: current.type,
        failed: true,
        statusReason: (error as Error).message,
      });
    }
    // Recording the failure must not hide it: the original error is the one to report.
    try {
      record([], (error as Error).message);
    } catch (recordError) {
      console.error(`local cloud: could not record the failed deployment of ${stackName}`, recordError);
    }
    throw error;
  }
}

/** The local CloudFormation service, when the cloud runs one (a cloud built for a test may not). */
function cloudFormationOf(cloud: LocalCloud): CloudFormationService | undefined {
  const service = cloud.services.cloudformation as CloudFormationService | undefined;
  return typeof service?.recordDeployment === 'function' ? service : undefined;
}

/** An output or parameter as CloudFormation shows it: lists comma-joined, like CommaDelimitedList. */
function outputText(value: unknown): string {
  if (Array.isArray(value)) return value.map(outputText).join(',');
  if (typeof value === 'string') return value;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function digest(properties: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(properties)).digest('base64url').slice(0, 22);
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
