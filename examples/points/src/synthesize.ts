/**
 * In-process synthesis, for tools that need the template without the CDK CLI: the local cloud's
 * deployer and tests. Function bundles land in `<outdir>/asset.<hash>/index.mjs`; each function
 * resource names its directory in `Metadata["aws:asset:path"]` (relative to `outdir`).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PipelineSettingsInput, SETTINGS_CONTEXT_KEY } from '@oncely/cdk';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { examplePath } from './paths.js';
import { PointsStack } from './stack/points-stack.js';

/** Default stack name of `cdk deploy` and of the local cloud. */
export const DEFAULT_STACK_NAME = 'Oncely';

/** Account and region used when the environment names none, so synthesis never looks anything up. */
export const OFFLINE_ENVIRONMENT = { account: '000000000000', region: 'us-east-1' } as const;

export interface SynthesizeOptions {
  /** @default 'Oncely' */
  readonly stackName?: string;
  /** @default - the `oncely` object of cdk.json's context, as `cdk synth` uses it */
  readonly settings?: PipelineSettingsInput;
  /** Cloud assembly directory. @default - a fresh temporary directory */
  readonly outdir?: string;
  /** @default OFFLINE_ENVIRONMENT */
  readonly env?: { readonly account: string; readonly region: string };
  /** Run the AwsSolutions and Serverless cdk-nag packs (errors fail synthesis). @default false */
  readonly nag?: boolean;
}

export interface PipelineSynthesis {
  /** The CloudFormation template, as deployed. */
  readonly template: Record<string, unknown>;
  /** The cloud assembly directory; function bundles are in its `asset.*` subdirectories. */
  readonly outdir: string;
  readonly stackName: string;
  /** Absolute bundle directory of each Lambda function, by logical id. */
  readonly functionAssets: Readonly<Record<string, string>>;
}

/** Synthesizes the points example's stack in-process. */
export function synthesizePipeline(options: SynthesizeOptions = {}): PipelineSynthesis {
  const outdir = options.outdir ?? mkdtempSync(join(tmpdir(), 'oncely-cdk-'));
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const app = new App({
    outdir,
    analyticsReporting: false,
    // Asset metadata tells the local deployer which directory holds each function's bundle.
    context: { 'aws:cdk:enable-asset-metadata': true },
  });
  const stack = new PointsStack(app, stackName, {
    env: options.env ?? OFFLINE_ENVIRONMENT,
    settings: options.settings ?? cdkJsonSettings(),
  });
  if (options.nag) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  }
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = artifact.template as Record<string, unknown>;
  const resources = (template.Resources ?? {}) as Record<
    string,
    { Type: string; Metadata?: Record<string, string> }
  >;
  const functionAssets: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (resource.Type === 'AWS::Lambda::Function' && assetPath)
      functionAssets[logicalId] = join(outdir, assetPath);
  }
  return { template, outdir: assembly.directory, stackName: stack.stackName, functionAssets };
}

/** The settings object in cdk.json's context, so in-process synthesis matches `cdk synth`. */
export function cdkJsonSettings(path = examplePath('cdk.json')): PipelineSettingsInput {
  if (!existsSync(path)) return {};
  const cdkJson = JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> };
  const settings = cdkJson.context?.[SETTINGS_CONTEXT_KEY];
  return typeof settings === 'object' && settings !== null ? (settings as PipelineSettingsInput) : {};
}
