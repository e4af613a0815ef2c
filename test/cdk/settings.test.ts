import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonSettings } from '../../examples/points/src/synthesize.js';
import {
  PipelineSettingsError,
  parsePipelineSettings,
  settingsFromContext,
} from '../../packages/cdk/src/settings.js';
import { ENVIRONMENT_VARIABLES as ENV } from '../../packages/runtime/src/config.js';
import { scalingPolicySchema } from '../../packages/runtime/src/core/scaling-policy.js';
import { buildStack, resourceOf } from './stack-fixture.js';

describe('pipeline settings validation', () => {
  it('applies the documented defaults', () => {
    expect(parsePipelineSettings({})).toMatchObject({
      queueType: 'fifo',
      maxReceiveCount: 5,
      consumerTimeoutSeconds: 30,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      concurrencyFloor: 2,
      concurrencyCeiling: 50,
      pollerMode: 'on-demand',
      removalPolicy: 'retain',
      encryption: 'sqs-managed',
      logRetentionDays: 30,
    });
  });

  it.each([
    [{ maxReceiveCount: 0 }, 'oncely.maxReceiveCount'],
    [{ queueType: 'kafka' }, 'oncely.queueType'],
    [{ consumerTimeoutSeconds: 901 }, 'oncely.consumerTimeoutSeconds'],
    [{ batchSize: 20 }, 'oncely.batchSize: must be at most 10 on a FIFO queue'],
    [{ maxBatchingWindowSeconds: 5 }, 'oncely.maxBatchingWindowSeconds: must be 0 on a FIFO queue'],
    [{ queueType: 'standard', batchSize: 100 }, 'oncely.maxBatchingWindowSeconds: must be at least 1'],
    [
      { concurrencyFloor: 10, concurrencyCeiling: 5 },
      'oncely.concurrencyFloor: must not exceed concurrencyCeiling',
    ],
    [{ concurrencyFloor: 1 }, 'oncely.concurrencyFloor'],
    [{ logRetentionDays: 10 }, 'oncely.logRetentionDays: must be one of'],
    [{ removalPolicy: 'keep' }, 'oncely.removalPolicy'],
    [{ alarmEmail: 'not-an-email' }, 'oncely.alarmEmail'],
    [{ alarmTopicArn: 'topic' }, 'oncely.alarmTopicArn: must be an SNS topic ARN'],
    [
      { queueType: 'standard', expectedMessageGroups: 4 },
      'oncely.expectedMessageGroups: only applies to FIFO',
    ],
    [{ maxRecieveCount: 3 }, 'oncely.maxRecieveCount: unknown setting'],
    [
      {
        backlogSteps: {
          elevated: { visibleMessages: 500, maximumConcurrency: 5, degradation: 'normal' },
          high: { visibleMessages: 100, maximumConcurrency: 10, degradation: 'elevated' },
          critical: { visibleMessages: 1000, maximumConcurrency: 20, degradation: 'critical' },
        },
      },
      'oncely.backlogSteps: visibleMessages must increase',
    ],
    [{ consumerTimeoutSeconds: 900, pollerMode: 'provisioned', minimumPollers: 5 }, 'oncely.minimumPollers'],
  ])('rejects %j naming the setting', (input, message) => {
    expect(() => parsePipelineSettings(input)).toThrow(PipelineSettingsError);
    expect(() => parsePipelineSettings(input)).toThrow(message);
  });

  it('accepts the settings committed in cdk.json, which in-process synthesis uses too', () => {
    const settings = cdkJsonSettings();
    expect(Object.keys(settings).length).toBeGreaterThan(0);
    expect(parsePipelineSettings(settings).queueType).toBe('fifo');
  });

  it('fails stack construction (and so cdk synth) on an invalid setting', () => {
    expect(() => buildStack({ maxReceiveCount: -1 })).toThrow(/oncely\.maxReceiveCount/);
  });

  it('reads the oncely context object and oncely:<setting> command-line keys, parsing JSON values', () => {
    const context: Record<string, unknown> = {
      oncely: { queueType: 'standard', batchSize: 5 },
      'oncely:batchSize': '7',
      'oncely:alarmEmail': 'ops@example.com',
      unrelated: 'x',
    };
    const settings = settingsFromContext((key) => context[key], Object.keys(context));
    expect(settings).toEqual({ queueType: 'standard', batchSize: 7, alarmEmail: 'ops@example.com' });
    expect(parsePipelineSettings(settings).batchSize).toBe(7);
  });
});

// Two variant stacks cover every non-default option; each is synthesized once.
const variantA = {
  queueType: 'standard',
  batchSize: 100,
  maxBatchingWindowSeconds: 5,
  encryption: 'kms',
  removalPolicy: 'destroy',
  alarmEmail: 'ops@example.com',
} as const;
const existingTopic = 'arn:aws:sns:us-east-1:123456789012:ops-alarms';
const variantB = {
  pollerMode: 'provisioned',
  minimumPollers: 2,
  concurrencyFloor: 4,
  alarmTopicArn: existingTopic,
  expectedMessageGroups: 12,
  consumerReservedConcurrency: 30,
} as const;

describe('pipeline settings: variants', () => {
  let a: ReturnType<typeof buildStack>;
  let b: ReturnType<typeof buildStack>;
  beforeAll(() => {
    a = buildStack(variantA);
    b = buildStack(variantB);
  });

  it('builds standard queues with a batching window and widens the visibility timeout by it', () => {
    const { template } = a;
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { FifoQueue: true }, 0);
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 6 * 30 + 5 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
    });
    expect(template.findOutputs('QueueType').QueueType?.Value).toBe('standard');
  });

  it('encrypts queues and the alarm topic with a rotating customer managed key when asked', () => {
    const { template } = a;
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() }, 3);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('deletes stateful resources on stack deletion only when removalPolicy is destroy', () => {
    for (const type of ['AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::Logs::LogGroup', 'AWS::KMS::Key'])
      for (const [id, resource] of Object.entries(a.template.findResources(type)))
        if (id.startsWith('Pipeline')) expect(resource.DeletionPolicy, id).toBe('Delete');
  });

  it('subscribes the alarm e-mail to the new topic', () => {
    a.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('uses provisioned pollers instead of a maximum concurrency when asked', () => {
    b.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 4 },
      ScalingConfig: Match.absent(),
    });
  });

  it('notifies an existing topic instead of creating one', () => {
    b.template.resourceCountIs('AWS::SNS::Topic', 0);
    b.template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [existingTopic] });
  });

  it('hands the scaler a valid policy with the FIFO group estimate, reserved concurrency and poller mode', () => {
    const { template } = b;
    const consumer = resourceOf(template, 'AWS::Lambda::Function', 'PipelineConsumerFunction');
    expect(consumer.props.ReservedConcurrentExecutions).toBe(30);
    // The alarm names are deploy-time tokens in the template; the construct keeps the policy object.
    let token = 0;
    const resolved = JSON.stringify(b.pipeline.scaling!.policy, (_key, value) =>
      typeof value === 'string' && value.includes('${Token') ? `alarm-${++token}` : value,
    );
    const policy = scalingPolicySchema.parse(JSON.parse(resolved));
    expect(token).toBe(3);
    expect(policy).toMatchObject({
      queueType: 'fifo',
      activeMessageGroups: 12,
      reservedConcurrency: 30,
      floor: 4,
      ceiling: 50,
      mode: 'provisioned-pollers',
      minimumPollers: 2,
    });
    const scaler = resourceOf(template, 'AWS::Lambda::Function', 'PipelineScalingScaler');
    expect(scaler.props.Environment.Variables[ENV.scalingPolicy]['Fn::Join']).toBeDefined();
  });
});

/** A key policy statement, as the template holds it. */
interface KeyStatement {
  readonly Action: string | string[];
  readonly Principal?: { readonly Service?: string };
  readonly Condition: {
    readonly StringEquals: Record<string, unknown>;
    readonly ArnLike: Record<string, unknown>;
  };
}

describe('pipeline settings: encryption=kms keeps every failure path working', () => {
  let template: ReturnType<typeof buildStack>['template'];
  beforeAll(() => {
    ({ template } = buildStack({ encryption: 'kms' }));
  });
  const keyStatements = () =>
    Object.values(template.findResources('AWS::KMS::Key')).flatMap(
      (key) => key.Properties.KeyPolicy.Statement as KeyStatement[],
    );

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html: an encrypted DLQ
  // needs a key policy that lets events.amazonaws.com use the key.
  it('lets EventBridge, and only for this account, encrypt into the events dead-letter queue', () => {
    const events = keyStatements().find(
      (statement) => statement.Principal?.Service === 'events.amazonaws.com',
    );
    expect(events?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(events?.Condition.StringEquals['aws:SourceAccount']).toBe('000000000000');
    expect(JSON.stringify(events?.Condition.ArnLike['aws:SourceArn'])).toContain(':rule/*');
  });

  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html: the
  // key of an encrypted topic must allow cloudwatch.amazonaws.com; a source condition scopes it.
  it("lets CloudWatch use the key for this account's alarms only", () => {
    const cloudwatch = keyStatements().find(
      (statement) => statement.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(cloudwatch?.Condition.StringEquals['aws:SourceAccount']).toBe('000000000000');
    expect(JSON.stringify(cloudwatch?.Condition.ArnLike['aws:SourceArn'])).toContain(':alarm:*');
  });

  // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html: Lambda sends
  // to the DLQ with the function's execution role, which needs the queue's key.
  it('gives every function with a dead-letter queue the key to send to it', () => {
    const withDlq = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      ([, fn]) => fn.Properties.DeadLetterConfig,
    );
    expect(withDlq.length).toBe(4);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    for (const [id, fn] of withDlq) {
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const statements = policies
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      const actions = statements
        .filter((statement) => JSON.stringify(statement.Resource).includes('PipelineQueueKey'))
        .flatMap((statement) => [statement.Action].flat());
      expect(actions, id).toEqual(expect.arrayContaining(['kms:GenerateDataKey', 'kms:Decrypt']));
    }
  });
});

describe('pipeline settings: the default alarm topic', () => {
  // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html: CloudWatch cannot publish
  // to a topic under the AWS managed key, so by default the topic is not encrypted at rest (and says so).
  it('is not encrypted under the AWS managed key, which would silence every alarm', () => {
    const { template } = buildStack();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.absent() });
  });
});
