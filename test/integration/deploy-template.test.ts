import { fileURLToPath } from 'node:url';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { GetFunctionCommand, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResourceHandlerRegistry } from '../../packages/local-cloud/src/deploy/resource-handlers.js';
import {
  type CloudFormationTemplate,
  DeployError,
  type DeploySummary,
  deploymentOrder,
  deployTemplate,
} from '../../packages/local-cloud/src/deploy/template-deployer.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/deploy-stack', import.meta.url));
const TEMPLATE_PATH = `${FIXTURE_DIR}/FixtureStack.template.json`;

const cloud = useTestCloud();
let summary: DeploySummary;

beforeAll(async () => {
  summary = await deployTemplate(cloud.local!, TEMPLATE_PATH);
});

const physicalId = (logicalId: string) => summary.resources[logicalId]!.physicalId;

describe('deployTemplate with a hand-written cdk-shaped template', () => {
  it('names the stack after the template file and reports every resource', () => {
    expect(summary.stackName).toBe('FixtureStack');
    expect(summary.resources).toMatchObject({
      WorkQueue: { type: 'AWS::SQS::Queue', status: 'created' },
      DeadLetterQueue: { type: 'AWS::SQS::Queue', status: 'created' },
      ClaimsTable: { type: 'AWS::DynamoDB::Table', status: 'created' },
      ConsumerFunction: { type: 'AWS::Lambda::Function', status: 'created' },
      ConsumerMapping: { type: 'AWS::Lambda::EventSourceMapping', status: 'created' },
      ConsumerRole: { status: 'accepted' },
      ConsumerRoleDefaultPolicy: { status: 'accepted' },
      WorkQueuePolicy: { status: 'accepted' },
      CDKMetadata: { status: 'accepted' },
      ProdOnlyQueue: { status: 'skipped' },
      Network: { status: 'unsupported' },
    });
    expect(summary.resources.WorkQueue!.url).toBe(physicalId('WorkQueue'));
    expect(summary.resources.WorkQueue!.arn).toMatch(
      /^arn:aws:sqs:us-east-1:000000000000:FixtureStack-WorkQueue-.*\.fifo$/,
    );
  });

  it('lists a type nobody handles as unsupported with a warning, and warns about ignored KMS', () => {
    expect(summary.unsupported).toEqual([
      {
        logicalId: 'Network',
        type: 'AWS::EC2::VPC',
        warning: expect.stringContaining('not emulated'),
      },
    ]);
    expect(
      summary.warnings.some((warning) => warning.includes('DeadLetterQueue') && warning.includes('KMS')),
    ).toBe(true);
  });

  it('creates the FIFO queue with its redrive policy pointing at the dead-letter queue', async () => {
    const { Attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: physicalId('WorkQueue'), AttributeNames: ['All'] }),
    );
    expect(Attributes).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      VisibilityTimeout: '2',
      MessageRetentionPeriod: '345600',
    });
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: summary.resources.DeadLetterQueue!.arn,
      maxReceiveCount: 2,
    });
    const dlq = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: physicalId('DeadLetterQueue'), AttributeNames: ['All'] }),
    );
    expect(JSON.parse(dlq.Attributes!.RedriveAllowPolicy!)).toEqual({ redrivePermission: 'allowAll' });
  });

  it('creates the table with its index and time to live', async () => {
    const { Table } = await cloud.clients.dynamodb.send(
      new DescribeTableCommand({ TableName: physicalId('ClaimsTable') }),
    );
    expect(Table?.TableName).toMatch(/^FixtureStack-ClaimsTable-/);
    expect(Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['byGroup']);
    const ttl = await cloud.clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: physicalId('ClaimsTable') }),
    );
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
    expect(summary.outputs.TableArn).toBe(Table?.TableArn);
  });

  it('resolves intrinsics, conditions and pseudo parameters into the function environment', async () => {
    const { Configuration } = await cloud.clients.lambda.send(
      new GetFunctionCommand({ FunctionName: physicalId('ConsumerFunction') }),
    );
    expect(Configuration).toMatchObject({
      Timeout: 5,
      MemorySize: 512,
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
    });
    expect(Configuration?.Role).toBe(`arn:aws:iam::000000000000:role/${physicalId('ConsumerRole')}`);
    const table = physicalId('ClaimsTable');
    expect(Configuration?.Environment?.Variables).toEqual({
      TABLE_NAME: table,
      QUEUE_URL: physicalId('WorkQueue'),
      DLQ_NAME: summary.resources.DeadLetterQueue!.arn!.split(':').at(-1),
      STACK: 'FixtureStack-us-east-1',
      STAGE: 'local',
      LOCAL_AND_EAST: 'yes',
      PROD_OR_WEST: 'no',
      FIRST_AZ: 'us-east-1a',
      SECOND_SPLIT: 'b',
      THIRD_ZONE: 'z',
      SUBSTITUTED: `${table}:000000000000:\${Literal}:${summary.resources.WorkQueue!.arn}`,
      PARTITION_SUFFIX: 'aws.amazonaws.com',
    });
    expect(summary.outputs).toEqual({
      QueueUrl: physicalId('WorkQueue'),
      TableArn: expect.stringContaining(table),
      FunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${physicalId('ConsumerFunction')}`,
      MappingId: physicalId('ConsumerMapping'),
    });
  });

  it('wires the event source mapping with the template settings', async () => {
    const { EventSourceMappings = [] } = await cloud.clients.lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: physicalId('ConsumerFunction') }),
    );
    expect(EventSourceMappings).toHaveLength(1);
    expect(EventSourceMappings[0]).toMatchObject({
      UUID: physicalId('ConsumerMapping'),
      EventSourceArn: summary.resources.WorkQueue!.arn,
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
      State: 'Enabled',
    });
  });

  it('runs the deployed pipeline: messages reach the table, poison reaches the dead-letter queue', async () => {
    const entries = [
      ...Array.from({ length: 8 }, (_, n) => ({ id: `msg-${n}`, group: `g${n % 2}` })),
      { id: 'poison-1', group: 'g9', poison: true },
    ];
    await cloud.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: physicalId('WorkQueue'),
        Entries: entries.map((entry, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(entry),
          MessageGroupId: entry.group,
        })),
      }),
    );
    const table = physicalId('ClaimsTable');
    for (let n = 0; n < 8; n++) {
      await expect
        .poll(
          async () =>
            (
              await cloud.clients.dynamodb.send(
                new GetItemCommand({ TableName: table, Key: { pk: { S: `msg-${n}` } } }),
              )
            ).Item?.stage?.S,
          { timeout: 20_000 },
        )
        .toBe('local');
    }
    const byGroup = await cloud.clients.dynamodb.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'byGroup',
        KeyConditionExpression: 'gsi1pk = :g',
        ExpressionAttributeValues: { ':g': { S: 'g0' } },
      }),
    );
    expect(byGroup.Count).toBe(4);
    const dlqDepth = async () =>
      Number(
        (
          await cloud.clients.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: physicalId('DeadLetterQueue'),
              AttributeNames: ['ApproximateNumberOfMessages'],
            }),
          )
        ).Attributes!.ApproximateNumberOfMessages,
      );
    await expect.poll(dlqDepth, { timeout: 20_000 }).toBe(1);
    const stats = (cloud.local!.services.lambda as LambdaService).mappingStats(physicalId('ConsumerMapping'));
    // At least once: a delivery outliving the visibility timeout may be processed (and deleted) twice.
    expect(stats.messagesDeleted).toBeGreaterThanOrEqual(8);
    expect(stats.peakInFlight).toBeLessThanOrEqual(2);
  });
});

describe('deployTemplate run again on the same stack', () => {
  it('updates the resources it created instead of adding copies', async () => {
    const again = await deployTemplate(cloud.local!, TEMPLATE_PATH, { parameters: { Stage: 'prod' } });
    for (const logicalId of [
      'WorkQueue',
      'DeadLetterQueue',
      'ClaimsTable',
      'ConsumerFunction',
      'ConsumerMapping',
    ]) {
      expect(again.resources[logicalId]!.physicalId).toBe(physicalId(logicalId));
    }
    // The changed parameter flips the condition: the prod-only queue now exists.
    expect(again.resources.ProdOnlyQueue).toMatchObject({ status: 'created' });
    const { Configuration } = await cloud.clients.lambda.send(
      new GetFunctionCommand({ FunctionName: physicalId('ConsumerFunction') }),
    );
    expect(Configuration?.Environment?.Variables).toMatchObject({ STAGE: 'prod', PROD_ONLY: 'set' });
    const { EventSourceMappings = [] } = await cloud.clients.lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: physicalId('ConsumerFunction') }),
    );
    expect(EventSourceMappings.map((mapping) => mapping.UUID)).toEqual([physicalId('ConsumerMapping')]);
  });
});

describe('deployTemplate resource handlers and errors', () => {
  it('hands a type to a registered handler, and to one a service exposes', async () => {
    const created: string[] = [];
    const registry = new ResourceHandlerRegistry().register('AWS::CloudWatch::Alarm', {
      async create(properties, context) {
        created.push(`${context.logicalId}:${String(properties.Threshold)}`);
        return {
          physicalId: 'alarm-1',
          attributes: { Arn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:alarm-1' },
        };
      },
    });
    const template: CloudFormationTemplate = {
      Resources: {
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Threshold: 5 } },
        Topic: {
          Type: 'Oncely::Test::Topic',
          Properties: { DisplayName: { 'Fn::GetAtt': ['Alarm', 'Arn'] } },
        },
      },
      Outputs: { AlarmName: { Value: { Ref: 'Alarm' } }, Topic: { Value: { Ref: 'Topic' } } },
    };
    const topicNames: unknown[] = [];
    const services = cloud.local!.services as Record<string, unknown>;
    services.fakeSns = {
      resourceHandlers: {
        'Oncely::Test::Topic': {
          async create(properties: Record<string, unknown>) {
            topicNames.push(properties.DisplayName);
            return { physicalId: 'arn:aws:sns:us-east-1:000000000000:topic-1' };
          },
        },
      },
    };
    try {
      const result = await deployTemplate(cloud.local!, template, {
        stackName: 'Handlers',
        resourceHandlers: registry,
      });
      expect(created).toEqual(['Alarm:5']);
      expect(topicNames).toEqual(['arn:aws:cloudwatch:us-east-1:000000000000:alarm:alarm-1']);
      expect(result.outputs).toEqual({
        AlarmName: 'alarm-1',
        Topic: 'arn:aws:sns:us-east-1:000000000000:topic-1',
      });
      expect(result.unsupported).toEqual([]);
    } finally {
      delete services.fakeSns;
    }
  });

  it('accepts a custom resource with a warning that its provider did not run', async () => {
    const result = await deployTemplate(cloud.local!, {
      Resources: { Deployment: { Type: 'Custom::CDKBucketDeployment', Properties: { ServiceToken: 'x' } } },
    });
    expect(result.resources.Deployment).toMatchObject({ status: 'accepted' });
    expect(result.unsupported).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining('provider is not run locally')]);
  });

  it('orders resources after everything they reference or depend on', () => {
    const order = deploymentOrder({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not a JS template
      A: { Type: 'T', Properties: { X: { 'Fn::Sub': '${B.Arn}-${C}' } } },
      B: { Type: 'T', DependsOn: 'D' },
      C: { Type: 'T', Properties: { Y: { 'Fn::GetAtt': 'D.Arn' } } },
      D: { Type: 'T' },
    });
    expect(order.indexOf('D')).toBeLessThan(order.indexOf('B'));
    expect(order.indexOf('D')).toBeLessThan(order.indexOf('C'));
    expect(order.indexOf('B')).toBeLessThan(order.indexOf('A'));
    expect(order.indexOf('C')).toBeLessThan(order.indexOf('A'));
  });

  it('refuses a circular dependency', async () => {
    const template: CloudFormationTemplate = {
      Resources: {
        A: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { Ref: 'B' } } },
        B: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { Ref: 'A' } } },
      },
    };
    await expect(deployTemplate(cloud.local!, template)).rejects.toThrow(/circular dependency/);
  });

  it('fails on Fn::ImportValue naming the resource', async () => {
    const template: CloudFormationTemplate = {
      Resources: {
        Imported: {
          Type: 'AWS::SQS::Queue',
          Properties: { QueueName: { 'Fn::ImportValue': 'SharedQueueName' } },
        },
      },
    };
    const failure = await deployTemplate(cloud.local!, template).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeployError);
    expect((failure as DeployError).logicalId).toBe('Imported');
    expect((failure as Error).message).toContain('Fn::ImportValue');
  });

  it('uses explicit physical names and parameter overrides', async () => {
    const small: CloudFormationTemplate = {
      Parameters: { Name: { Type: 'String', Default: 'default-name' } },
      Resources: { Named: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { Ref: 'Name' } } } },
    };
    const result = await deployTemplate(cloud.local!, small, {
      parameters: { Name: `${cloud.prefix}-named` },
    });
    const { QueueUrl } = await cloud.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: `${cloud.prefix}-named` }),
    );
    expect(result.resources.Named!.physicalId).toBe(QueueUrl);
  });
});
