/**
 * The resource types the deployer creates itself: SQS queues and DynamoDB tables through their
 * APIs (the deployer is a client, like CloudFormation), Lambda functions and event source mappings
 * through the local Lambda service, and the types that only matter on AWS (IAM, KMS, log groups,
 * permissions, CDK metadata), which are accepted and recorded without effect.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeDefinition,
  type BillingMode,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type StreamViewType,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { LambdaService } from '../lambda/service.js';
import { checkHandlerModule, resolveFunctionCode } from './function-code.js';
import {
  type ResourceHandler,
  type ResourceHandlerContext,
  ResourceHandlerRegistry,
} from './resource-handlers.js';

const DUMMY_CREDENTIALS = { accessKeyId: 'oncely', secretAccessKey: 'oncely-local' };

/** Queue attributes CloudFormation maps 1:1 onto SQS attributes (KMS ones are ignored locally). */
const QUEUE_ATTRIBUTES = [
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'DelaySeconds',
  'FifoQueue',
  'FifoThroughputLimit',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
] as const;

const sqsQueue: ResourceHandler = {
  async create(properties, context) {
    const fifo = String(properties.FifoQueue) === 'true';
    const name =
      typeof properties.QueueName === 'string'
        ? properties.QueueName
        : context.generateName(80, fifo ? '.fifo' : '');
    const attributes: Record<string, string> = {};
    for (const attribute of QUEUE_ATTRIBUTES) {
      if (properties[attribute] !== undefined) attributes[attribute] = String(properties[attribute]);
    }
    // CloudFormation creates a standard queue for `FifoQueue: false`; SQS itself refuses the
    // attribute on a standard queue (API_CreateQueue), so it is dropped unless true.
    if (!fifo) delete attributes.FifoQueue;
    for (const policy of ['RedrivePolicy', 'RedriveAllowPolicy'] as const) {
      const value = properties[policy];
      if (value !== undefined) attributes[policy] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    if (properties.KmsMasterKeyId !== undefined) {
      context.warn(`${context.logicalId}: KMS encryption is not emulated locally; the queue is unencrypted`);
    }
    const sqs = new SQSClient(clientConfig(context));
    try {
      const QueueUrl = await createOrUpdateQueue(sqs, name, attributes);
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      return {
        physicalId: QueueUrl!,
        attributes: { Arn: Attributes?.QueueArn, QueueName: name, QueueUrl },
      };
    } finally {
      sqs.destroy();
    }
  },
};

/** CreateQueue is idempotent for equal attributes; a redeploy with changed ones updates them. */
async function createOrUpdateQueue(sqs: SQSClient, name: string, attributes: Record<string, string>) {
  try {
    return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  } catch (error) {
    const code = (error as Error).name;
    if (code !== 'QueueNameExists' && code !== 'QueueAlreadyExists') throw error;
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    // The queue type is fixed at creation; everything else can change.
    const { FifoQueue: _fifo, ...changeable } = attributes;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: changeable }));
    return QueueUrl!;
  }
}

interface TableProperties {
  TableName?: string;
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  BillingMode?: BillingMode;
  ProvisionedThroughput?: CreateTableCommandInput['ProvisionedThroughput'];
  GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
  LocalSecondaryIndexes?: LocalSecondaryIndex[];
  StreamSpecification?: { StreamViewType?: StreamViewType; StreamEnabled?: boolean };
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
}

/** AWS::DynamoDB::Table, and AWS::DynamoDB::GlobalTable (CDK's TableV2) for its first replica. */
const dynamoDbTable: ResourceHandler = {
  async create(raw, context) {
    const properties = raw as unknown as TableProperties;
    const name = properties.TableName ?? context.generateName(255);
    const billingMode =
      properties.BillingMode ?? (properties.ProvisionedThroughput ? 'PROVISIONED' : 'PAY_PER_REQUEST');
    const stream = properties.StreamSpecification;
    const dynamodb = new DynamoDBClient(clientConfig(context));
    try {
      await dynamodb
        .send(
          new CreateTableCommand({
            TableName: name,
            KeySchema: properties.KeySchema,
            AttributeDefinitions: properties.AttributeDefinitions,
            BillingMode: billingMode,
            ...(billingMode === 'PROVISIONED'
              ? { ProvisionedThroughput: properties.ProvisionedThroughput }
              : {}),
            ...(properties.GlobalSecondaryIndexes?.length
              ? { GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes.map(withoutReplicaSettings) }
              : {}),
            ...(properties.LocalSecondaryIndexes?.length
              ? { LocalSecondaryIndexes: properties.LocalSecondaryIndexes }
              : {}),
            ...(stream?.StreamViewType
              ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } }
              : {}),
          }),
        )
        .catch((error: Error) => {
          // A redeploy: the table is kept as it is (key schema changes would need a replacement).
          if (error.name !== 'ResourceInUseException') throw error;
        });
      const description = await waitUntilActive(dynamodb, name);
      const ttl = properties.TimeToLiveSpecification;
      const currentTtl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
      if (
        ttl?.Enabled &&
        ttl.AttributeName &&
        currentTtl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED'
      ) {
        await dynamodb.send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
          }),
        );
      }
      return {
        physicalId: name,
        attributes: {
          Arn: description.TableArn,
          ...(description.LatestStreamArn ? { StreamArn: description.LatestStreamArn } : {}),
        },
      };
    } finally {
      dynamodb.destroy();
    }
  },
};

/** GlobalTable GSIs carry write settings CreateTable does not accept. */
function withoutReplicaSettings(index: GlobalSecondaryIndex): GlobalSecondaryIndex {
  const { IndexName, KeySchema, Projection, ProvisionedThroughput } = index;
  return { IndexName, KeySchema, Projection, ...(ProvisionedThroughput ? { ProvisionedThroughput } : {}) };
}

async function waitUntilActive(dynamodb: DynamoDBClient, name: string) {
  for (let attempt = 0; ; attempt++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE' || attempt >= 100) return Table ?? {};
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const lambdaFunction: ResourceHandler = {
  async create(properties, context) {
    const runtime = typeof properties.Runtime === 'string' ? properties.Runtime : 'nodejs22.x';
    const name =
      typeof properties.FunctionName === 'string' ? properties.FunctionName : context.generateName(64);
    const arn = `arn:aws:lambda:${context.region}:${context.accountId}:function:${name}`;
    if (!runtime.startsWith('nodejs')) {
      context.warn(
        `${context.logicalId}: runtime ${runtime} cannot run locally; the function is not created`,
      );
      return { physicalId: name, attributes: { Arn: arn }, status: 'accepted' };
    }
    const lambda = lambdaService(context);
    const environment = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    const codeDirectory = await resolveFunctionCode(
      (properties.Code ?? {}) as Record<string, unknown>,
      context.assetDir,
      context.assemblyDir,
    );
    const handler = typeof properties.Handler === 'string' ? properties.Handler : 'index.handler';
    if (!checkHandlerModule(codeDirectory, handler)) {
      context.warn(
        `${context.logicalId}: Handler ${handler} names no .js, .mjs or .cjs file in its code; invocations will fail`,
      );
    }
    lambda.registerFunction(
      {
        name,
        codeDirectory,
        handler,
        runtime,
        timeout: Number(properties.Timeout ?? 3),
        memorySize: Number(properties.MemorySize ?? 128),
        environment: Object.fromEntries(
          Object.entries(environment ?? {}).map(([key, value]) => [key, String(value)]),
        ),
        region: context.region,
        ...(typeof properties.Role === 'string' ? { role: properties.Role } : {}),
        ...(typeof properties.Description === 'string' ? { description: properties.Description } : {}),
        ...(properties.ReservedConcurrentExecutions !== undefined
          ? { reservedConcurrency: Number(properties.ReservedConcurrentExecutions) }
          : {}),
      },
      { replace: true },
    );
    return { physicalId: name, attributes: { Arn: arn } };
  },
};

const eventSourceMapping: ResourceHandler = {
  async create(properties, context) {
    const source = String(properties.EventSourceArn ?? '');
    if (!source.startsWith('arn:aws:sqs:')) {
      context.warn(
        `${context.logicalId}: only SQS event sources run locally; ${source || 'this source'} is ignored`,
      );
      return { physicalId: randomUUID(), status: 'accepted' };
    }
    if (properties.FilterCriteria !== undefined) {
      context.warn(`${context.logicalId}: FilterCriteria is not applied locally; every message is delivered`);
    }
    const scaling = properties.ScalingConfig as { MaximumConcurrency?: number } | undefined;
    const lambda = lambdaService(context);
    const functionName =
      lambda.getFunction(String(properties.FunctionName))?.name ?? String(properties.FunctionName);
    const settings = {
      ...(properties.BatchSize !== undefined ? { batchSize: Number(properties.BatchSize) } : {}),
      ...(properties.MaximumBatchingWindowInSeconds !== undefined
        ? { maximumBatchingWindowInSeconds: Number(properties.MaximumBatchingWindowInSeconds) }
        : {}),
      ...(scaling?.MaximumConcurrency !== undefined
        ? { maximumConcurrency: Number(scaling.MaximumConcurrency) }
        : {}),
      ...(properties.Enabled !== undefined ? { enabled: String(properties.Enabled) === 'true' } : {}),
      ...(Array.isArray(properties.FunctionResponseTypes)
        ? { functionResponseTypes: properties.FunctionResponseTypes.map(String) }
        : {}),
    };
    // A redeploy updates the mapping it created before rather than adding a second poller, but
    // keeps its live MaximumConcurrency: the scaler owns that at run time (as after an unchanged
    // CloudFormation update, which leaves the property alone).
    const existing = lambda
      .listEventSourceMappings()
      .find((mapping) => mapping.functionName === functionName && mapping.eventSourceArn === source);
    const { maximumConcurrency: _templateValue, ...updatable } = settings;
    const config = existing
      ? lambda.updateEventSourceMapping(existing.uuid, updatable)
      : lambda.createEventSourceMapping({ functionName, eventSourceArn: source, ...settings });
    return {
      physicalId: config.uuid,
      attributes: {
        Id: config.uuid,
        EventSourceMappingArn: `arn:aws:lambda:${context.region}:${context.accountId}:event-source-mapping:${config.uuid}`,
      },
    };
  },
};

/** Types that only matter on AWS: recorded with a plausible physical id and ARN, not enforced. */
const ACCEPTED_TYPES: Record<string, (context: ResourceHandlerContext, name: string) => string> = {
  'AWS::IAM::Role': (c, name) => `arn:aws:iam::${c.accountId}:role/${name}`,
  'AWS::IAM::Policy': (c, name) => `arn:aws:iam::${c.accountId}:policy/${name}`,
  'AWS::IAM::ManagedPolicy': (c, name) => `arn:aws:iam::${c.accountId}:policy/${name}`,
  'AWS::Lambda::Permission': (c, name) => `arn:aws:lambda:${c.region}:${c.accountId}:permission:${name}`,
  'AWS::SQS::QueuePolicy': (c, name) => `arn:aws:sqs:${c.region}:${c.accountId}:policy/${name}`,
  'AWS::Logs::LogGroup': (c, name) => `arn:aws:logs:${c.region}:${c.accountId}:log-group:${name}:*`,
  'AWS::KMS::Key': (c, name) => `arn:aws:kms:${c.region}:${c.accountId}:key/${name}`,
  'AWS::KMS::Alias': (c, name) => `arn:aws:kms:${c.region}:${c.accountId}:alias/${name}`,
  'AWS::SSM::Parameter': (c, name) => `arn:aws:ssm:${c.region}:${c.accountId}:parameter/${name}`,
  'AWS::CDK::Metadata': (_c, name) => name,
};

function acceptedHandler(
  type: string,
  arn: (context: ResourceHandlerContext, name: string) => string,
): ResourceHandler {
  return {
    async create(properties, context) {
      const explicit = ['RoleName', 'PolicyName', 'LogGroupName', 'AliasName', 'Name'].find(
        (key) => typeof properties[key] === 'string',
      );
      const name =
        type === 'AWS::KMS::Key'
          ? randomUUID()
          : explicit
            ? String(properties[explicit])
            : context.generateName(64);
      const attributes: Record<string, unknown> = { Arn: arn(context, name) };
      if (type === 'AWS::IAM::Role') attributes.RoleId = `AROA${name.slice(0, 16).toUpperCase()}`;
      if (type === 'AWS::KMS::Key') attributes.KeyId = name;
      if (type === 'AWS::SSM::Parameter') attributes.Value = properties.Value;
      return { physicalId: name, attributes, status: 'accepted' };
    },
  };
}

/** A fresh registry of the deployer's own handlers. */
export function builtinResourceHandlers(): ResourceHandlerRegistry {
  const registry = new ResourceHandlerRegistry()
    .register('AWS::SQS::Queue', sqsQueue)
    .register('AWS::DynamoDB::Table', dynamoDbTable)
    .register('AWS::DynamoDB::GlobalTable', dynamoDbTable)
    .register('AWS::Lambda::Function', lambdaFunction)
    .register('AWS::Lambda::EventSourceMapping', eventSourceMapping);
  for (const [type, arn] of Object.entries(ACCEPTED_TYPES))
    registry.register(type, acceptedHandler(type, arn));
  return registry;
}

function lambdaService(context: ResourceHandlerContext): LambdaService {
  const service = context.cloud.services.lambda as LambdaService | undefined;
  if (!service?.registerFunction) throw new Error('The local cloud has no Lambda service');
  return service;
}

function clientConfig(context: ResourceHandlerContext) {
  return { endpoint: context.endpoint, region: context.region, credentials: DUMMY_CREDENTIALS };
}
