import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * How function code is produced. `bundle`: esbuild bundles the TypeScript entry locally (never in
 * Docker). `placeholder`: a tiny inline handler, for tests that only inspect the template.
 */
export type FunctionCodeMode = 'bundle' | 'placeholder';

/** Properties of {@link PipelineFunction}. */
export interface PipelineFunctionProps {
  /** Absolute path of the TypeScript handler module (exporting `handler`). */
  readonly entry: string;
  readonly description: string;
  /** Environment, keyed by the names in packages/runtime/src/config.ts `ENVIRONMENT_VARIABLES`. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default - the unreserved account pool */
  readonly reservedConcurrentExecutions?: number;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default 'bundle' */
  readonly code?: FunctionCodeMode;
  /**
   * Asynchronous invocations (schedules, alarm events) that still fail after Lambda's retries land
   * here. @default - none: the function is invoked synchronously (and says why, see `syncOnlyReason`)
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Why a function without `deadLetterQueue` needs none; recorded as the cdk-nag acknowledgement. */
  readonly syncOnlyReason?: string;
}

/** The runtime every function uses: the newest Node.js Lambda offers in this aws-cdk-lib. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * esbuild target of the bundles: the Lambda runtime's Node.js is newer, and the local cloud runs the
 * same bundles on the Node.js of the developer machine (20.19 or newer), so the lower target keeps
 * one artefact valid for both.
 */
export const BUNDLE_TARGET = 'node20';

/**
 * One Lambda function of the pipeline with the project's defaults: Node.js 24 on arm64, X-Ray
 * tracing, an explicit log group with retention, and a role that may only write to that log group
 * (no AWSLambdaBasicExecutionRole wildcard); callers add least-privilege grants.
 *
 * Bundles are ES modules (`index.mjs`, handler `index.handler`) with every dependency included,
 * the AWS SDK too, so the deployed code uses the SDK version the tests ran against.
 */
export class PipelineFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.ILogGroup;
  readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: (props.logRetentionDays ?? 30) as logs.RetentionDays,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description}`,
    });
    logGroup.grantWrite(role);

    const common = {
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      logGroup,
      role,
      environment: { ...props.environment },
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
    };
    this.function =
      props.code === 'placeholder'
        ? new lambda.Function(this, 'Function', {
            ...common,
            handler: 'index.handler',
            code: lambda.Code.fromInline(
              "exports.handler = async () => { throw new Error('placeholder code: synthesized without bundling'); };",
            ),
          })
        : new NodejsFunction(this, 'Function', {
            ...common,
            entry: props.entry,
            handler: 'handler',
            bundling: {
              forceDockerBundling: false,
              format: OutputFormat.ESM,
              target: BUNDLE_TARGET,
              mainFields: ['module', 'main'],
              // CommonJS dependencies inside an ES module bundle still call require() for built-ins.
              banner:
                "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
              externalModules: [],
              minify: true,
              sourceMap: false,
            },
          });
    this.logGroup = logGroup;
    this.role = role;
    if (!props.deadLetterQueue) {
      if (!props.syncOnlyReason)
        throw new Error(`${this.node.path}: give a deadLetterQueue or a syncOnlyReason`);
      Validations.of(this.function).acknowledge({ id: 'Serverless-LambdaDLQ', reason: props.syncOnlyReason });
    }

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (and, for the auditor and scaler, cloudwatch:PutMetricData limited to the Oncely namespace by condition) support no resource-level permissions.',
    });
  }
}
