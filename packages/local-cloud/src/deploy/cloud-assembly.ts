/**
 * Reads a cloud assembly, the directory `cdk synth` writes (`cdk.out`): `manifest.json` lists the
 * artifacts, among them every stack (`aws:cloudformation:stack`, its template in
 * `properties.templateFile`) and the asset manifests its assets are staged by. Stages nest
 * assemblies (`cdk:cloud-assembly`, `properties.directoryName`), whose stacks are read as well.
 * Every path the manifests name is resolved inside the assembly directory (see contained-path.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssemblyPathError, resolveContainedPath } from './contained-path.js';

/** One stack of a cloud assembly. */
export interface AssemblyStack {
  /** The artifact id in manifest.json (e.g. `DevSE4A0D79F`). */
  readonly artifactId: string;
  /** The CloudFormation stack name (`properties.stackName`, else the artifact id). */
  readonly stackName: string;
  /** The construct path people know the stack by (`Dev/Service`), else the stack name. */
  readonly displayName: string;
  /** Real path of the template, inside the assembly. */
  readonly templateFile: string;
  /** The (possibly nested) assembly directory holding the template and its asset manifests. */
  readonly directory: string;
  /** Artifact ids of the stacks this one depends on (deploy those first). */
  readonly dependencies: readonly string[];
  /** The stack's region when the app pinned one (`aws://account/region`). */
  readonly region?: string;
}

/** A cloud assembly (`cdk.out`), as {@link readCloudAssembly} or `synthesizeCdkApp` read it. */
export interface CloudAssembly {
  /** Real path of the top-level assembly directory: the root every asset path must stay in. */
  readonly directory: string;
  /** Every stack, nested assemblies included, ordered so dependencies come first. */
  readonly stacks: readonly AssemblyStack[];
}

/** A cloud assembly that cannot be read: no manifest, malformed JSON, a bad path. */
export class CloudAssemblyError extends Error {
  /** Always `CloudAssemblyError`. */
  override readonly name = 'CloudAssemblyError';
}

interface ManifestArtifact {
  readonly type?: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly dependencies?: readonly string[];
  readonly properties?: {
    readonly templateFile?: string;
    readonly stackName?: string;
    readonly directoryName?: string;
  };
}

const STACK_TYPE = 'aws:cloudformation:stack';
const NESTED_ASSEMBLY_TYPE = 'cdk:cloud-assembly';

/**
 * Reads the assembly in `directory`.
 * @example
 * const { stacks } = readCloudAssembly('cdk.out');
 * for (const stack of stacks) await deployTemplate(cloud, stack.templateFile, { stackName: stack.stackName, assemblyDir: 'cdk.out' });
 */
export function readCloudAssembly(directory: string): CloudAssembly {
  let root: string;
  try {
    root = resolveContainedPath(directory, directory, '.', 'cloud assembly');
  } catch {
    throw new CloudAssemblyError(`cloud assembly ${directory} does not exist`);
  }
  const stacks: AssemblyStack[] = [];
  const visit = (assemblyDir: string, label: string) => {
    for (const [artifactId, artifact] of Object.entries(readManifest(assemblyDir, label))) {
      if (artifact.type === NESTED_ASSEMBLY_TYPE) {
        const name = artifact.properties?.directoryName;
        if (!name) throw new CloudAssemblyError(`${label}: nested assembly ${artifactId} names no directory`);
        visit(contained(root, assemblyDir, name, `nested assembly ${artifactId}`), `${label}/${name}`);
        continue;
      }
      if (artifact.type !== STACK_TYPE) continue;
      const templateFile = artifact.properties?.templateFile;
      if (!templateFile) throw new CloudAssemblyError(`${label}: stack ${artifactId} names no templateFile`);
      const stackName = artifact.properties?.stackName ?? artifactId;
      const region = /^aws:\/\/[^/]+\/([^/]+)$/.exec(artifact.environment ?? '')?.[1];
      stacks.push({
        artifactId,
        stackName,
        displayName: artifact.displayName ?? stackName,
        templateFile: contained(root, assemblyDir, templateFile, `template of stack ${stackName}`),
        directory: assemblyDir,
        dependencies: artifact.dependencies ?? [],
        ...(region && region !== 'unknown-region' ? { region } : {}),
      });
    }
  };
  visit(root, join(directory, 'manifest.json'));
  return { directory: root, stacks: dependencyOrder(stacks) };
}

function readManifest(assemblyDir: string, label: string): Record<string, ManifestArtifact> {
  let text: string;
  try {
    text = readFileSync(join(assemblyDir, 'manifest.json'), 'utf8');
  } catch {
    throw new CloudAssemblyError(`${label}: no manifest.json in ${assemblyDir} (is it a cdk.out directory?)`);
  }
  let manifest: { artifacts?: Record<string, ManifestArtifact> };
  try {
    manifest = JSON.parse(text) as typeof manifest;
  } catch (error) {
    throw new CloudAssemblyError(`${label}: manifest.json is not JSON (${(error as Error).message})`);
  }
  if (!manifest || typeof manifest !== 'object') throw new CloudAssemblyError(`${label}: not a manifest`);
  return manifest.artifacts ?? {};
}

function contained(root: string, base: string, path: string, what: string): string {
  try {
    return resolveContainedPath(root, base, path, what);
  } catch (error) {
    if (error instanceof AssemblyPathError) throw new CloudAssemblyError(error.message);
    throw error;
  }
}

/** Stacks after the stacks they depend on (dependencies on asset manifests and the like are ignored). */
function dependencyOrder(stacks: AssemblyStack[]): AssemblyStack[] {
  const byId = new Map(stacks.map((stack) => [stack.artifactId, stack]));
  const ordered: AssemblyStack[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (stack: AssemblyStack) => {
    const seen = state.get(stack.artifactId);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      throw new CloudAssemblyError(`stacks depend on each other in a cycle through ${stack.stackName}`);
    }
    state.set(stack.artifactId, 'visiting');
    for (const dependency of stack.dependencies) {
      const other = byId.get(dependency);
      if (other) visit(other);
    }
    state.set(stack.artifactId, 'done');
    ordered.push(stack);
  };
  for (const stack of stacks) visit(stack);
  return ordered;
}
