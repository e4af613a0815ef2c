/**
 * One factory for every AWS client, from one config, so the same code runs on AWS, LocalStack
 * and the local cloud. Without an explicit endpoint the SDK honours `AWS_ENDPOINT_URL` (and the
 * service-specific `AWS_ENDPOINT_URL_SQS`, ...) by itself.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** How to build AWS clients: region, endpoint, credentials. Everything is optional. */
export interface AwsClientConfig {
  readonly region?: string;
  /** e.g. `http://127.0.0.1:4566`; omitted on AWS. */
  readonly endpoint?: string;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Named profile of the shared config/credentials files (the CLI's `--profile`). */
  readonly profile?: string;
  /** SDK retry attempts. @default 3 (the SDK default) */
  readonly maxAttempts?: number;
}

/** Every AWS client the runtime and its tools use, built from one config by {@link createAwsClients}. */
export interface AwsClients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /** Document client over `dynamodb`: plain JavaScript values instead of attribute values. */
  readonly documents: DynamoDBDocumentClient;
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  /** Closes every client's sockets. */
  destroy(): void;
}

/**
 * How a factory gets its AWS clients: ready ones (`clients`, e.g. shared with your code, or pointed
 * at a test endpoint), or the config to build its own from (`clientConfig`), never both. Without
 * either it builds its own from the environment (AWS_REGION, AWS_ENDPOINT_URL, the credential chain).
 * Clients it builds itself it also closes; clients you pass stay yours.
 */
export type ClientOptions<TClients> =
  | {
      /** Ready clients; any {@link AwsClients} will do. */
      readonly clients: TClients;
      readonly clientConfig?: never;
    }
  | {
      /** Config of the clients to build. @default {} (the SDK's environment and defaults) */
      readonly clientConfig?: AwsClientConfig;
      readonly clients?: never;
    };

/**
 * Builds every client from one config. Without an explicit endpoint the SDK honours
 * `AWS_ENDPOINT_URL`, so the same code runs on AWS, LocalStack and the Oncely local cloud.
 *
 * @example
 * const clients = createAwsClients({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' });
 * try { ... } finally { clients.destroy(); }
 */
export function createAwsClients(config: AwsClientConfig = {}): AwsClients {
  const base = {
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.maxAttempts ? { maxAttempts: config.maxAttempts } : {}),
    ...(config.profile ? { profile: config.profile } : {}),
  };
  const sqs = new SQSClient(base);
  const dynamodb = new DynamoDBClient(base);
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const lambda = new LambdaClient(base);
  const cloudwatch = new CloudWatchClient(base);
  return {
    sqs,
    dynamodb,
    documents,
    lambda,
    cloudwatch,
    destroy() {
      for (const client of [sqs, dynamodb, lambda, cloudwatch]) client.destroy();
    },
  };
}

/** Credentials the Oncely local cloud accepts (it does not verify signatures). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'oncely', secretAccessKey: 'oncely-local' } as const;
