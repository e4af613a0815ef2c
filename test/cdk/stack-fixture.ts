/** Builds a PipelineStack for template assertions, without esbuild (placeholder function code). */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OFFLINE_ENVIRONMENT } from '../../examples/points/src/synthesize.js';
import { PipelineStack } from '../../packages/cdk/src/pipeline-stack.js';
import type { PipelineSettingsInput } from '../../packages/cdk/src/settings.js';

export function buildStack(settings: PipelineSettingsInput = {}): {
  stack: PipelineStack;
  template: Template;
} {
  const app = new App();
  const stack = new PipelineStack(app, 'Test', {
    env: OFFLINE_ENVIRONMENT,
    settings,
    functionCode: 'placeholder',
  });
  return { stack, template: Template.fromStack(stack) };
}

/** A resource's CloudFormation properties, as loosely typed as the assertions library returns them. */
export type ResourceProperties = ReturnType<Template['findResources']>[string]['Properties'];

/** The one resource of a type whose logical id starts with `prefix`. */
export function resourceOf(
  template: Template,
  type: string,
  prefix: string,
): { id: string; props: ResourceProperties } {
  const matches = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  if (matches.length !== 1) throw new Error(`${matches.length} ${type} resources start with ${prefix}`);
  const [id, resource] = matches[0]!;
  return { id, props: (resource as { Properties: unknown }).Properties };
}
