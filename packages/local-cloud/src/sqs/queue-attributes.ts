/**
 * Queue attribute names, defaults and value checks, as listed for CreateQueue/SetQueueAttributes in
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 * (message size: 1 KiB to 1 MiB, default 1 MiB, since SQS raised the limit from 256 KiB in 2025).
 */
import { AwsError } from '../protocol.js';

export const STANDARD_DEFAULTS: Readonly<Record<string, string>> = {
  DelaySeconds: '0',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

export const FIFO_DEFAULTS: Readonly<Record<string, string>> = {
  ...STANDARD_DEFAULTS,
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
};

/** Attributes computed by SQS, readable but never settable. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1048576],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};

const FIFO_ONLY = new Set(['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);
const SETTABLE = new Set([
  ...Object.keys(INTEGER_RANGES),
  ...FIFO_ONLY,
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
]);

export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

function invalidValue(name: string, value: string, reason: string): AwsError {
  return new AwsError(
    'InvalidAttributeValue',
    `Invalid value for the parameter ${name}. Reason: ${reason} (got ${JSON.stringify(value)}).`,
  );
}

/** Attributes whose values are booleans; SQS reads them in any case (`True`) and reports them in lower case. */
const BOOLEANS = new Set(['FifoQueue', 'ContentBasedDeduplication', 'SqsManagedSseEnabled']);

/** The value as SQS stores it: booleans in lower case, everything else as given. */
export function canonicalValue(name: string, value: string): string {
  return BOOLEANS.has(name) && /^(true|false)$/i.test(value) ? value.toLowerCase() : value;
}

/**
 * Checks one attribute a caller sets on a FIFO (`fifo`) or standard queue, at CreateQueue
 * (`creating`) or SetQueueAttributes. Cross-queue rules (the dead-letter queue exists, has the same
 * type, allows this source) are the engine's, since they need the other queues. The FIFO-only
 * rules and their wording are AWS's as recorded (LocalStack's AWS-validated
 * test_create_standard_queue_with_fifo_attribute_raises_error, test_set_unsupported_attribute_*).
 */
export function validateAttribute(name: string, value: string, fifo: boolean, creating: boolean): void {
  if (name === 'FifoQueue') {
    // A standard queue knows no such attribute, not even `false`; a FIFO queue cannot stop being one.
    if (!fifo) throw new AwsError('InvalidAttributeName', 'Unknown Attribute FifoQueue.');
    if (value.toLowerCase() !== 'true') {
      throw new AwsError(
        'InvalidAttributeValue',
        'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
      );
    }
    return;
  }
  if (creating && !fifo && (name === 'DeduplicationScope' || name === 'FifoThroughputLimit')) {
    throw new AwsError(
      'InvalidAttributeName',
      `You can specify the ${name} only when FifoQueue is set to true.`,
    );
  }
  if (!SETTABLE.has(name) || (FIFO_ONLY.has(name) && !fifo)) {
    throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
  }
  if (BOOLEANS.has(name) && !/^(true|false)$/i.test(value)) {
    throw invalidValue(name, value, 'must be true or false');
  }
  const range = INTEGER_RANGES[name];
  if (range) {
    if (!/^\d+$/.test(value) || Number(value) < range[0] || Number(value) > range[1]) {
      throw invalidValue(name, value, `must be an integer between ${range[0]} and ${range[1]}`);
    }
    return;
  }
  switch (name) {
    case 'DeduplicationScope':
      if (value !== 'messageGroup' && value !== 'queue')
        throw invalidValue(name, value, 'must be messageGroup or queue');
      return;
    case 'FifoThroughputLimit':
      if (value !== 'perQueue' && value !== 'perMessageGroupId') {
        throw invalidValue(name, value, 'must be perQueue or perMessageGroupId');
      }
      return;
    case 'Policy':
      if (value !== '') parseJsonObject(name, value);
      return;
    case 'RedrivePolicy':
      if (value !== '') parseRedrivePolicy(value);
      return;
    case 'RedriveAllowPolicy':
      if (value !== '') parseRedriveAllowPolicy(value);
      return;
  }
}

function parseJsonObject(name: string, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidValue(name, value, 'must be valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidValue(name, value, 'must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** `maxReceiveCount` may arrive as a number or a string; both are accepted, as SQS does. */
export function parseRedrivePolicy(value: string): RedrivePolicy {
  const parsed = parseJsonObject('RedrivePolicy', value);
  const arn = parsed.deadLetterTargetArn;
  const count = Number(parsed.maxReceiveCount);
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
    throw invalidValue('RedrivePolicy', value, 'deadLetterTargetArn must be a queue ARN');
  }
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalidValue('RedrivePolicy', value, 'maxReceiveCount must be an integer between 1 and 1000');
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

export interface RedriveAllowPolicy {
  readonly redrivePermission: 'allowAll' | 'denyAll' | 'byQueue';
  readonly sourceQueueArns: readonly string[];
}

export function parseRedriveAllowPolicy(value: string): RedriveAllowPolicy {
  const parsed = parseJsonObject('RedriveAllowPolicy', value);
  const permission = parsed.redrivePermission;
  const arns = parsed.sourceQueueArns;
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
    throw invalidValue('RedriveAllowPolicy', value, 'redrivePermission must be allowAll, denyAll or byQueue');
  }
  if (permission === 'byQueue') {
    if (
      !Array.isArray(arns) ||
      arns.length < 1 ||
      arns.length > 10 ||
      arns.some((a) => typeof a !== 'string')
    ) {
      throw invalidValue('RedriveAllowPolicy', value, 'byQueue needs 1 to 10 sourceQueueArns');
    }
    return { redrivePermission: permission, sourceQueueArns: arns as string[] };
  }
  if (arns !== undefined) {
    throw invalidValue('RedriveAllowPolicy', value, 'sourceQueueArns is only allowed with byQueue');
  }
  return { redrivePermission: permission, sourceQueueArns: [] };
}
