/**
 * Finds the code of an `AWS::Lambda::Function` on disk. `cdk synth` stages every asset in the
 * cloud assembly and the template refers to it by its S3 object key (`Code.S3Key: <hash>.zip`);
 * the stack's asset manifest (`<stack>.assets.json`) maps that key to the staged path
 * (`files[hash].source.path`, a directory for `zip` packaging, a file for `file` packaging), and
 * older assemblies name the directory `asset.<hash>`. Inline `Code.ZipFile` source is written out
 * as `index.js`, as Lambda does. Every path is resolved inside the assembly directory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, isAbsolute, join, resolve, win32 } from 'node:path';
import { extractZip } from '../lambda/zip-archive.js';
import {
  AssemblyPathError,
  assertNoEscapingLinks,
  isInside,
  resolveContainedPath,
} from './contained-path.js';

interface AssetManifest {
  readonly files?: Record<
    string,
    {
      readonly source?: {
        readonly path?: string;
        readonly packaging?: string;
        readonly executable?: unknown;
      };
      readonly destinations?: Record<string, { readonly objectKey?: string }>;
    }
  >;
}

/**
 * Returns a directory holding the function's unpacked code.
 * @param assetDir the directory of the template: asset manifests live here, paths are relative to it
 * @param assemblyDir the cloud assembly root no asset path may leave @default assetDir
 */
export async function resolveFunctionCode(
  code: Record<string, unknown>,
  assetDir: string,
  assemblyDir: string = assetDir,
): Promise<string> {
  if (typeof code.ZipFile === 'string') {
    const directory = await mkdtemp(join(tmpdir(), 'oncely-inline-'));
    await writeFile(join(directory, 'index.js'), code.ZipFile);
    return directory;
  }
  const key = typeof code.S3Key === 'string' ? code.S3Key : undefined;
  if (!key)
    throw new Error('Code has neither S3Key nor ZipFile (container images are not supported locally)');
  const source = findAsset(key, assetDir, assemblyDir);
  if (statSync(source.path).isDirectory()) {
    assertNoEscapingLinks(assemblyDir, source.path, source.what);
    return source.path;
  }
  const hash = basename(key, extname(key));
  const directory = await mkdtemp(join(tmpdir(), `oncely-asset-${hash.slice(0, 12)}-`));
  await extractZip(await readFile(source.path), directory);
  return directory;
}

/** The staged asset the object key names: through the asset manifests first, then by its hash. */
function findAsset(key: string, assetDir: string, assemblyDir: string): { path: string; what: string } {
  const hash = basename(key, extname(key));
  for (const manifestName of readdirSync(assetDir).filter((name) => name.endsWith('.assets.json'))) {
    let manifest: AssetManifest;
    try {
      manifest = JSON.parse(readFileSync(join(assetDir, manifestName), 'utf8')) as AssetManifest;
    } catch (error) {
      throw new Error(`${manifestName} is not valid JSON: ${(error as Error).message}`);
    }
    for (const [assetHash, asset] of Object.entries(manifest.files ?? {})) {
      const keys = Object.values(asset.destinations ?? {}).map((destination) => destination.objectKey);
      if (assetHash !== hash && !keys.includes(key)) continue;
      const what = `asset ${assetHash} (${manifestName})`;
      if (asset.source?.executable !== undefined) {
        throw new Error(`${what} is built by a command at publish time, which the local cloud does not run`);
      }
      const path = asset.source?.path;
      if (typeof path !== 'string') throw new Error(`${what} has no source.path`);
      return { path: resolveContainedPath(assemblyDir, assetDir, path, what), what };
    }
  }
  for (const candidate of [`asset.${hash}`, `asset.${hash}.zip`]) {
    if (existsSync(join(assetDir, candidate))) {
      const what = `asset ${hash}`;
      return { path: resolveContainedPath(assemblyDir, assetDir, candidate, what), what };
    }
  }
  throw new Error(`No asset ${hash} below ${assetDir} (run \`cdk synth\` first?)`);
}

/**
 * Checks a `Handler` (`path/to/module.export`) names a module inside the code directory, so a
 * template cannot point a function at code elsewhere on this machine. Returns whether the module
 * file exists (a missing one fails at invocation, as on Lambda).
 */
export function checkHandlerModule(codeDirectory: string, handler: string): boolean {
  const dot = handler.lastIndexOf('.');
  const modulePath = dot > 0 ? handler.slice(0, dot) : handler;
  if (isAbsolute(modulePath) || win32.isAbsolute(modulePath)) {
    throw new AssemblyPathError(`Handler ${handler}: the module must be a path inside the function's code`);
  }
  const base = resolve(codeDirectory, modulePath);
  if (!isInside(resolve(codeDirectory), base)) {
    throw new AssemblyPathError(`Handler ${handler}: the module leaves the function's code directory`);
  }
  for (const extension of ['.js', '.mjs', '.cjs']) {
    if (!existsSync(`${base}${extension}`)) continue;
    resolveContainedPath(codeDirectory, codeDirectory, `${modulePath}${extension}`, `Handler ${handler}`);
    return true;
  }
  return false;
}
