import { fileURLToPath } from 'node:url';
import { ENVIRONMENT_VARIABLES as ENV, METRICS_NAMESPACE } from '@oncely/runtime/contract';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BacklogScaling } from './constructs/backlog-scaling.js';
import { IdempotentConsumer } from './constructs/idempotent-consumer.js';
import { LossAuditor } from './constructs/loss-auditor.js';
import { OutboxProducer } from './constructs/outbox-producer.js';
import { PipelineAlarms } from './constructs/pipeline-alarms.js';
import { PipelineDashboard } from './constructs/pipeline-dashboard.js';
import type { FunctionCodeMode } from './constructs/pipeline-function.js';
import { PipelineTables } from './constructs/pipeline-tables.js';
import { ReliableQueue } from './constructs/reliable-queue.js';
import { type PipelineSettings, type PipelineSettingsInput, parsePipelineSettings } from './settings.js';

/** Handler modules the stack bundles, relative to the project root. */
export const HANDLER_ENTRIES = {
  consumer: 'examples/points/src/handlers/points-consumer.ts',
  placeOrder: 'examples/points/src/handlers/place-order.ts',
  outboxRelay: 'packages/runtime/src/handlers/outbox-relay.ts',
  compensation: 'packages/runtime/src/handlers/compensation.ts',
  auditor: 'packages/runtime/src/handlers/auditor.ts',
  scaler: 'packages/runtime/src/handlers/scaler.ts',
} as const;

/** Absolute path of a project file, wherever the process runs from. */
export function projectPath(relative: string): string {
  return fileURLToPath(new URL(`../../../${relative}`, import.meta.url));
}

/**
 * Stack outputs, by key. The keys are a contract: the ops CLI and the local cloud read them, so they
 * never change (the values do, per deployment).
 */
export const OUTPUT_KEYS = {
  queueUrl: 'QueueUrl',
  queueArn: 'QueueArn',
  queueType: 'QueueType',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  deadLetterQueueArn: 'DeadLetterQueueArn',
  claimsTable: 'ClaimsTableName',
  outboxTable: 'OutboxTableName',
  leasesTable: 'LeasesTableName',
  controlTable: 'ControlTableName',
  accountsTable: 'AccountsTableName',
  ledgerTable: 'LedgerTableName',
  ordersTable: 'OrdersTableName',
  consumerFunction: 'ConsumerFunctionName',
  placeOrderFunction: 'PlaceOrderFunctionName',
  outboxRelayFunction: 'OutboxRelayFunctionName',
  compensationFunction: 'CompensationFunctionName',
  auditorFunction: 'AuditorFunctionName',
  scalerFunction: 'ScalerFunctionName',
  eventSourceMappingId: 'EventSourceMappingId',
  alarmTopicArn: 'AlarmTopicArn',
  dashboardName: 'DashboardName',
} as const;

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** Settings; validated, defaults applied. @default - every default (see packages/cdk/src/settings.ts) */
  readonly settings?: PipelineSettingsInput;
  /** `placeholder` skips esbuild (template-only tests). @default 'bundle' */
  readonly functionCode?: FunctionCodeMode;
}

const REMOVAL_POLICIES = {
  retain: RemovalPolicy.RETAIN,
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
} as const;

/**
 * The whole Oncely pipeline: reliable queue, tables, idempotent consumer, outbox producer, loss
 * auditor, backlog scaling, alarms and dashboard.
 */
export class PipelineStack extends Stack {
  readonly settings: PipelineSettings;
  readonly reliableQueue: ReliableQueue;
  readonly tables: PipelineTables;
  readonly consumer: IdempotentConsumer;
  readonly producer: OutboxProducer;
  readonly auditor: LossAuditor;
  readonly scaling: BacklogScaling;
  readonly alarms: PipelineAlarms;
  readonly dashboard: PipelineDashboard;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    const settings = parsePipelineSettings(props.settings);
    this.settings = settings;
    const code = props.functionCode ?? 'bundle';
    const removalPolicy = REMOVAL_POLICIES[settings.removalPolicy];
    // SNAPSHOT is valid for tables only; queues, keys and logs are retained instead.
    const plainRemovalPolicy =
      removalPolicy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.RETAIN : removalPolicy;
    const consumerTimeout = Duration.seconds(settings.consumerTimeoutSeconds);
    const batchingWindow = Duration.seconds(settings.maxBatchingWindowSeconds);
    const common = {
      environment: {
        [ENV.serviceName]: settings.serviceName,
        [ENV.metricsNamespace]: METRICS_NAMESPACE,
      },
      memorySize: settings.memorySizeMb,
      logRetentionDays: settings.logRetentionDays,
      removalPolicy: plainRemovalPolicy,
      code,
    };

    this.reliableQueue = new ReliableQueue(this, 'Queue', {
      queueType: settings.queueType,
      maxReceiveCount: settings.maxReceiveCount,
      // A message must stay hidden while the consumer may still be working on it, retries included.
      visibilityTimeout: Duration.seconds(
        6 * settings.consumerTimeoutSeconds + settings.maxBatchingWindowSeconds,
      ),
      retentionPeriod: Duration.days(settings.queueRetentionDays),
      encryption: settings.encryption,
      removalPolicy: plainRemovalPolicy,
    });
    const { queue, deadLetterQueue } = this.reliableQueue;
    this.tables = new PipelineTables(this, 'Tables', { removalPolicy });
    const tables = this.tables;

    // Invocations EventBridge could not deliver to a schedule or to the scaler land here.
    const eventsDeadLetterQueue = new sqs.Queue(this, 'EventsDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      ...(this.reliableQueue.encryptionKey
        ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: this.reliableQueue.encryptionKey }
        : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
      removalPolicy: plainRemovalPolicy,
    });

    Validations.of(eventsDeadLetterQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue, of EventBridge targets and asynchronous Lambda invocations.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'A dead-letter queue of last resort; operators inspect and replay its events.',
      },
    );

    this.consumer = new IdempotentConsumer(this, 'Consumer', {
      ...common,
      entry: projectPath(HANDLER_ENTRIES.consumer),
      environment: {
        ...common.environment,
        ...(settings.consumerMode ? { [ENV.consumerMode]: settings.consumerMode } : {}),
      },
      queue,
      deadLetterQueue,
      tables: {
        claims: tables.claims,
        control: tables.control,
        business: {
          accounts: { table: tables.accounts, env: ENV.accountsTable },
          ledger: { table: tables.ledger, env: ENV.ledgerTable },
        },
      },
      timeout: consumerTimeout,
      batchSize: settings.batchSize,
      maxBatchingWindow: batchingWindow,
      maximumConcurrency: settings.concurrencyFloor,
      ...(settings.pollerMode === 'provisioned'
        ? { provisionedPollers: { minimum: settings.minimumPollers, maximum: settings.concurrencyFloor } }
        : {}),
      ...(settings.consumerReservedConcurrency !== undefined
        ? { reservedConcurrency: settings.consumerReservedConcurrency }
        : {}),
    });

    this.producer = new OutboxProducer(this, 'Producer', {
      ...common,
      entries: {
        placeOrder: projectPath(HANDLER_ENTRIES.placeOrder),
        outboxRelay: projectPath(HANDLER_ENTRIES.outboxRelay),
        compensation: projectPath(HANDLER_ENTRIES.compensation),
      },
      queue,
      tables: { outbox: tables.outbox, leases: tables.leases, orders: tables.orders, claims: tables.claims },
      relayEvery: Duration.minutes(settings.relayIntervalMinutes),
      compensationEvery: Duration.minutes(settings.compensationIntervalMinutes),
      scheduleDeadLetterQueue: eventsDeadLetterQueue,
    });

    this.auditor = new LossAuditor(this, 'Auditor', {
      ...common,
      entry: projectPath(HANDLER_ENTRIES.auditor),
      queue,
      deadLetterQueue,
      tables: {
        claims: tables.claims,
        leases: tables.leases,
        outbox: tables.outbox,
        control: tables.control,
      },
      every: Duration.minutes(settings.auditIntervalMinutes),
      metricsNamespace: METRICS_NAMESPACE,
      ...(this.reliableQueue.encryptionKey ? { encryptionKey: this.reliableQueue.encryptionKey } : {}),
      timeout: Duration.minutes(5),
      scheduleDeadLetterQueue: eventsDeadLetterQueue,
    });

    this.scaling = new BacklogScaling(this, 'Scaling', {
      ...common,
      entry: projectPath(HANDLER_ENTRIES.scaler),
      queue,
      fifo: this.reliableQueue.fifo,
      consumer: this.consumer.function,
      eventSourceMapping: this.consumer.eventSourceMapping,
      controlTable: tables.control,
      steps: settings.backlogSteps,
      floor: settings.concurrencyFloor,
      ceiling: settings.concurrencyCeiling,
      ...(settings.consumerReservedConcurrency !== undefined
        ? { reservedConcurrency: settings.consumerReservedConcurrency }
        : {}),
      ...(settings.expectedMessageGroups !== undefined
        ? { expectedMessageGroups: settings.expectedMessageGroups }
        : {}),
      ...(settings.pollerMode === 'provisioned' ? { minimumPollers: settings.minimumPollers } : {}),
      scaleDeadLetterQueue: eventsDeadLetterQueue,
      metricsNamespace: METRICS_NAMESPACE,
    });

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      queue,
      deadLetterQueue,
      consumer: this.consumer.function,
      serviceName: settings.serviceName,
      oldestMessageAgeSeconds: settings.oldestMessageAgeAlarmSeconds,
      consumerErrorsThreshold: settings.consumerErrorsAlarmThreshold,
      consumerThrottlesThreshold: settings.consumerThrottlesAlarmThreshold,
      ...(settings.alarmTopicArn ? { topicArn: settings.alarmTopicArn } : {}),
      ...(settings.alarmEmail ? { email: settings.alarmEmail } : {}),
      ...(this.reliableQueue.encryptionKey ? { encryptionKey: this.reliableQueue.encryptionKey } : {}),
    });
    // A critical backlog needs a human as well as the scaler.
    this.alarms.notifyOn(this.scaling.alarms.critical);

    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      queue,
      deadLetterQueue,
      consumer: this.consumer.function,
      serviceName: settings.serviceName,
      alarms: [...Object.values(this.alarms.alarms), ...Object.values(this.scaling.alarms)],
    });

    this.addOutputs();
    this.addNagSuppressions();
  }

  private addOutputs(): void {
    const { queue, deadLetterQueue } = this.reliableQueue;
    const values: Record<keyof typeof OUTPUT_KEYS, string> = {
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      queueType: this.settings.queueType,
      deadLetterQueueUrl: deadLetterQueue.queueUrl,
      deadLetterQueueArn: deadLetterQueue.queueArn,
      claimsTable: this.tables.claims.tableName,
      outboxTable: this.tables.outbox.tableName,
      leasesTable: this.tables.leases.tableName,
      controlTable: this.tables.control.tableName,
      accountsTable: this.tables.accounts.tableName,
      ledgerTable: this.tables.ledger.tableName,
      ordersTable: this.tables.orders.tableName,
      consumerFunction: this.consumer.function.functionName,
      placeOrderFunction: this.producer.placeOrder.functionName,
      outboxRelayFunction: this.producer.outboxRelay.functionName,
      compensationFunction: this.producer.compensation.functionName,
      auditorFunction: this.auditor.function.functionName,
      scalerFunction: this.scaling.scaler.functionName,
      eventSourceMappingId: this.consumer.eventSourceMapping.eventSourceMappingId,
      alarmTopicArn: this.alarms.topic.topicArn,
      dashboardName: this.dashboard.dashboard.dashboardName,
    };
    for (const [name, key] of Object.entries(OUTPUT_KEYS))
      new CfnOutput(this, key, { value: values[name as keyof typeof OUTPUT_KEYS] });
  }

  /** Findings that are accepted by design; each carries its reason. */
  private addNagSuppressions(): void {
    if (this.reliableQueue.encryptionKey) {
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*'])
        Validations.of(this).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason:
            'encryption=kms: the standard CDK queue grants on the pipeline key; the statement names that one key, and the wildcard only spans the ReEncryptFrom/To and GenerateDataKey(WithoutPlaintext) variants.',
        });
    }
    for (const table of [this.tables.claims, this.tables.outbox]) {
      const logicalId = this.resolve((table.node.defaultChild as dynamodb.CfnTable).logicalId) as string;
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
        reason:
          'Grants on a table with global secondary indexes (claims byProducer, outbox byStatus) include "<table>/index/*": only the indexes of that one table.',
      });
    }
  }
}
