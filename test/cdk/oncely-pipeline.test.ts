import { CLAIMS, ENVIRONMENT_VARIABLES as ENV, OUTBOX, OUTPUT_KEYS } from '@oncely/runtime/contract';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OncelyPipeline } from '../../packages/cdk/src/oncely-pipeline.js';
import {
  buildStack,
  INLINE_CONSUMER,
  type ResourceProperties,
  resourceOf,
  TEST_ENVIRONMENT,
} from './stack-fixture.js';

let template: Template;
beforeAll(() => {
  ({ template } = buildStack());
});

/** The source queue: the one queue with a redrive policy. */
function sourceQueue(): { id: string; props: ResourceProperties } {
  const [id, resource] = Object.entries(template.findResources('AWS::SQS::Queue')).find(
    ([, queue]) => queue.Properties.RedrivePolicy,
  )!;
  return { id, props: resource.Properties };
}

describe('OncelyPipeline defaults: queues', () => {
  it('creates a FIFO source queue, a FIFO DLQ and a DLQ for EventBridge targets', () => {
    template.resourceCountIs('AWS::SQS::Queue', 3);
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 2);
  });

  it('redrives to the DLQ after 5 receives, with a visibility timeout of 6x the consumer timeout', () => {
    const source = sourceQueue();
    expect(source.props).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: 180,
      MessageRetentionPeriod: 4 * 86_400,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        maxReceiveCount: 5,
        deadLetterTargetArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
      },
    });
    const dlqId = source.props.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
    expect(dlqId).toMatch(/^PipelineQueueDeadLetterQueue/);
  });

  it('keeps dead letters 14 days and accepts redrives only from the source queue', () => {
    const dlq = resourceOf(template, 'AWS::SQS::Queue', 'PipelineQueueDeadLetterQueue');
    expect(dlq.props).toMatchObject({
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
      RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [expect.anything()] },
    });
    const source = sourceQueue();
    const allowed = JSON.stringify(dlq.props.RedriveAllowPolicy.sourceQueueArns[0]);
    expect(allowed).toContain(source.props.QueueName);
  });

  it('denies every non-TLS request on each queue', () => {
    template.resourceCountIs('AWS::SQS::QueuePolicy', 3);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('retains queues and tables by default', () => {
    for (const type of ['AWS::SQS::Queue', 'AWS::DynamoDB::Table']) {
      const resources = Object.entries(template.findResources(type))
        .filter(([id]) => id.startsWith('Pipeline'))
        .map(([, resource]) => resource);
      expect(resources.every((resource) => resource.DeletionPolicy === 'Retain')).toBe(true);
    }
  });
});

describe('OncelyPipeline defaults: tables', () => {
  it('creates claims, control, leases and (with outbox) outbox tables: on-demand, point-in-time recovery, key pk', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 4 + 1);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
  });

  it('indexes claims by producer and seq, and outbox by status and createdAt, both with TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: CLAIMS.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: CLAIMS.byProducerIndex,
          KeySchema: [
            { AttributeName: 'producer', KeyType: 'HASH' },
            { AttributeName: 'seq', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: OUTBOX.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: OUTBOX.byStatusIndex,
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });
});

describe('OncelyPipeline defaults: functions', () => {
  it('runs five functions on Node.js 24, arm64, with active tracing and an explicit log group', () => {
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 5);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it("sets only environment variables the runtime config knows, plus the caller's own", () => {
    const known = new Set([...Object.values(ENV), 'BUSINESS_TABLE']);
    for (const resource of Object.values(template.findResources('AWS::Lambda::Function'))) {
      const names = Object.keys(resource.Properties.Environment?.Variables ?? {});
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(known.has(name), name).toBe(true);
    }
  });

  it('grants no wildcard actions and no managed policies', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat())
          expect(action, JSON.stringify(statement)).not.toContain('*');
      }
    }
    for (const role of Object.values(template.findResources('AWS::IAM::Role')))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('grants no function cloudwatch:PutMetricData: metrics leave as EMF log lines', () => {
    const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: unknown }) =>
        [statement.Action].flat(),
      ),
    );
    expect(actions).not.toContain('cloudwatch:PutMetricData');
  });
});

describe('OncelyPipeline defaults: event source mapping', () => {
  it('reports batch item failures with batch size 10 and an initial maximum concurrency of 2', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      ProvisionedPollerConfig: Match.absent(),
    });
  });
});

describe('OncelyPipeline defaults: alarms and scaling', () => {
  it('creates six human alarms and three backlog step alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 9);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MessagesMissing',
      Namespace: 'Oncely',
      Dimensions: [{ Name: 'service', Value: 'oncely' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CompensationExhausted',
      Namespace: 'Oncely',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 300,
    });
    for (const metric of ['Errors', 'Throttles'])
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metric,
      });
  });

  it('alarms on visible messages at 1000, 10000 and 50000 for the three backlog steps', () => {
    const steps = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [Match.objectLike({})] },
      }),
    )
      .map((alarm) => alarm.Properties)
      .filter((props) => props.ComparisonOperator === 'GreaterThanOrEqualToThreshold');
    expect(steps.map((props) => props.Threshold).sort((a, b) => a - b)).toEqual([1_000, 10_000, 50_000]);
  });

  it('notifies the alarm topic from the human alarms and the critical backlog step', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const withActions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) => (alarm.Properties.AlarmActions ?? []).length > 0,
    );
    expect(withActions).toHaveLength(7);
  });

  it('routes backlog alarm state changes to the scaler through EventBridge', () => {
    const scaler = resourceOf(template, 'AWS::Lambda::Function', 'PipelineScalingScaler');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: Match.arrayWith([
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineScalingCriticalBacklog'), 'Arn'] },
        ]),
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [scaler.id, 'Arn'] }, DeadLetterConfig: Match.anyValue() }),
      ],
    });
  });

  it('gives the scaler its policy, the mapping id and UpdateEventSourceMapping on that mapping only', () => {
    const scaler = resourceOf(template, 'AWS::Lambda::Function', 'PipelineScalingScaler');
    const variables = scaler.props.Environment.Variables;
    expect(variables[ENV.eventSourceMappingId]).toEqual({
      Ref: expect.stringMatching(/^PipelineConsumerMapping/),
    });
    expect(JSON.stringify(variables[ENV.scalingPolicy])).toContain('"floor\\":2');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
            Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
          }),
        ]),
      },
    });
  });

  it('invokes the relay, compensation and auditor on schedules', () => {
    template.resourceCountIs('AWS::Events::Rule', 4);
    for (const rate of ['rate(1 minute)', 'rate(5 minutes)'])
      template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: rate });
  });

  it('draws a dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('OncelyPipeline outputs', () => {
  it('exposes every output key the CLI and the local cloud read, at stack level', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(Object.values(OUTPUT_KEYS).sort());
    expect(outputs.QueueType?.Value).toBe('fifo');
    expect(outputs.EventSourceMappingId?.Value).toEqual({
      Ref: expect.stringMatching(/^PipelineConsumerMapping/),
    });
  });
});

describe('OncelyPipeline around your own handler and resources', () => {
  it('needs only a consumer: no outbox table or relay without outbox, and every feature on', () => {
    const app = new App();
    const stack = new Stack(app, 'Minimal', { env: TEST_ENVIRONMENT });
    new OncelyPipeline(stack, 'Pipeline', { consumer: INLINE_CONSUMER });
    const minimal = Template.fromStack(stack);
    minimal.resourceCountIs('AWS::DynamoDB::Table', 3);
    // consumer, auditor, scaler
    minimal.resourceCountIs('AWS::Lambda::Function', 3);
    minimal.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(minimal.findOutputs('*'))).toContain('ClaimsTableName');
    expect(Object.keys(minimal.findOutputs('*'))).not.toContain('OutboxTableName');
  });

  it('rejects a consumer with none or several of entry, function and functionProps', () => {
    const stack = new Stack(new App(), 'Bad');
    expect(() => new OncelyPipeline(stack, 'None', { consumer: {} as never })).toThrow(
      /consumer needs exactly one of entry, function or functionProps/,
    );
  });

  it('fails synthesis naming an invalid setting', () => {
    expect(() => buildStack({ maxReceiveCount: -1 })).toThrow(/oncely\.maxReceiveCount/);
  });

  it('switches off the auditor, scaling, alarms and dashboard', () => {
    const { template: bare } = buildStack(
      {},
      { auditor: false, scaling: false, alarms: false, dashboard: false },
    );
    bare.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    bare.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    bare.resourceCountIs('AWS::SNS::Topic', 0);
    // consumer, relay, compensation
    bare.resourceCountIs('AWS::Lambda::Function', 3);
  });

  it('grants your tables only item reads and writes: no Scan, no batch writes, no deletes', () => {
    const { template: built, business } = buildStack();
    const businessId = business.stack.getLogicalId(business.node.defaultChild as dynamodb.CfnTable);
    const statements = Object.values(built.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement) => JSON.stringify(statement.Resource).includes(businessId));
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.sort()).toEqual(
      ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort(),
    );
  });

  it('sends the metrics namespace to every function, custom-metric alarm and dashboard', () => {
    const { template: built } = buildStack({}, { metricsNamespace: 'Inventory/Pipeline' });
    for (const resource of Object.values(built.findResources('AWS::Lambda::Function')))
      expect(resource.Properties.Environment.Variables[ENV.metricsNamespace]).toBe('Inventory/Pipeline');
    built.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MessagesMissing',
      Namespace: 'Inventory/Pipeline',
    });
    const dashboard = JSON.stringify(Object.values(built.findResources('AWS::CloudWatch::Dashboard'))[0]);
    expect(dashboard).toContain('Inventory/Pipeline');
    built.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'Oncely' }, 0);
  });

  it('consumes an existing queue and uses existing tables instead of creating them', () => {
    const app = new App();
    const stack = new Stack(app, 'Existing', { env: TEST_ENVIRONMENT });
    const dlq = new sqs.Queue(stack, 'TheirDlq', { enforceSSL: true });
    const queue = new sqs.Queue(stack, 'TheirQueue', {
      enforceSSL: true,
      deadLetterQueue: { queue: dlq, maxReceiveCount: 3 },
    });
    const claims = dynamodb.Table.fromTableName(stack, 'TheirClaims', 'their-claims');
    new OncelyPipeline(stack, 'Pipeline', {
      consumer: INLINE_CONSUMER,
      existingQueue: { queue, deadLetterQueue: dlq },
      existingTables: { claims },
    });
    const built = Template.fromStack(stack);
    // Theirs plus the pipeline's own events DLQ.
    built.resourceCountIs('AWS::SQS::Queue', 3);
    built.resourceCountIs('AWS::DynamoDB::Table', 2);
    built.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TheirQueue'), 'Arn'] },
    });
    expect(built.findOutputs('QueueType').QueueType?.Value).toBe('standard');
  });

  it('adds your alarm actions to every human alarm', () => {
    const app = new App();
    const stack = new Stack(app, 'Actions', { env: TEST_ENVIRONMENT });
    const pager = new sns.Topic(stack, 'Pager', { enforceSSL: true });
    new OncelyPipeline(stack, 'Pipeline', {
      consumer: INLINE_CONSUMER,
      alarmActions: [new actions.SnsAction(pager)],
    });
    const built = Template.fromStack(stack);
    const pagerId = stack.getLogicalId(pager.node.defaultChild as sns.CfnTopic);
    const paged = Object.values(built.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
      JSON.stringify(alarm.Properties.AlarmActions ?? []).includes(pagerId),
    );
    expect(paged).toHaveLength(7);
  });

  it('grants a producer function what publishing needs and sets its environment', () => {
    const { template: built } = buildStack({}, {}, (stack, pipeline) => {
      const producer = new lambda.Function(stack, 'Producer', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => {};'),
      });
      pipeline.grantPublish(producer);
    });
    const variables = resourceOf(built, 'AWS::Lambda::Function', 'Producer').props.Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual(
      [ENV.queueUrl, ENV.leasesTable, ENV.outboxTable, ENV.serviceName, ENV.metricsNamespace].sort(),
    );
    const statements = Object.entries(built.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ProducerServiceRole'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement);
    expect(statements.flatMap((statement) => [statement.Action].flat())).toContain('sqs:SendMessage');
  });

  it('prefixes the outputs so two pipelines can share a stack', () => {
    const { template: built } = buildStack({}, { outputPrefix: 'Orders' });
    expect(Object.keys(built.findOutputs('*'))).toContain('OrdersQueueUrl');
  });
});
