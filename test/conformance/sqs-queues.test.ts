/**
 * SQS queue management through the real SDK: create, look up, list, attributes, tags, purge, delete.
 * Runs against the embedded local cloud, or against CONFORMANCE_ENDPOINT (LocalStack, AWS).
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createQueue } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();

async function attributes(queueUrl: string, names: string[] = ['All']): Promise<Record<string, string>> {
  const { Attributes } = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names as never }),
  );
  return Attributes ?? {};
}

describe('SQS queues', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  it('returns a queue URL ending in the account id and queue name', async () => {
    const url = await createQueue(cloud, 'url');
    expect(url).toMatch(new RegExp(`/\\d{12}/${cloud.prefix}-url$`));
    const { QueueUrl } = await cloud.clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: `${cloud.prefix}-url` }),
    );
    expect(QueueUrl).toBe(url);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  it('returns the existing URL when a queue is created again with the same attributes', async () => {
    const first = await createQueue(cloud, 'same', { VisibilityTimeout: '45' });
    expect(await createQueue(cloud, 'same', { VisibilityTimeout: '45' })).toBe(first);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  it('rejects re-creating a queue with different attributes as QueueNameExists', async () => {
    await createQueue(cloud, 'differs', { VisibilityTimeout: '45' });
    await expect(createQueue(cloud, 'differs', { VisibilityTimeout: '46' })).rejects.toMatchObject({
      name: 'QueueNameExists',
      $metadata: { httpStatusCode: 400 },
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html
  it('rejects queue names with invalid characters or longer than 80 characters', async () => {
    for (const name of ['bad name', 'bad!', 'x'.repeat(81), `${'x'.repeat(76)}.fifo`]) {
      await expect(cloud.clients.sqs.send(new CreateQueueCommand({ QueueName: name }))).rejects.toMatchObject(
        { name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } },
      );
    }
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html
  it('accepts queue names of exactly 80 characters, .fifo suffix included', async () => {
    const standard = `${cloud.prefix}-${'s'.repeat(80 - cloud.prefix.length - 1)}`;
    const fifo = `${cloud.prefix}-${'f'.repeat(75 - cloud.prefix.length - 1)}.fifo`;
    await cloud.clients.sqs.send(new CreateQueueCommand({ QueueName: standard }));
    await cloud.clients.sqs.send(
      new CreateQueueCommand({ QueueName: fifo, Attributes: { FifoQueue: 'true' } }),
    );
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fifo-queues.html
  it('requires the .fifo suffix and FifoQueue=true together', async () => {
    await expect(createQueue(cloud, 'nosuffix', { FifoQueue: 'true' })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(createQueue(cloud, 'suffix.fifo')).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const url = await createQueue(cloud, 'ok.fifo', { FifoQueue: 'true' });
    expect(await attributes(url, ['FifoQueue', 'ContentBasedDeduplication'])).toEqual({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
  it('reports the documented default attributes, the ARN and the approximate counts', async () => {
    const url = await createQueue(cloud, 'defaults');
    const all = await attributes(url);
    expect(all).toMatchObject({
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '0',
      VisibilityTimeout: '30',
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    expect(all.QueueArn).toMatch(new RegExp(`^arn:aws:sqs:[a-z0-9-]+:\\d{12}:${cloud.prefix}-defaults$`));
    expect(Number(all.CreatedTimestamp)).toBeGreaterThan(1_600_000_000);
    expect(all.LastModifiedTimestamp).toBeDefined();
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
  it('returns only the attributes asked for by name', async () => {
    const url = await createQueue(cloud, 'named');
    expect(Object.keys(await attributes(url, ['VisibilityTimeout', 'QueueArn'])).sort()).toEqual([
      'QueueArn',
      'VisibilityTimeout',
    ]);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  it('changes attributes with SetQueueAttributes', async () => {
    const url = await createQueue(cloud, 'set');
    await cloud.clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: {
          VisibilityTimeout: '120',
          DelaySeconds: '5',
          Policy: '{"Version":"2012-10-17","Statement":[]}',
        },
      }),
    );
    expect(await attributes(url, ['VisibilityTimeout', 'DelaySeconds', 'Policy'])).toEqual({
      VisibilityTimeout: '120',
      DelaySeconds: '5',
      Policy: '{"Version":"2012-10-17","Statement":[]}',
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  it('rejects out-of-range values and unknown attribute names', async () => {
    const url = await createQueue(cloud, 'badattrs');
    await expect(
      cloud.clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '43201' } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidAttributeValue', $metadata: { httpStatusCode: 400 } });
    await expect(
      cloud.clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Colour: 'blue' } as never }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidAttributeName' });
    await expect(
      cloud.clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ContentBasedDeduplication: 'true' } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidAttributeName' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
  it('lists queues by prefix and pages with MaxResults and NextToken', async () => {
    for (const n of [1, 2, 3]) await createQueue(cloud, `list-${n}`);
    const prefix = `${cloud.prefix}-list-`;
    const all = await cloud.clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    expect(all.QueueUrls).toHaveLength(3);
    expect(all.NextToken).toBeUndefined();
    const first = await cloud.clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }),
    );
    expect(first.QueueUrls).toHaveLength(2);
    expect(first.NextToken).toBeDefined();
    const second = await cloud.clients.sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.QueueUrls).toHaveLength(1);
    expect(new Set([...first.QueueUrls!, ...second.QueueUrls!]).size).toBe(3);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-tags.html
  it('tags, lists and untags a queue, including tags given at creation', async () => {
    const { QueueUrl } = await cloud.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${cloud.prefix}-tags`, tags: { team: 'core' } }),
    );
    await cloud.clients.sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: 'test', tier: 'gold' } }));
    await cloud.clients.sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ['tier'] }));
    const { Tags } = await cloud.clients.sqs.send(new ListQueueTagsCommand({ QueueUrl }));
    expect(Tags).toEqual({ team: 'core', env: 'test' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html
  it('purges every message and refuses a second purge within 60 seconds', async () => {
    const url = await createQueue(cloud, 'purge');
    for (let i = 0; i < 3; i++) {
      await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    }
    await cloud.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect((await attributes(url, ['ApproximateNumberOfMessages'])).ApproximateNumberOfMessages).toBe('0');
    await expect(cloud.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: url }))).rejects.toMatchObject({
      name: 'PurgeQueueInProgress',
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html
  it('deletes a queue, after which it does not exist and its name cannot be reused for 60 seconds', async () => {
    const url = await createQueue(cloud, 'delete');
    await cloud.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await expect(
      cloud.clients.sqs.send(new GetQueueUrlCommand({ QueueName: `${cloud.prefix}-delete` })),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist', $metadata: { httpStatusCode: 400 } });
    await expect(createQueue(cloud, 'delete')).rejects.toMatchObject({ name: 'QueueDeletedRecently' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html
  it('reports an unknown queue as QueueDoesNotExist with the legacy query error code', async () => {
    const error = await cloud.clients.sqs
      .send(new GetQueueUrlCommand({ QueueName: `${cloud.prefix}-missing` }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error).toMatchObject({
      name: 'QueueDoesNotExist',
      Code: 'AWS.SimpleQueueService.NonExistentQueue',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
