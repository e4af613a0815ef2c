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

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /** Document client over `dynamodb`: plain JavaScript values instead of attribute values. */
  readonly documents: DynamoDBDocumentClient;
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  destroy(): void;
}

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

/** Credentials the local cloud accepts (it does not verify signatures). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'oncely', secretAccessKey: 'oncely-local' } as const;
