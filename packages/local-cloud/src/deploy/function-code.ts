/**
 * Finds the code of an `AWS::Lambda::Function` on disk. `cdk synth` stages every asset as
 * `cdk.out/asset.<hash>` (a directory, or a file for pre-built zips) and the template refers to it
 * as `Code.S3Key: <hash>.zip`; `<stack>.assets.json` maps hashes to those paths when the naming
 * differs. Inline `Code.ZipFile` source is written out as `index.js`, like Lambda does.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { extractZip } from '../lambda/zip-archive.js';

/** Returns a directory holding the function's unpacked code. */
export async function resolveFunctionCode(code: Record<string, unknown>, assetDir: string): Promise<string> {
  if (typeof code.ZipFile === 'string') {
    const directory = await mkdtemp(join(tmpdir(), 'oncely-inline-'));
    await writeFile(join(directory, 'index.js'), code.ZipFile);
    return directory;
  }
  const key = typeof code.S3Key === 'string' ? code.S3Key : undefined;
  if (!key)
    throw new Error('Code has neither S3Key nor ZipFile (container images are not supported locally)');
  const hash = basename(key, extname(key));
  const source = findAssetPath(hash, assetDir);
  if (!source) throw new Error(`No asset ${hash} below ${assetDir} (run \`cdk synth\` first?)`);
  if (statSync(source).isDirectory()) return source;
  const directory = await mkdtemp(join(tmpdir(), `oncely-asset-${hash.slice(0, 12)}-`));
  await extractZip(await readFile(source), directory);
  return directory;
}

function findAssetPath(hash: string, assetDir: string): string | undefined {
  for (const candidate of [`asset.${hash}`, `asset.${hash}.zip`]) {
    const path = join(assetDir, candidate);
    if (existsSync(path)) return path;
  }
  for (const manifest of readdirSync(assetDir).filter((name) => name.endsWith('.assets.json'))) {
    const assets = JSON.parse(readFileSync(join(assetDir, manifest), 'utf8')) as {
      files?: Record<string, { source?: { path?: string } }>;
    };
    const path = assets.files?.[hash]?.source?.path;
    if (path && existsSync(join(assetDir, path))) return join(assetDir, path);
  }
  return undefined;
}
