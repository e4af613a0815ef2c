/**
 * Local CloudFormation over the AWS query protocol: the read side of the API (DescribeStacks,
 * ListStacks, ListStackResources, DescribeStackResources, DescribeStackResource, GetTemplate) for
 * the stacks the template deployer recorded. Tools that find a stack's resources through its
 * outputs (`oncely status --stack`, `aws cloudformation describe-stacks`) work unchanged. Stacks
 * are created by `deployTemplate`, not by CreateStack, which is not emulated.
 */
import {
  AwsError,
  type LocalService,
  type ServiceContext,
  type ServiceRequest,
  type ServiceResponse,
} from '../protocol.js';
import { element } from '../sns/query-xml.js';
import {
  listElement,
  resourceSummaryXml,
  stackResourceDetailXml,
  stackResourceXml,
  stackSummaryXml,
  stackXml,
  xmlErrorResponse,
  xmlResponse,
} from './query-responses.js';
import { type StackDeployment, type StackRecord, StackRegistry } from './stack-registry.js';

const QUERY_ACTIONS = new Set([
  'DescribeStacks',
  'ListStacks',
  'ListStackResources',
  'DescribeStackResources',
  'DescribeStackResource',
  'GetTemplate',
]);

/** DescribeStackResources answers at most this many resources; ListStackResources has them all. */
const DESCRIBE_STACK_RESOURCES_LIMIT = 100;

/**
 * The local CloudFormation API over what the template deployer recorded: DescribeStacks,
 * ListStacks, ListStackResources, DescribeStackResource(s) and GetTemplate, in the query protocol,
 * so tools that find resources through stack outputs (`oncely status --stack`, the AWS CLI) work as
 * against AWS. There is no CreateStack: stacks come from `deployTemplate` and `deployCloudAssembly`.
 */
export class CloudFormationService implements LocalService {
  readonly signingNames = ['cloudformation'];
  readonly targetPrefixes: readonly string[] = [];
  readonly queryActions: ReadonlySet<string> = QUERY_ACTIONS;
  private readonly registry: StackRegistry;

  constructor(context: ServiceContext) {
    this.registry = new StackRegistry(() => context.clock.now());
  }

  /** The stack id a deployment of `stackName` will have (`AWS::StackId` while it deploys). */
  stackIdFor(stackName: string, region: string): string {
    return this.registry.stackIdFor(stackName, region);
  }

  /** Records a deployment (called by the template deployer). */
  recordDeployment(deployment: StackDeployment): StackRecord {
    return this.registry.record(deployment);
  }

  /** A deployed stack by name or stack id. */
  stack(nameOrId: string): StackRecord | undefined {
    return this.registry.find(nameOrId);
  }

  /** Every deployed stack, oldest first. */
  stacks(): StackRecord[] {
    return this.registry.list();
  }

  /** What `Fn::ImportValue` of `exportName` returns, if a deployed stack exports it. */
  exportedValue(exportName: string): string | undefined {
    return this.registry.exportedValue(exportName);
  }

  /** Answers one CloudFormation request. */
  async dispatch(request: ServiceRequest): Promise<ServiceResponse> {
    try {
      if (request.protocol !== 'query') {
        throw new AwsError('InvalidAction', 'CloudFormation speaks the query protocol only.');
      }
      const result = this.handle(request.operation, request.input as URLSearchParams);
      return xmlResponse(request.operation, request.requestId, result);
    } catch (error) {
      if (error instanceof AwsError) return xmlErrorResponse(error, request.requestId);
      throw error;
    }
  }

  snapshot(): unknown {
    return { stacks: this.registry.snapshot() };
  }

  /** Restores the recorded stacks from a `snapshot()` (`--data-dir`). */
  restore(state: unknown): void {
    const saved = state as { stacks?: StackRecord[] } | undefined;
    this.registry.restore(saved?.stacks ?? []);
  }

  private handle(operation: string, params: URLSearchParams): string {
    switch (operation) {
      case 'DescribeStacks': {
        const name = optionalParam(params, 'StackName');
        const stacks = name === undefined ? this.registry.list() : [this.requireStack(name)];
        return listElement('Stacks', stacks, stackXml) || '<Stacks/>';
      }
      case 'ListStacks': {
        const filter = memberList(params, 'StackStatusFilter');
        const stacks = this.registry
          .list()
          .filter((stack) => filter.length === 0 || filter.includes(stack.status));
        return listElement('StackSummaries', stacks, stackSummaryXml) || '<StackSummaries/>';
      }
      case 'ListStackResources': {
        const stack = this.requireStack(requiredParam(params, 'StackName'));
        return (
          listElement('StackResourceSummaries', stack.resources, resourceSummaryXml) ||
          '<StackResourceSummaries/>'
        );
      }
      case 'DescribeStackResources':
        return this.describeStackResources(params);
      case 'DescribeStackResource': {
        const stack = this.requireStack(requiredParam(params, 'StackName'));
        const logicalId = requiredParam(params, 'LogicalResourceId');
        const resource = stack.resources.find((candidate) => candidate.logicalId === logicalId);
        if (!resource) {
          throw new AwsError(
            'ValidationError',
            `Resource ${logicalId} does not exist for stack ${stack.stackName}`,
          );
        }
        return `<StackResourceDetail>${stackResourceDetailXml(stack, resource)}</StackResourceDetail>`;
      }
      case 'GetTemplate': {
        const stack = this.requireStack(requiredParam(params, 'StackName'));
        // The deployer takes templates as written; there are no transforms to process locally.
        return (
          element('TemplateBody', stack.templateBody) +
          '<StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>'
        );
      }
      default:
        throw new AwsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`);
    }
  }

  /** By stack (optionally one logical id), or by a physical id, which finds its stack. */
  private describeStackResources(params: URLSearchParams): string {
    const name = optionalParam(params, 'StackName');
    const physicalId = optionalParam(params, 'PhysicalResourceId');
    const logicalId = optionalParam(params, 'LogicalResourceId');
    let stack: StackRecord | undefined;
    if (name !== undefined) stack = this.requireStack(name);
    else if (physicalId !== undefined) {
      stack = this.registry
        .list()
        .find((candidate) => candidate.resources.some((resource) => resource.physicalId === physicalId));
      if (!stack) throw new AwsError('ValidationError', `Stack for ${physicalId} does not exist`);
    } else {
      throw new AwsError('ValidationError', 'Either StackName or PhysicalResourceId must be specified.');
    }
    const found = stack;
    const resources = found.resources
      .filter(
        (resource) =>
          (logicalId === undefined || resource.logicalId === logicalId) &&
          (physicalId === undefined || resource.physicalId === physicalId),
      )
      .slice(0, DESCRIBE_STACK_RESOURCES_LIMIT);
    return (
      listElement('StackResources', resources, (resource) => stackResourceXml(found, resource)) ||
      '<StackResources/>'
    );
  }

  private requireStack(nameOrId: string): StackRecord {
    const stack = this.registry.find(nameOrId);
    if (!stack) throw new AwsError('ValidationError', `Stack with id ${nameOrId} does not exist`);
    return stack;
  }
}

function optionalParam(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null || value === '' ? undefined : value;
}

/** CloudFormation words a missing required member the way every Coral service does. */
function requiredParam(params: URLSearchParams, name: string): string {
  const value = optionalParam(params, name);
  if (value === undefined) {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw new AwsError(
      'ValidationError',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

/** `Name.member.1`, `Name.member.2`, ... */
function memberList(params: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let index = 1; ; index++) {
    const value = params.get(`${name}.member.${index}`);
    if (value === null) return values;
    values.push(value);
  }
}

export function createCloudFormationService(context: ServiceContext): CloudFormationService {
  return new CloudFormationService(context);
}
