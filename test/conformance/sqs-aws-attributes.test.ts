/**
 * Where SQS queue and message attributes were measured to differ from AWS (issue 13): each case is
 * written from the AWS page it cites and from what AWS answered when the same scenario was
 * recorded (LocalStack's AWS-validated snapshot tests, tests/aws/services/sqs/test_sqs.py).
 */
import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createQueue } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();

async function attributes(queueUrl: string, names: string[] = ['All']): Promise<Record<string, string>> {
  const { Attributes = {} } = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names as never }),
  );
  return Attributes;
}

function setAttributes(queueUrl: string, values: Record<string, string>) {
  return cloud.clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: values }));
}

async function receive(queueUrl: string, extra: Record<string, unknown> = {}): Promise<Message[]> {
  const { Messages } = await cloud.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0, ...extra }),
  );
  return Messages ?? [];
}

const KMS_ATTRIBUTES = ['KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled'];

describe('SQS FIFO attributes', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  // Recorded on AWS: test_fifo_delete_after_visibility_timeout and
  // test_fifo_change_to_high_throughput_after_creation create queues with "True" and "False".
  it('reads boolean attribute values case-insensitively and reports them in lower case', async () => {
    const url = await createQueue(cloud, 'booleans.fifo', {
      FifoQueue: 'True',
      ContentBasedDeduplication: 'True',
    });
    expect(await attributes(url, ['FifoQueue', 'ContentBasedDeduplication'])).toEqual({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
    });
    // Content-based deduplication is really on: no MessageDeduplicationId needed.
    const sent = await cloud.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' }),
    );
    expect(sent.SequenceNumber).toBeTruthy();
    await setAttributes(url, { ContentBasedDeduplication: 'False' });
    expect(await attributes(url, ['ContentBasedDeduplication'])).toEqual({
      ContentBasedDeduplication: 'false',
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  // Recorded on AWS: test_create_standard_queue_with_fifo_attribute_raises_error.
  it.each([
    ['FifoQueue', 'false', 'Unknown Attribute FifoQueue.'],
    ['ContentBasedDeduplication', 'false', 'Unknown Attribute ContentBasedDeduplication.'],
    [
      'DeduplicationScope',
      'queue',
      'You can specify the DeduplicationScope only when FifoQueue is set to true.',
    ],
    [
      'FifoThroughputLimit',
      'perQueue',
      'You can specify the FifoThroughputLimit only when FifoQueue is set to true.',
    ],
  ])('refuses %s=%s on a standard queue at CreateQueue', async (name, value, message) => {
    await expect(createQueue(cloud, `std-${name.toLowerCase()}`, { [name]: value })).rejects.toMatchObject({
      name: 'InvalidAttributeName',
      message,
      $metadata: { httpStatusCode: 400 },
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  // Recorded on AWS: test_set_unsupported_attribute_standard, test_set_unsupported_attribute_fifo.
  it('refuses FifoQueue on a standard queue and a change of queue type on a FIFO queue', async () => {
    const standard = await createQueue(cloud, 'set-fifoqueue');
    for (const value of ['true', 'false']) {
      await expect(setAttributes(standard, { FifoQueue: value })).rejects.toMatchObject({
        name: 'InvalidAttributeName',
        message: 'Unknown Attribute FifoQueue.',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const fifo = await createQueue(cloud, 'set-fifoqueue.fifo', { FifoQueue: 'true' });
    await setAttributes(fifo, { FifoQueue: 'true' });
    await expect(setAttributes(fifo, { FifoQueue: 'false' })).rejects.toMatchObject({
      name: 'InvalidAttributeValue',
      message: 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
