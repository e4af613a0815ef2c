import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_KEYS } from '../../packages/cdk/src/pipeline-stack.js';
import { ENVIRONMENT_VARIABLES as ENV } from '../../packages/runtime/src/config.js';
import { CLAIMS, OUTBOX } from '../../packages/runtime/src/core/tables.js';
import { buildStack, type ResourceProperties, resourceOf } from './stack-fixture.js';

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

describe('PipelineStack defaults: queues', () => {
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
    expect(dlqId).toMatch(/^QueueDeadLetterQueue/);
  });

  it('keeps dead letters 14 days and accepts redrives only from the source queue', () => {
    const dlq = resourceOf(template, 'AWS::SQS::Queue', 'QueueDeadLetterQueue');
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
      const resources = Object.values(template.findResources(type));
      expect(resources.every((resource) => resource.DeletionPolicy === 'Retain')).toBe(true);
    }
  });
});

describe('PipelineStack defaults: tables', () => {
  it('creates seven on-demand tables with point-in-time recovery and a string key pk', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 7);
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

describe('PipelineStack defaults: functions', () => {
  it('runs six functions on Node.js 24, arm64, with active tracing and an explicit log group', () => {
    template.resourceCountIs('AWS::Lambda::Function', 6);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 6);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('sets only environment variables the runtime config knows', () => {
    const known = new Set(Object.values(ENV));
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

  it('lets only the auditor and the scaler publish metrics, and only to the Oncely namespace', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    const putMetric = statements.filter((statement) =>
      [statement.Action].flat().includes('cloudwatch:PutMetricData'),
    );
    expect(putMetric).toHaveLength(2);
    for (const statement of putMetric)
      expect(statement.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'Oncely' } });
  });
});

describe('PipelineStack defaults: event source mapping', () => {
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

describe('PipelineStack defaults: alarms and scaling', () => {
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
    const scaler = resourceOf(template, 'AWS::Lambda::Function', 'ScalingScaler');
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: Match.arrayWith([
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScalingCriticalBacklog'), 'Arn'] },
        ]),
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [scaler.id, 'Arn'] }, DeadLetterConfig: Match.anyValue() }),
      ],
    });
  });

  it('gives the scaler its policy, the mapping id and UpdateEventSourceMapping on that mapping only', () => {
    const scaler = resourceOf(template, 'AWS::Lambda::Function', 'ScalingScaler');
    const variables = scaler.props.Environment.Variables;
    expect(variables[ENV.eventSourceMappingId]).toEqual({ Ref: expect.stringMatching(/^ConsumerMapping/) });
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

describe('PipelineStack outputs', () => {
  it('exposes every output key the CLI and the local cloud read', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(Object.values(OUTPUT_KEYS).sort());
    expect(outputs.QueueType?.Value).toBe('fifo');
    expect(outputs.EventSourceMappingId?.Value).toEqual({ Ref: expect.stringMatching(/^ConsumerMapping/) });
  });
});
