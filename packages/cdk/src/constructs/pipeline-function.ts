import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Where a function's code comes from.
 * - `{ entry }`: a TypeScript or JavaScript module exporting `handler` (or `handler`'s name),
 *   bundled locally by esbuild like `NodejsFunction` (never in Docker).
 * - `{ builtIn }`: one of Oncely's own functions, from the bundle shipped in this package.
 */
export type PipelineFunctionCode =
  | {
      /** Path of the handler module (TypeScript or JavaScript). */
      readonly entry: string;
      /** Exported name of the handler. @default 'handler' */
      readonly handler?: string;
      /** Not with `entry`. */
      readonly builtIn?: never;
    }
  | {
      /** Which of Oncely's own functions. */
      readonly builtIn: BuiltInFunction;
      /** Not with `builtIn`. */
      readonly entry?: never;
      /** Not with `builtIn`. */
      readonly handler?: never;
    };

/** Oncely's own functions, exported by `@oncely/runtime/lambda` and bundled into this package. */
export type BuiltInFunction =
  | 'auditorHandler'
  | 'scalerHandler'
  | 'outboxRelayHandler'
  | 'compensationHandler';

/** Properties of {@link PipelineFunction}. */
export interface PipelineFunctionProps {
  /** Your entry module, or one of Oncely's built-in functions. */
  readonly code: PipelineFunctionCode;
  /** The function's description; its role's description names it too. */
  readonly description: string;
  /** Environment variables, e.g. the names in `ENVIRONMENT_VARIABLES` of `@oncely/runtime/contract`. */
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
 * One Lambda function of the pipeline with the project's defaults: Node.js on arm64, X-Ray tracing,
 * an explicit log group with retention, and a role that may only write to that log group (no
 * AWSLambdaBasicExecutionRole wildcard); callers add least-privilege grants.
 *
 * Bundles are ES modules with every dependency included, the AWS SDK too, so the deployed code uses
 * the SDK version the tests ran against.
 *
 * @example
 * const placeOrder = new PipelineFunction(this, 'PlaceOrder', {
 *   code: { entry: 'src/place-order.ts' },
 *   description: 'Places an order and publishes inventory.reserve',
 *   environment: { ORDERS_TABLE: orders.tableName },
 *   syncOnlyReason: 'Invoked synchronously by the API, which sees every error.',
 * });
 * pipeline.grantPublish(placeOrder.function);
 */
export class PipelineFunction extends Construct {
  /** The function. */
  readonly function: lambda.Function;
  /** Its log group, with the retention asked for. */
  readonly logGroup: logs.ILogGroup;
  /** Its role: may write its own log group; add grants to it. */
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
    // Lambda sends failed asynchronous invocations to the DLQ with this role: under a customer
    // managed key it needs the key too, or those events would be lost instead of dead-lettered.
    props.deadLetterQueue?.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');

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
    this.function = props.code.builtIn
      ? new lambda.Function(this, 'Function', {
          ...common,
          handler: `index.${props.code.builtIn}`,
          code: lambda.Code.fromAsset(builtInFunctionsDirectory()),
        })
      : new NodejsFunction(this, 'Function', {
          ...common,
          entry: props.code.entry,
          handler: props.code.handler ?? 'handler',
          bundling: ESM_BUNDLING,
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
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    });
  }
}

/** How user entries are bundled: one ES module with every dependency, built locally by esbuild. */
export const ESM_BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: BUNDLE_TARGET,
  mainFields: ['module', 'main'],
  // CommonJS dependencies inside an ES module bundle still call require() for built-ins.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  externalModules: [],
  minify: true,
  sourceMap: false,
};

let builtInDirectory: string | undefined;

/**
 * The directory of the built-in functions' bundle (`lambda/ops` of this package). Found by walking
 * up from this module to the package root, which works from the ES module build, the CommonJS
 * bundle and the TypeScript sources alike.
 */
export function builtInFunctionsDirectory(): string {
  if (builtInDirectory) return builtInDirectory;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@oncely/cdk'
    )
      break;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('@oncely/cdk: cannot find the package root of this module');
    dir = parent;
  }
  const bundle = join(dir, 'lambda', 'ops');
  if (!existsSync(join(bundle, 'index.mjs')))
    throw new Error(
      `@oncely/cdk: the built-in functions bundle ${join(bundle, 'index.mjs')} is missing; in the Oncely repository run \`npm run build\``,
    );
  builtInDirectory = bundle;
  return bundle;
}
