/**
 * The synthesized pipeline stack for local runs, cached: synthesis bundles the functions with
 * esbuild (about 20 s on two cores), so the cloud assembly is kept in a directory with a stamp of
 * everything it was built from (the cdk and runtime packages, this example's sources and cdk.json,
 * package-lock.json, the settings) and reused while that stamp still matches.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { PipelineSettingsInput } from '@oncely/cdk';
import type { CloudFormationTemplate } from '@oncely/local-cloud';
import { repoPath } from '../paths.js';
import { cdkJsonSettings, DEFAULT_STACK_NAME, synthesizePipeline } from '../synthesize.js';

/**
 * Where `oncely demo` and `oncely local` keep synthesized stacks: one cloud assembly per settings
 * (a subdirectory named by their hash), so runs with different settings do not evict each other.
 */
const DEFAULT_STACK_CACHE_DIR = repoPath('.oncely/stacks');

export interface CachedStack {
  readonly template: CloudFormationTemplate;
  /** The cloud assembly directory (asset directories live below it). */
  readonly assetDir: string;
  readonly stackName: string;
  /** True when the cached assembly was reused instead of synthesized. */
  readonly reused: boolean;
  readonly settings: PipelineSettingsInput;
}

export interface StackCacheOptions {
  /** Parent of the per-settings assembly directories. @default DEFAULT_STACK_CACHE_DIR */
  readonly dir?: string;
  /** Applied over cdk.json's `oncely` settings. */
  readonly settings?: PipelineSettingsInput;
  /** Synthesize even when the stamp matches. @default false */
  readonly force?: boolean;
}

const STAMP_FILE = 'oncely-source.sha256';

/** Returns the stack synthesized from the current sources, synthesizing only when they changed. */
export function synthesizedStack(options: StackCacheOptions = {}): CachedStack {
  const settings = { ...cdkJsonSettings(), ...options.settings } as PipelineSettingsInput;
  const settingsHash = createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 12);
  const dir = join(options.dir ?? DEFAULT_STACK_CACHE_DIR, settingsHash);
  const stamp = sourceStamp(settings);
  const stampPath = join(dir, STAMP_FILE);
  const templatePath = join(dir, `${DEFAULT_STACK_NAME}.template.json`);
  if (
    !options.force &&
    existsSync(stampPath) &&
    existsSync(templatePath) &&
    readFileSync(stampPath, 'utf8').trim() === stamp
  ) {
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CloudFormationTemplate;
    return { template, assetDir: dir, stackName: DEFAULT_STACK_NAME, reused: true, settings };
  }
  mkdirSync(dir, { recursive: true });
  const synthesis = synthesizePipeline({ outdir: dir, settings });
  writeFileSync(stampPath, `${stamp}\n`);
  return {
    template: synthesis.template as unknown as CloudFormationTemplate,
    assetDir: synthesis.outdir,
    stackName: synthesis.stackName,
    reused: false,
    settings,
  };
}

/** A hash of every source file the stack is built from, plus the settings. */
function sourceStamp(settings: PipelineSettingsInput): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(settings));
  const root = repoPath('.');
  const files = [
    ...listFiles(repoPath('packages/cdk/src')),
    ...listFiles(repoPath('packages/cdk/lambda')),
    ...listFiles(repoPath('packages/runtime/src')),
    ...listFiles(repoPath('examples/points/src')),
    repoPath('examples/points/cdk.json'),
    repoPath('package-lock.json'),
  ].filter((file) => existsSync(file));
  for (const file of files.sort()) {
    hash.update(relative(root, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...listFiles(path));
    else found.push(path);
  }
  return found;
}
