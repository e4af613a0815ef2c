/**
 * Where SQS queue and message attributes were measured to differ from AWS (issue 13): each case is
 * written from the AWS page it cites and from what AWS answered when the same scenario was
 * recorded (LocalStack's AWS-validated snapshot tests, tests/aws/services/sqs/test_sqs.py).
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createQueue, createQueueWithArn } from '../support/sqs-queues.js';
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

describe('SQS DeduplicationScope changed on an existing queue', () => {
  function send(queueUrl: string, body: string, group: string, dedup: string) {
    return cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageGroupId: group,
        MessageDeduplicationId: dedup,
      }),
    );
  }

  async function receiveAndDelete(queueUrl: string): Promise<string[]> {
    const messages = await receive(queueUrl, { WaitTimeSeconds: 5 });
    for (const message of messages) {
      await cloud.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
    return messages.map((message) => message.Body!);
  }

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  // Recorded on AWS: test_fifo_change_to_high_throughput_after_creation. The new scope is reported
  // at once, but deduplication stays queue-wide: ids sent before and after the change still
  // deduplicate across message groups.
  it('keeps deduplicating across groups after a change from queue to messageGroup', async () => {
    const url = await createQueue(cloud, 'scope-to-group.fifo', {
      FifoQueue: 'True',
      ContentBasedDeduplication: 'False',
      DeduplicationScope: 'queue',
    });
    await send(url, 'Test1', 'group1', 'same-dedup');
    expect(await receiveAndDelete(url)).toEqual(['Test1']);
    await send(url, 'Test2', 'group2', 'same-dedup');
    expect(await receive(url, { VisibilityTimeout: 0 })).toHaveLength(0);
    await setAttributes(url, {
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    expect(await attributes(url, ['DeduplicationScope', 'FifoThroughputLimit'])).toEqual({
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    expect(await receive(url)).toHaveLength(0);
    await send(url, 'Test3', 'group3', 'same-dedup');
    expect(await receive(url)).toHaveLength(0);
    await send(url, 'Test4', 'group4', 'dedup_2');
    expect(await receiveAndDelete(url)).toEqual(['Test4']);
    await send(url, 'Test5', 'group5', 'dedup_2');
    expect(await receive(url)).toHaveLength(0);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  // Recorded on AWS: test_fifo_change_to_regular_throughput_after_creation.
  it('delivers an id already used in other groups after a change from messageGroup to queue', async () => {
    const url = await createQueue(cloud, 'scope-to-queue.fifo', {
      FifoQueue: 'True',
      ContentBasedDeduplication: 'False',
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
    });
    await send(url, 'Test1', 'group1', 'same-dedup');
    expect(await receiveAndDelete(url)).toEqual(['Test1']);
    await send(url, 'Test2', 'group2', 'same-dedup');
    expect(await receiveAndDelete(url)).toEqual(['Test2']);
    await setAttributes(url, { DeduplicationScope: 'queue', FifoThroughputLimit: 'perQueue' });
    expect(await attributes(url, ['DeduplicationScope', 'FifoThroughputLimit'])).toEqual({
      DeduplicationScope: 'queue',
      FifoThroughputLimit: 'perQueue',
    });
    await send(url, 'Test3', 'group3', 'same-dedup');
    expect(await receiveAndDelete(url)).toEqual(['Test3']);
  });
});

describe('SQS server-side encryption attributes', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  // ("Only one server-side encryption option is supported per queue"). Recorded on AWS:
  // test_sse_kms_and_sqs_are_mutually_exclusive.
  it('refuses SSE-KMS and SQS-managed SSE in one request', async () => {
    const url = await createQueue(cloud, 'sse-both');
    await expect(
      setAttributes(url, { KmsMasterKeyId: 'testKeyId', SqsManagedSseEnabled: 'true' }),
    ).rejects.toMatchObject({
      name: 'InvalidAttributeName',
      message:
        'You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  // Recorded on AWS: test_set_queue_attributes_default_values, test_sse_queue_attributes.
  it('turns SQS-managed SSE off when a KMS key is set, and hides the KMS attributes once the key is cleared', async () => {
    const url = await createQueue(cloud, 'sse-kms');
    const initial = await attributes(url);
    expect(initial.SqsManagedSseEnabled).toBe('true');
    expect(initial).not.toHaveProperty('KmsMasterKeyId');
    expect(initial).not.toHaveProperty('KmsDataKeyReusePeriodSeconds');

    await setAttributes(url, { KmsMasterKeyId: 'testKeyId', KmsDataKeyReusePeriodSeconds: '6000' });
    expect(await attributes(url, KMS_ATTRIBUTES)).toEqual({
      KmsMasterKeyId: 'testKeyId',
      KmsDataKeyReusePeriodSeconds: '6000',
      SqsManagedSseEnabled: 'false',
    });

    await setAttributes(url, { KmsMasterKeyId: '', KmsDataKeyReusePeriodSeconds: '300' });
    expect(await attributes(url, KMS_ATTRIBUTES)).toEqual({ SqsManagedSseEnabled: 'false' });

    const managed = await createQueue(cloud, 'sse-sqs');
    await setAttributes(managed, { SqsManagedSseEnabled: 'true' });
    expect(await attributes(managed, KMS_ATTRIBUTES)).toEqual({ SqsManagedSseEnabled: 'true' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  // ("Only one server-side encryption option is supported per queue"): switching SQS-managed SSE
  // on switches KMS off.
  it('drops the KMS key when SQS-managed SSE is switched on', async () => {
    const url = await createQueue(cloud, 'sse-switch');
    await setAttributes(url, { KmsMasterKeyId: 'testKeyId', SqsManagedSseEnabled: 'false' });
    await setAttributes(url, { SqsManagedSseEnabled: 'true' });
    expect(await attributes(url, KMS_ATTRIBUTES)).toEqual({ SqsManagedSseEnabled: 'true' });
  });
});

describe('SQS redrive policy naming the queue itself', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
  // (a dead-letter queue is any queue of the same type that allows the source; nothing excludes
  // the source itself).
  it('accepts a RedrivePolicy whose dead-letter target is the queue itself', async () => {
    const queue = await createQueueWithArn(cloud, 'self-dlq');
    const policy = { deadLetterTargetArn: queue.arn, maxReceiveCount: 3 };
    await setAttributes(queue.url, { RedrivePolicy: JSON.stringify(policy) });
    const { RedrivePolicy } = await attributes(queue.url, ['RedrivePolicy']);
    expect(JSON.parse(RedrivePolicy!)).toEqual(policy);
  });
});

describe('SQS message attribute names', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
  // Recorded on AWS: test_send_message_with_invalid_string_attributes (accepts "attr.1øßä",
  // refuses names with "!", '"', "§", "(" or "?").
  it('accepts letters outside ASCII in a message attribute name and refuses punctuation', async () => {
    const url = await createQueue(cloud, 'unicode-names');
    const valid = { 'attr.1øßä': { DataType: 'String', StringValue: 'Valida' } };
    await cloud.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'test', MessageAttributes: valid }),
    );
    const [message] = await receive(url, { MessageAttributeNames: ['All'], WaitTimeSeconds: 5 });
    expect(message?.MessageAttributes).toEqual(valid);
    for (const char of ['!', '"', '§', '(', '?']) {
      await expect(
        cloud.clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: 'test',
            MessageAttributes: { [`Invalid-${char}-attr`]: { DataType: 'String', StringValue: 'Valid' } },
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    }
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
  // (MessageAttributeNames: "All" or ".*" for every attribute, "bar.*" for a prefix). Recorded on
  // AWS, digests included: test_receive_message_message_attribute_names_filters.
  it('selects message attributes with *, .*, All, names and a prefix.*', async () => {
    const url = await createQueue(cloud, 'attr-filters', { VisibilityTimeout: '0' });
    const sent = await cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'msg',
        MessageAttributes: {
          'Help.Me': { DataType: 'String', StringValue: 'Me' },
          Hello: { DataType: 'String', StringValue: 'There' },
          General: { DataType: 'String', StringValue: 'Kenobi' },
        },
      }),
    );
    expect(sent.MD5OfMessageAttributes).toBe('4c360f3fdafd970e05fae2f149d997f5');
    const select = async (names: string[]) => {
      const [message] = await receive(url, { MessageAttributeNames: names, WaitTimeSeconds: 5 });
      return {
        names: Object.keys(message?.MessageAttributes ?? {}).sort(),
        md5: message?.MD5OfMessageAttributes,
      };
    };
    const everything = { names: ['General', 'Hello', 'Help.Me'], md5: '4c360f3fdafd970e05fae2f149d997f5' };
    expect(await select([])).toEqual({ names: [], md5: undefined });
    expect(await select(['All'])).toEqual(everything);
    expect(await select(['*'])).toEqual(everything);
    expect(await select(['.*'])).toEqual(everything);
    expect(await select(['Foo', 'Help'])).toEqual({ names: [], md5: undefined });
    expect(await select(['Hello', 'General'])).toEqual({
      names: ['General', 'Hello'],
      md5: 'fca026605781cb4126a1e9044df24232',
    });
    expect(await select(['Foo', 'Hello'])).toEqual({
      names: ['Hello'],
      md5: 'a311262e065454b75da111d535b8dacd',
    });
    expect(await select(['Hel.*'])).toEqual({
      names: ['Hello', 'Help.Me'],
      md5: '83fee93c1bcd8b9a5a923ffacdc636c7',
    });
    expect(await select(['AWS.'])).toEqual({ names: [], md5: undefined });
    expect(await select(['..foo'])).toEqual({ names: [], md5: undefined });
  });
});

describe('SQS X-Ray trace header', () => {
  // https://docs.aws.amazon.com/xray/latest/devguide/xray-services-sqs.html ("The default trace
  // header is carried by X-Amzn-Trace-Id and corresponds to all messages included in a SendMessage
  // or SendMessageBatch request"). Recorded on AWS: test_aws_trace_header_propagation.
  it('keeps the X-Amzn-Trace-Id header of a SendMessage as the AWSTraceHeader system attribute', async () => {
    const url = await createQueue(cloud, 'trace-header');
    const traceHeader = 'Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1';
    const command = new SendMessageCommand({
      QueueUrl: url,
      MessageBody: 'test',
      MessageAttributes: { timestamp: { StringValue: '1493147359900', DataType: 'Number' } },
    });
    command.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['X-Amzn-Trace-Id'] = traceHeader;
        return next(args);
      },
      { step: 'build', name: 'xrayTraceHeader' },
    );
    const sent = await cloud.clients.sqs.send(command);
    expect(sent.MD5OfMessageAttributes).toBe('235c5c510d26fb653d073faed50ae77c');
    const [message] = await receive(url, {
      MessageSystemAttributeNames: ['SentTimestamp', 'AWSTraceHeader'],
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 5,
    });
    expect(message?.Attributes?.AWSTraceHeader).toBe(traceHeader);
    expect(Object.keys(message?.Attributes ?? {}).sort()).toEqual(['AWSTraceHeader', 'SentTimestamp']);
    expect(message?.MD5OfMessageAttributes).toBe('235c5c510d26fb653d073faed50ae77c');
  });
});
