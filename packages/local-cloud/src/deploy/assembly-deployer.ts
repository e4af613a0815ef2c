/**
 * Deploys the stacks of a cloud assembly into the local cloud, dependencies first, each from its
 * own (possibly nested) assembly directory while asset paths stay inside the assembly root. Like
 * `cdk deploy NAME`, choosing stacks brings the stacks they depend on along, so their exports exist
 * when the chosen ones import them.
 */
import type { LocalCloud } from '../server.js';
import {
  type AssemblyStack,
  type CloudAssembly,
  CloudAssemblyError,
  readCloudAssembly,
} from './cloud-assembly.js';
import { type DeploySummary, deployTemplate } from './template-deployer.js';

/** Options of {@link deployCloudAssembly}. */
export interface AssemblyDeployOptions {
  /**
   * Only these stacks (by stack name, artifact id or construct path) and the stacks they depend on.
   * @default every stack of the assembly
   */
  readonly stacks?: readonly string[];
  /** Divides Lambda timeouts and batching windows (see DeployOptions.timeScale). @default 1 */
  readonly timeScale?: number;
  /** Called before each stack deploys (progress for people). */
  readonly onStack?: (stack: AssemblyStack) => void;
}

/**
 * The stacks `names` choose, plus everything they depend on, in deployment order.
 * @throws CloudAssemblyError naming the stacks the assembly has when a name matches none
 */
export function selectStacks(assembly: CloudAssembly, names: readonly string[] | undefined): AssemblyStack[] {
  if (!names || names.length === 0) return [...assembly.stacks];
  const byId = new Map(assembly.stacks.map((stack) => [stack.artifactId, stack]));
  const chosen = new Set<string>();
  const add = (stack: AssemblyStack) => {
    if (chosen.has(stack.artifactId)) return;
    chosen.add(stack.artifactId);
    for (const dependency of stack.dependencies) {
      const other = byId.get(dependency);
      if (other) add(other);
    }
  };
  for (const name of names) {
    const stack = assembly.stacks.find((candidate) =>
      [candidate.stackName, candidate.artifactId, candidate.displayName].includes(name),
    );
    if (!stack) {
      const known = assembly.stacks.map((candidate) => candidate.displayName).join(', ') || 'none';
      throw new CloudAssemblyError(`the cloud assembly has no stack ${name} (it has: ${known})`);
    }
    add(stack);
  }
  // assembly.stacks is already in dependency order.
  return assembly.stacks.filter((stack) => chosen.has(stack.artifactId));
}

/**
 * Deploys the assembly's stacks (or the chosen ones) one after the other.
 * @example
 * const summaries = await deployCloudAssembly(cloud, 'cdk.out', { stacks: ['Orders'] });
 */
export async function deployCloudAssembly(
  cloud: LocalCloud,
  assembly: CloudAssembly | string,
  options: AssemblyDeployOptions = {},
): Promise<DeploySummary[]> {
  const read = typeof assembly === 'string' ? readCloudAssembly(assembly) : assembly;
  const summaries: DeploySummary[] = [];
  for (const stack of selectStacks(read, options.stacks)) {
    options.onStack?.(stack);
    summaries.push(
      await deployTemplate(cloud, stack.templateFile, {
        stackName: stack.stackName,
        assetDir: stack.directory,
        assemblyDir: read.directory,
        ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
      }),
    );
  }
  return summaries;
}
