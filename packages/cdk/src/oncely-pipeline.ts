import {
  ENVIRONMENT_VARIABLES as ENV,
  METRICS_NAMESPACE,
  OUTPUT_KEYS,
  type OutputKey,
} from '@oncely/runtime/contract';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BacklogScaling } from './constructs/backlog-scaling.js';
import { type ConsumerCode, IdempotentConsumer, WRITE_ACTIONS } from './constructs/idempotent-consumer.js';
import { LossAuditor } from './constructs/loss-auditor.js';
import { OutboxRelay } from './constructs/outbox-relay.js';
import { PipelineAlarms } from './constructs/pipeline-alarms.js';
import { PipelineDashboard } from './constructs/pipeline-dashboard.js';
import { PipelineTables } from './constructs/pipeline-tables.js';
import { ReliableQueue } from './constructs/reliable-queue.js';
import { type PipelineSettings, type PipelineSettingsInput, parsePipelineSettings } from './settings.js';

/** A queue you already have, with its dead-letter queue (its redrive policy is yours to set). */
export interface ExistingQueue {
  /** The queue the consumer reads. */
  readonly queue: sqs.IQueue;
  /** Its dead-letter queue; the consumer sends poison messages there itself. */
  readonly deadLetterQueue: sqs.IQueue;
}

/** Properties of {@link OncelyPipeline}. Only `consumer` is required. */
export interface OncelyPipelineProps {
  /**
   * Your consumer: `{ entry: 'src/consumer.ts' }` (a module exporting `handler`, bundled like
   * `NodejsFunction`), `{ function: existingFunction }` or `{ functionProps: {...} }`.
   */
  readonly consumer: ConsumerCode;
  /**
   * Validated settings (queue type, receives, batch size, concurrency steps, alarm thresholds,
   * schedules, encryption, ...); every one optional with a documented default. An invalid one
   * fails synthesis naming it (`oncely.<setting>`).
   * @default - every default (see the "Default settings" table of the package README)
   */
  readonly settings?: PipelineSettingsInput;
  /** Consume this queue instead of creating one. @default - a new queue and DLQ (settings.queueType) */
  readonly existingQueue?: ExistingQueue;
  /** Use these tables instead of creating them (same key schema). @default - new tables */
  readonly existingTables?: {
    /** Claims table: `pk` (string), TTL `expiresAt`, GSI `byProducer` (`producer` S, `seq` N). */
    readonly claims?: dynamodb.ITable;
    /** Control table: `pk` (string). */
    readonly control?: dynamodb.ITable;
    /** Leases table: `pk` (string). */
    readonly leases?: dynamodb.ITable;
    /** Outbox table: `pk` (string), TTL `expiresAt`, GSI `byStatus` (`status` S, `createdAt` N). */
    readonly outbox?: dynamodb.ITable;
  };
  /** Your tables the consumer writes (get, put, update, condition check; no scans, no deletes). @default [] */
  readonly grantWrite?: readonly dynamodb.ITable[];
  /** Your tables the consumer reads (get, batch get, query). @default [] */
  readonly grantRead?: readonly dynamodb.ITable[];
  /** More environment variables for your consumer (e.g. your table names). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Run the loss auditor on a schedule (needs producers that use Oncely's producer). @default true */
  readonly auditor?: boolean;
  /** Scale the consumer's concurrency and degradation level with the backlog. @default true */
  readonly scaling?: boolean;
  /**
   * Alarms a human must see (DLQ not empty, oldest message age, consumer errors and throttles,
   * messages missing, compensation exhausted), each notifying the alarm topic and `alarmActions`.
   * @default true
   */
  readonly alarms?: boolean;
  /** More actions for every alarm besides the topic (a Lambda action, an OpsItem, ...). @default [] */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /** A CloudWatch dashboard of the pipeline. @default true */
  readonly dashboard?: boolean;
  /**
   * You publish through Oncely's outbox (`createProducer({ outboxTable })` and `transact`, or its
   * send log): create the outbox table, its relay and the compensation sweep. @default false
   */
  readonly outbox?: boolean;
  /** Namespace of Oncely's custom metrics (written as EMF log lines by the functions), used by the alarms and the dashboard. @default 'Oncely' */
  readonly metricsNamespace?: string;
  /**
   * Prefix of the stack outputs the CLI reads (`<prefix>QueueUrl`, ...). Give each pipeline its own
   * when a stack holds more than one; `false` adds no outputs.
   * @default ''
   */
  readonly outputPrefix?: string | false;
}

const REMOVAL_POLICIES = {
  retain: RemovalPolicy.RETAIN,
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
} as const;

/**
 * An exactly-once pipeline around your SQS consumer: a reliable queue and DLQ (or yours), the
 * claims table your consumer claims each message in, the event source mapping with partial batch
 * responses, least-privilege grants on your tables, and, each switchable, the loss auditor, backlog
 * scaling, alarms, a dashboard and the outbox relay with compensation.
 *
 * @example
 * const stock = new dynamodb.Table(this, 'Stock', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
 * const pipeline = new OncelyPipeline(this, 'Reservations', {
 *   consumer: { entry: 'src/reserve-consumer.ts' },
 *   grantWrite: [stock],
 *   environment: { STOCK_TABLE: stock.tableName },
 * });
 * pipeline.grantPublish(orderServiceFunction);
 */
export class OncelyPipeline extends Construct {
  /** Validated settings, defaults applied. */
  readonly settings: PipelineSettings;
  /** The source queue: the new one, or `existingQueue.queue`. */
  readonly queue: sqs.IQueue;
  /** The dead-letter queue: the new one, or `existingQueue.deadLetterQueue`. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Whether the source queue is FIFO. */
  readonly fifo: boolean;
  /** The claims, control, leases and (with `outbox`) outbox tables. */
  readonly tables: PipelineTables;
  /** Your consumer function and its event source mapping. */
  readonly consumer: IdempotentConsumer;
  /** Receives invocations EventBridge could not deliver (schedules, alarm events). */
  readonly eventsDeadLetterQueue: sqs.IQueue;
  /** The scheduled loss auditor, unless `auditor: false`. */
  readonly auditor: LossAuditor | undefined;
  /** The backlog alarms and scaler, unless `scaling: false`. */
  readonly scaling: BacklogScaling | undefined;
  /** The alarms and their topic, unless `alarms: false`. */
  readonly alarms: PipelineAlarms | undefined;
  /** The dashboard, unless `dashboard: false`. */
  readonly dashboard: PipelineDashboard | undefined;
  /** The outbox relay and compensation, with `outbox: true`. */
  readonly outbox: OutboxRelay | undefined;
  /** The reliable queue when this construct created it. */
  readonly reliableQueue: ReliableQueue | undefined;
  /** The namespace of the custom metrics (`metricsNamespace`, default `Oncely`). */
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: OncelyPipelineProps) {
    super(scope, id);
    if (
      !props?.consumer ||
      [props.consumer.entry, props.consumer.function, props.consumer.functionProps].filter(Boolean).length !==
        1
    )
      throw new Error(`${this.node.path}: consumer needs exactly one of entry, function or functionProps`);
    const settings = parsePipelineSettings(props.settings);
    this.settings = settings;
    this.metricsNamespace = props.metricsNamespace ?? METRICS_NAMESPACE;
    if (!/^[^:][^:]{0,254}$/.test(this.metricsNamespace))
      throw new Error(`${this.node.path}: metricsNamespace must be 1-255 characters without ':'`);
    const removalPolicy = REMOVAL_POLICIES[settings.removalPolicy];
    // SNAPSHOT is valid for tables only; queues, keys and logs are retained instead.
    const plainRemovalPolicy =
      removalPolicy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.RETAIN : removalPolicy;
    const common = {
      environment: {
        [ENV.serviceName]: settings.serviceName,
        [ENV.metricsNamespace]: this.metricsNamespace,
      },
      memorySize: settings.memorySizeMb,
      logRetentionDays: settings.logRetentionDays,
      removalPolicy: plainRemovalPolicy,
    };

    if (props.existingQueue) {
      this.queue = props.existingQueue.queue;
      this.deadLetterQueue = props.existingQueue.deadLetterQueue;
      this.fifo = this.queue.fifo;
    } else {
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
      this.queue = this.reliableQueue.queue;
      this.deadLetterQueue = this.reliableQueue.deadLetterQueue;
      this.fifo = this.reliableQueue.fifo;
    }
    const encryptionKey = this.reliableQueue?.encryptionKey;
    this.tables = new PipelineTables(this, 'Tables', {
      removalPolicy,
      outbox: props.outbox ?? false,
      ...(props.existingTables ? { existing: props.existingTables } : {}),
    });

    this.eventsDeadLetterQueue = new sqs.Queue(this, 'EventsDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      ...(encryptionKey
        ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: encryptionKey }
        : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
      removalPolicy: plainRemovalPolicy,
    });
    if (encryptionKey) {
      // EventBridge delivers undeliverable schedule and alarm events to this queue itself, so the
      // key policy must let it encrypt, for this account's rules only.
      const stack = Stack.of(this);
      encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }),
            },
          },
        }),
      );
    }
    Validations.of(this.eventsDeadLetterQueue).acknowledge(
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

    const scaling = props.scaling ?? true;
    this.consumer = new IdempotentConsumer(this, 'Consumer', {
      ...common,
      code: props.consumer,
      environment: {
        ...props.environment,
        ...common.environment,
        [ENV.consumerMode]: settings.consumerMode,
      },
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      claimsTable: this.tables.claims,
      // Without scaling nothing sets a degradation level, so the consumer need not read one.
      ...(scaling ? { controlTable: this.tables.control } : {}),
      ...(props.grantWrite ? { grantWrite: props.grantWrite } : {}),
      ...(props.grantRead ? { grantRead: props.grantRead } : {}),
      timeout: Duration.seconds(settings.consumerTimeoutSeconds),
      batchSize: settings.batchSize,
      maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
      maximumConcurrency: settings.concurrencyFloor,
      ...(settings.pollerMode === 'provisioned'
        ? { provisionedPollers: { minimum: settings.minimumPollers, maximum: settings.concurrencyFloor } }
        : {}),
      ...(settings.consumerReservedConcurrency !== undefined
        ? { reservedConcurrency: settings.consumerReservedConcurrency }
        : {}),
    });

    this.outbox = this.tables.outbox
      ? new OutboxRelay(this, 'Outbox', {
          ...common,
          queue: this.queue,
          outboxTable: this.tables.outbox,
          claimsTable: this.tables.claims,
          relayEvery: Duration.minutes(settings.relayIntervalMinutes),
          compensationEvery: Duration.minutes(settings.compensationIntervalMinutes),
          scheduleDeadLetterQueue: this.eventsDeadLetterQueue,
        })
      : undefined;

    this.auditor =
      (props.auditor ?? true)
        ? new LossAuditor(this, 'Auditor', {
            ...common,
            queue: this.queue,
            deadLetterQueue: this.deadLetterQueue,
            tables: {
              claims: this.tables.claims,
              leases: this.tables.leases,
              control: this.tables.control,
              ...(this.tables.outbox ? { outbox: this.tables.outbox } : {}),
            },
            every: Duration.minutes(settings.auditIntervalMinutes),
            ...(encryptionKey ? { encryptionKey } : {}),
            timeout: Duration.minutes(5),
            scheduleDeadLetterQueue: this.eventsDeadLetterQueue,
          })
        : undefined;

    this.scaling = scaling
      ? new BacklogScaling(this, 'Scaling', {
          ...common,
          queue: this.queue,
          fifo: this.fifo,
          consumer: this.consumer.function,
          eventSourceMapping: this.consumer.eventSourceMapping,
          controlTable: this.tables.control,
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
          scaleDeadLetterQueue: this.eventsDeadLetterQueue,
        })
      : undefined;

    this.alarms =
      (props.alarms ?? true)
        ? new PipelineAlarms(this, 'Alarms', {
            queue: this.queue,
            deadLetterQueue: this.deadLetterQueue,
            consumer: this.consumer.function,
            serviceName: settings.serviceName,
            metricsNamespace: this.metricsNamespace,
            oldestMessageAgeSeconds: settings.oldestMessageAgeAlarmSeconds,
            consumerErrorsThreshold: settings.consumerErrorsAlarmThreshold,
            consumerThrottlesThreshold: settings.consumerThrottlesAlarmThreshold,
            ...(props.alarmActions ? { actions: props.alarmActions } : {}),
            ...(settings.alarmTopicArn ? { topicArn: settings.alarmTopicArn } : {}),
            ...(settings.alarmEmail ? { email: settings.alarmEmail } : {}),
            ...(encryptionKey ? { encryptionKey } : {}),
          })
        : undefined;
    // A critical backlog needs a human as well as the scaler.
    if (this.alarms && this.scaling) this.alarms.notifyOn(this.scaling.alarms.critical);

    this.dashboard =
      (props.dashboard ?? true)
        ? new PipelineDashboard(this, 'Dashboard', {
            queue: this.queue,
            deadLetterQueue: this.deadLetterQueue,
            consumer: this.consumer.function,
            serviceName: settings.serviceName,
            metricsNamespace: this.metricsNamespace,
            alarms: [
              ...Object.values(this.alarms?.alarms ?? {}),
              ...Object.values(this.scaling?.alarms ?? {}),
            ],
          })
        : undefined;

    if (props.outputPrefix !== false) this.addOutputs(props.outputPrefix ?? '');
    this.addNagAcknowledgements();
  }

  /**
   * The environment variables a producer function of this pipeline reads with `loadConfig` of
   * `@oncely/runtime/lambda` (`config.require('queueUrl')`, ...) to build its `createProducer`;
   * {@link grantPublish} sets them on a function of this app.
   */
  get producerEnvironment(): Readonly<Record<string, string>> {
    return {
      [ENV.queueUrl]: this.queue.queueUrl,
      [ENV.leasesTable]: this.tables.leases.tableName,
      ...(this.tables.outbox ? { [ENV.outboxTable]: this.tables.outbox.tableName } : {}),
      [ENV.serviceName]: this.settings.serviceName,
      [ENV.metricsNamespace]: this.metricsNamespace,
    };
  }

  /**
   * Lets a producer publish to this pipeline: send to the queue, lease a worker id (Snowflake ids
   * and per-producer sequence numbers) and, with `outbox`, write outbox items in its transactions.
   * For a function of this app, also sets {@link producerEnvironment}.
   *
   * @example
   * const placeOrder = new NodejsFunction(this, 'PlaceOrder', { entry: 'src/place-order.ts' });
   * pipeline.grantPublish(placeOrder); // IAM, plus ONCELY_QUEUE_URL, ONCELY_LEASES_TABLE, ...
   */
  grantPublish(grantee: iam.IGrantable & Partial<Pick<lambda.Function, 'addEnvironment'>>): void {
    this.queue.grantSendMessages(grantee);
    this.tables.leases.grant(grantee, ...WRITE_ACTIONS);
    // Outbox items commit with the business change; direct mode's send log batches them.
    this.tables.outbox?.grant(grantee, ...WRITE_ACTIONS, 'dynamodb:BatchWriteItem');
    if (typeof grantee.addEnvironment === 'function')
      for (const [name, value] of Object.entries(this.producerEnvironment))
        grantee.addEnvironment(name, value);
  }

  private addOutputs(prefix: string): void {
    const values: Partial<Record<OutputKey, string>> = {
      queueUrl: this.queue.queueUrl,
      queueArn: this.queue.queueArn,
      queueType: this.fifo ? 'fifo' : 'standard',
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      deadLetterQueueArn: this.deadLetterQueue.queueArn,
      claimsTable: this.tables.claims.tableName,
      leasesTable: this.tables.leases.tableName,
      controlTable: this.tables.control.tableName,
      consumerFunction: this.consumer.function.functionName,
      eventSourceMappingId: this.consumer.eventSourceMapping.eventSourceMappingId,
      ...(this.tables.outbox ? { outboxTable: this.tables.outbox.tableName } : {}),
      ...(this.outbox
        ? {
            outboxRelayFunction: this.outbox.relay.functionName,
            compensationFunction: this.outbox.compensation.functionName,
          }
        : {}),
      ...(this.auditor ? { auditorFunction: this.auditor.function.functionName } : {}),
      ...(this.scaling ? { scalerFunction: this.scaling.scaler.functionName } : {}),
      ...(this.alarms ? { alarmTopicArn: this.alarms.topic.topicArn } : {}),
      ...(this.dashboard ? { dashboardName: this.dashboard.dashboard.dashboardName } : {}),
      metricsNamespace: this.metricsNamespace,
      serviceName: this.settings.serviceName,
    };
    const stack = Stack.of(this);
    for (const [name, value] of Object.entries(values) as Array<[OutputKey, string]>) {
      const key = `${prefix}${OUTPUT_KEYS[name]}`;
      // Stack-level ids: the CLI finds outputs by these keys, whatever the construct's path.
      new CfnOutput(stack, key, { value, description: OUTPUT_DESCRIPTIONS[name] });
    }
  }

  /** Findings that are accepted by design; each carries its reason. */
  private addNagAcknowledgements(): void {
    if (this.reliableQueue?.encryptionKey) {
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*'])
        Validations.of(this).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason:
            'encryption=kms: the standard CDK queue grants on the pipeline key; the statement names that one key, and the wildcard only spans the ReEncryptFrom/To and GenerateDataKey(WithoutPlaintext) variants.',
        });
    }
    const stack = Stack.of(this);
    for (const table of [this.tables.claims, this.tables.outbox]) {
      const cfn = table?.node.defaultChild as dynamodb.CfnTable | undefined;
      if (!cfn) continue;
      const logicalId = stack.resolve(cfn.logicalId) as string;
      // Stack-wide: grantPublish grants producers elsewhere in the stack on these tables too.
      Validations.of(stack).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
        reason:
          'Grants on a table with global secondary indexes (claims byProducer, outbox byStatus) include "<table>/index/*": only the indexes of that one table.',
      });
    }
  }
}

const OUTPUT_DESCRIPTIONS: Readonly<Record<OutputKey, string>> = {
  queueUrl: 'Oncely: source queue URL',
  queueArn: 'Oncely: source queue ARN',
  queueType: 'Oncely: fifo or standard',
  deadLetterQueueUrl: 'Oncely: dead-letter queue URL',
  deadLetterQueueArn: 'Oncely: dead-letter queue ARN',
  claimsTable: 'Oncely: claims table (one item per consumed message)',
  outboxTable: 'Oncely: outbox table',
  leasesTable: 'Oncely: producer worker-id leases',
  controlTable: 'Oncely: degradation level and audit checkpoints',
  consumerFunction: 'Oncely: consumer function name',
  outboxRelayFunction: 'Oncely: outbox relay function name',
  compensationFunction: 'Oncely: compensation function name',
  auditorFunction: 'Oncely: loss auditor function name',
  scalerFunction: 'Oncely: backlog scaler function name',
  eventSourceMappingId: 'Oncely: the consumer event source mapping id',
  alarmTopicArn: 'Oncely: alarm topic ARN',
  dashboardName: 'Oncely: CloudWatch dashboard name',
  metricsNamespace: "Oncely: namespace of the pipeline's custom metrics",
  serviceName: "Oncely: service dimension of the pipeline's custom metrics",
};
