import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link ReliableQueue}. */
export interface ReliableQueueProps {
  /** @default 'fifo' */
  readonly queueType?: 'fifo' | 'standard';
  /** Receives before SQS moves a message to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** Should be at least 6x the consumer timeout plus its batching window. @default Duration.minutes(3) */
  readonly visibilityTimeout?: Duration;
  /** Source queue retention; the DLQ always keeps 14 days. @default Duration.days(4) */
  readonly retentionPeriod?: Duration;
  /** `kms` creates a customer managed key with rotation. @default 'sqs-managed' */
  readonly encryption?: 'sqs-managed' | 'kms';
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The pipeline's source queue and its dead-letter queue. Secure and lossless by default: SQS-managed
 * (or KMS) encryption, HTTPS-only queue policies, a redrive policy after `maxReceiveCount` receives,
 * a DLQ that keeps messages for the SQS maximum of 14 days and accepts redrives only from this
 * source queue. FIFO queues use high-throughput mode (deduplication and throughput per group).
 */
export class ReliableQueue extends Construct {
  /** The source queue. */
  readonly queue: sqs.IQueue;
  /** Its dead-letter queue. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Set when `encryption` is `kms`. */
  readonly encryptionKey: kms.IKey | undefined;
  /** Whether the queues are FIFO. */
  readonly fifo: boolean;

  constructor(scope: Construct, id: string, props: ReliableQueueProps = {}) {
    super(scope, id);
    this.fifo = (props.queueType ?? 'fifo') === 'fifo';
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.encryptionKey =
      props.encryption === 'kms'
        ? new kms.Key(this, 'Key', {
            description: 'Encrypts the Oncely pipeline queues and alarm topic',
            enableKeyRotation: true,
            removalPolicy,
          })
        : undefined;
    const encryption = this.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: this.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
    const fifo = this.fifo
      ? {
          fifo: true,
          // Producers set MessageDeduplicationId to the envelope id; content-based dedup would merge
          // distinct events with equal bodies.
          contentBasedDeduplication: false,
          deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
          fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
        }
      : {};

    // The source queue's name is fixed up front so the DLQ can name it in its redrive-allow policy
    // without a reference cycle (the source already references the DLQ in its redrive policy).
    const suffix = this.fifo ? '.fifo' : '';
    const sourceName = `${Names.uniqueResourceName(this, { maxLength: 75 })}${suffix}`;
    const sourceArn = Stack.of(this).formatArn({ service: 'sqs', resource: sourceName });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...fifo,
      ...encryption,
      retentionPeriod: Duration.days(14),
      redriveAllowPolicy: {
        redrivePermission: sqs.RedrivePermission.BY_QUEUE,
        sourceQueues: [sqs.Queue.fromQueueArn(this, 'SourceQueueRef', sourceArn)],
      },
      enforceSSL: true,
      removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the dead-letter queue: operators inspect its messages and redrive them to the source queue.',
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...fifo,
      ...encryption,
      queueName: sourceName,
      visibilityTimeout: props.visibilityTimeout ?? Duration.minutes(3),
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
      enforceSSL: true,
      removalPolicy,
    });
  }
}
