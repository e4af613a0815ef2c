/**
 * Builds a stack holding one OncelyPipeline for template assertions, without esbuild: the consumer
 * is inline code given as `functionProps`, and the built-in functions come from the bundle
 * `npm run build` puts into packages/cdk/lambda.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OncelyPipeline, type OncelyPipelineProps } from '../../packages/cdk/src/oncely-pipeline.js';
import type { PipelineSettingsInput } from '../../packages/cdk/src/settings.js';

/** Account and region that keep synthesis offline. */
export const TEST_ENVIRONMENT = { account: '000000000000', region: 'us-east-1' } as const;

/** The user's own code: a handler that is never run by these tests. */
export const INLINE_CONSUMER: OncelyPipelineProps['consumer'] = {
  functionProps: {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
  },
};

export function buildStack(
  settings: PipelineSettingsInput = {},
  props: Partial<OncelyPipelineProps> = {},
  /** Adds more to the stack before it is synthesized. */
  extend?: (stack: Stack, pipeline: OncelyPipeline) => void,
): { stack: Stack; pipeline: OncelyPipeline; business: dynamodb.Table; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: TEST_ENVIRONMENT });
  const business = new dynamodb.Table(stack, 'Business', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const pipeline = new OncelyPipeline(stack, 'Pipeline', {
    consumer: INLINE_CONSUMER,
    settings,
    grantWrite: [business],
    environment: { BUSINESS_TABLE: business.tableName },
    outbox: true,
    ...props,
  });
  extend?.(stack, pipeline);
  return { stack, pipeline, business, template: Template.fromStack(stack) };
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
