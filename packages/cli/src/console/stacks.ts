/**
 * The stacks deployed in the local cloud, found as any tool finds them: CloudFormation
 * DescribeStacks, ListStackResources and GetTemplate over the SDK, against the local endpoint. A
 * stack with the pipeline's outputs also gets the CLI's own connection to it (`connect` with
 * `--stack`), so the console reads it exactly as `oncely status --stack NAME` does.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateListStackResources,
} from '@aws-sdk/client-cloudformation';
import { LOCAL_CREDENTIALS } from '@oncely/runtime/aws';
import { type CliContext, connect, RESOURCES } from '../stack-resources.js';
import { type Architecture, architectureOf, type TemplateDocument } from './architecture.js';

export interface StackResourceEntry {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
}

/** One deployed stack as the console knows it; replaced whole when the stack is redeployed. */
export interface StackEntry {
  readonly name: string;
  readonly status: string;
  /** Epoch ms of the last deployment (creation or update). */
  readonly deployedAt: number;
  readonly outputs: Readonly<Record<string, string>>;
  readonly resources: readonly StackResourceEntry[];
  readonly architecture: Architecture;
  /** The CLI's connection to the stack's pipeline, when its outputs name a queue (QueueUrl). */
  readonly pipeline: CliContext | undefined;
}

export class StackDirectory {
  private readonly cloudformation: CloudFormationClient;
  private readonly stacks = new Map<string, StackEntry>();
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly region: string,
  ) {
    this.cloudformation = new CloudFormationClient({
      endpoint,
      region,
      credentials: LOCAL_CREDENTIALS,
    });
  }

  list(): StackEntry[] {
    return [...this.stacks.values()];
  }

  get(name: string): StackEntry | undefined {
    return this.stacks.get(name);
  }

  /** Picks up new and redeployed stacks (one refresh at a time; callers share a running one). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  close(): void {
    for (const stack of this.stacks.values()) stack.pipeline?.close();
    this.stacks.clear();
    this.cloudformation.destroy();
  }

  private async load(): Promise<void> {
    const { Stacks: stacks = [] } = await this.cloudformation.send(new DescribeStacksCommand({}));
    for (const stack of stacks) {
      const name = stack.StackName;
      if (!name) continue;
      const deployedAt = (stack.LastUpdatedTime ?? stack.CreationTime)?.getTime() ?? 0;
      const known = this.stacks.get(name);
      if (known && known.deployedAt === deployedAt && known.status === stack.StackStatus) continue;
      const outputs = Object.fromEntries(
        (stack.Outputs ?? []).flatMap((output) =>
          output.OutputKey && output.OutputValue !== undefined
            ? [[output.OutputKey, output.OutputValue]]
            : [],
        ),
      );
      const entry = await this.describe(name, stack.StackStatus ?? 'UNKNOWN', deployedAt, outputs);
      known?.pipeline?.close();
      this.stacks.set(name, entry);
    }
  }

  private async describe(
    name: string,
    status: string,
    deployedAt: number,
    outputs: Record<string, string>,
  ): Promise<StackEntry> {
    const resources: StackResourceEntry[] = [];
    for await (const page of paginateListStackResources(
      { client: this.cloudformation },
      { StackName: name },
    )) {
      for (const summary of page.StackResourceSummaries ?? []) {
        if (summary.LogicalResourceId && summary.ResourceType)
          resources.push({
            logicalId: summary.LogicalResourceId,
            physicalId: summary.PhysicalResourceId ?? '',
            type: summary.ResourceType,
          });
      }
    }
    const { TemplateBody: body } = await this.cloudformation.send(
      new GetTemplateCommand({ StackName: name }),
    );
    let template: TemplateDocument = {};
    try {
      template = JSON.parse(body ?? '{}') as TemplateDocument;
    } catch {
      // A YAML template: the local deployer takes JSON only, so this does not happen; draw nothing.
    }
    const physicalIds = new Map(resources.map((resource) => [resource.logicalId, resource.physicalId]));
    const pipeline = outputs[RESOURCES.queueUrl.output]
      ? await connect({ endpoint: this.endpoint, region: this.region, stack: name })
      : undefined;
    return {
      name,
      status,
      deployedAt,
      outputs,
      resources,
      architecture: architectureOf(template, physicalIds),
      pipeline,
    };
  }
}

/** The physical ids of a stack's resources of one type. */
export function resourcesOfType(stack: StackEntry, type: string): StackResourceEntry[] {
  return stack.resources.filter((resource) => resource.type === type && resource.physicalId);
}
