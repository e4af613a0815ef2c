/**
 * The stacks the template deployer put into the local cloud, as CloudFormation describes them:
 * identity, status, outputs (and the exports they publish), resources and the template itself.
 * The local cloud has no CreateStack: a stack exists because `deployTemplate` recorded it, and a
 * second deployment of the same name is an update of the same stack (same stack id).
 */
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from '../protocol.js';

/** The stack statuses the local deployer produces (CloudFormation has more). */
export type StackStatus = 'CREATE_COMPLETE' | 'UPDATE_COMPLETE' | 'CREATE_FAILED' | 'UPDATE_FAILED';

/** The statuses of a stack's resource. */
export type StackResourceStatus = 'CREATE_COMPLETE' | 'UPDATE_COMPLETE' | 'CREATE_FAILED' | 'UPDATE_FAILED';

/** One output of a deployed stack. */
export interface StackOutput {
  /** The output's key (`QueueUrl`). */
  readonly key: string;
  /** Its resolved value. */
  readonly value: string;
  /** The template's description of it. */
  readonly description?: string;
  /** The name other stacks import it by (`Fn::ImportValue`). */
  readonly exportName?: string;
}

/** One resource of a deployed stack, as ListStackResources reports it. */
export interface StackResource {
  /** Its logical id in the template. */
  readonly logicalId: string;
  /** What `Ref` returns (queue URL, table name, function name...), as CloudFormation reports it. */
  readonly physicalId: string;
  /** Its CloudFormation type (`AWS::SQS::Queue`). */
  readonly type: string;
  /** Created, updated, or failed. */
  readonly status: StackResourceStatus;
  /** Why the resource is in its status, e.g. that the local cloud only recorded it. */
  readonly statusReason?: string;
  /** Epoch milliseconds of the last change to this resource. */
  readonly lastUpdated: number;
  /**
   * Digest of the resolved properties the resource was deployed with: an unchanged resource keeps
   * its status and timestamp across a redeployment, as CloudFormation leaves it alone.
   */
  readonly propertiesDigest?: string;
}

/** One stack, as DescribeStacks and friends answer for it. */
export interface StackRecord {
  /** `arn:aws:cloudformation:<region>:000000000000:stack/<name>/<uuid>` */
  readonly stackId: string;
  /** The stack's name. */
  readonly stackName: string;
  /** The region it was deployed to. */
  readonly region: string;
  /** The template's description. */
  readonly description?: string;
  /** Its status after the last deployment. */
  readonly status: StackStatus;
  /** Why a deployment failed. */
  readonly statusReason?: string;
  /** Epoch milliseconds. */
  readonly creationTime: number;
  /** Epoch milliseconds of the last redeployment. */
  readonly lastUpdatedTime?: number;
  /** The parameter values it was deployed with. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Its outputs, resolved. */
  readonly outputs: readonly StackOutput[];
  /** Its resources. */
  readonly resources: readonly StackResource[];
  /** The template as deployed (JSON text), for GetTemplate. */
  readonly templateBody: string;
}

/** What the deployer reports after deploying (or failing to deploy) a stack. */
export interface StackDeployment {
  readonly stackName: string;
  /** The id the deployment used for `AWS::StackId` (from {@link StackRegistry.stackIdFor}). */
  readonly stackId: string;
  readonly region: string;
  readonly description?: string;
  readonly templateBody: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly outputs: readonly StackOutput[];
  /** Resources as deployed; a resource's status and timestamp are derived here. */
  readonly resources: ReadonlyArray<{
    readonly logicalId: string;
    readonly physicalId: string;
    readonly type: string;
    readonly statusReason?: string;
    readonly propertiesDigest?: string;
    /** The resource the deployment failed on. */
    readonly failed?: boolean;
  }>;
  /** Set when the deployment failed; the stack records what was created before the failure. */
  readonly failure?: string;
}

/** Thrown when a deployment would publish an export name another stack already exports. */
export class ExportConflictError extends Error {
  override readonly name = 'ExportConflictError';
}

export class StackRegistry {
  private readonly byName = new Map<string, StackRecord>();

  constructor(private readonly now: () => number) {}

  /** The stack id a deployment of `stackName` uses: the existing stack's, or a new one. */
  stackIdFor(stackName: string, region: string): string {
    return (
      this.byName.get(stackName)?.stackId ??
      `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT_ID}:stack/${stackName}/${randomUUID()}`
    );
  }

  /**
   * Records a deployment: a new stack is CREATE_*, a known one UPDATE_* with its creation time and
   * id kept. Export names must be unique across stacks, as in one CloudFormation region.
   */
  record(deployment: StackDeployment): StackRecord {
    const previous = this.byName.get(deployment.stackName);
    for (const output of deployment.failure ? [] : deployment.outputs) {
      if (!output.exportName) continue;
      const owner = this.exporterOf(output.exportName);
      if (owner && owner.stackName !== deployment.stackName) {
        throw new ExportConflictError(
          `Export with name ${output.exportName} is already exported by stack ${owner.stackName}`,
        );
      }
    }
    const now = this.now();
    const updating = previous !== undefined;
    const before = new Map(previous?.resources.map((resource) => [resource.logicalId, resource]));
    const resources = deployment.resources.map((resource): StackResource => {
      const old = before.get(resource.logicalId);
      const unchanged =
        old !== undefined &&
        !resource.failed &&
        old.type === resource.type &&
        old.physicalId === resource.physicalId &&
        old.propertiesDigest === resource.propertiesDigest &&
        !old.status.endsWith('_FAILED');
      if (unchanged) return old;
      const verb = old ? 'UPDATE' : 'CREATE';
      return {
        logicalId: resource.logicalId,
        physicalId: resource.physicalId,
        type: resource.type,
        status: `${verb}_${resource.failed ? 'FAILED' : 'COMPLETE'}`,
        lastUpdated: now,
        ...(resource.statusReason ? { statusReason: resource.statusReason } : {}),
        ...(resource.propertiesDigest ? { propertiesDigest: resource.propertiesDigest } : {}),
      };
    });
    const record: StackRecord = {
      stackId: previous?.stackId ?? deployment.stackId,
      stackName: deployment.stackName,
      region: deployment.region,
      status: `${updating ? 'UPDATE' : 'CREATE'}_${deployment.failure ? 'FAILED' : 'COMPLETE'}`,
      creationTime: previous?.creationTime ?? now,
      ...(updating ? { lastUpdatedTime: now } : {}),
      parameters: { ...deployment.parameters },
      // A failed update leaves the outputs of the last good deployment (CloudFormation rolls back).
      outputs: deployment.failure ? (previous?.outputs ?? []) : deployment.outputs,
      resources,
      templateBody: deployment.templateBody,
      ...(deployment.description !== undefined ? { description: deployment.description } : {}),
      ...(deployment.failure ? { statusReason: deployment.failure } : {}),
    };
    this.byName.set(record.stackName, record);
    return record;
  }

  /** A stack by name or by stack id (CloudFormation accepts either for a running stack). */
  find(nameOrId: string): StackRecord | undefined {
    const byName = this.byName.get(nameOrId);
    if (byName) return byName;
    if (!nameOrId.startsWith('arn:')) return undefined;
    for (const stack of this.byName.values()) if (stack.stackId === nameOrId) return stack;
    return undefined;
  }

  /** Every stack, oldest first. */
  list(): StackRecord[] {
    return [...this.byName.values()].sort((a, b) => a.creationTime - b.creationTime);
  }

  /** The value a stack exports under `name` (what `Fn::ImportValue` returns), if any. */
  exportedValue(name: string): string | undefined {
    return this.exporterOf(name)?.outputs.find((output) => output.exportName === name)?.value;
  }

  snapshot(): StackRecord[] {
    return this.list();
  }

  restore(stacks: readonly StackRecord[]): void {
    for (const stack of stacks) this.byName.set(stack.stackName, stack);
  }

  private exporterOf(name: string): StackRecord | undefined {
    for (const stack of this.byName.values()) {
      if (stack.outputs.some((output) => output.exportName === name)) return stack;
    }
    return undefined;
  }
}
