/**
 * SQS batch actions through the real SDK: request-level limits and per-entry failures.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api-actions.html
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createQueue } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let queueUrl: string;
beforeAll(async () => {
  queueUrl = await createQueue(cloud, 'batch');
});

function sendBatch(entries: SendMessageBatchRequestEntry[], url = queueUrl) {
  return cloud.clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
}

const entries = (count: number, body = 'x') =>
  Array.from({ length: count }, (_, i) => ({ Id: `e${i}`, MessageBody: `${body}${i}` }));

describe('SQS batches', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  it('sends up to 10 messages in one request and reports each id with its digest', async () => {
    const QueueUrl = await createQueue(cloud, 'ten');
    const { Successful = [], Failed = [] } = await sendBatch(entries(10), QueueUrl);
    expect(Successful.map((entry) => entry.Id).sort()).toEqual(
      entries(10)
        .map((entry) => entry.Id)
        .sort(),
    );
    expect(Failed).toHaveLength(0);
    expect(Successful.every((entry) => entry.MessageId && entry.MD5OfMessageBody)).toBe(true);
    const { Attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe('10');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  it('rejects more than 10 entries as TooManyEntriesInBatchRequest', async () => {
    await expect(sendBatch(entries(11))).rejects.toMatchObject({
      name: 'TooManyEntriesInBatchRequest',
      $metadata: { httpStatusCode: 400 },
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  it('rejects an empty batch as EmptyBatchRequest', async () => {
    await expect(sendBatch([])).rejects.toMatchObject({ name: 'EmptyBatchRequest' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  it('rejects repeated entry ids as BatchEntryIdsNotDistinct', async () => {
    await expect(
      sendBatch([
        { Id: 'same', MessageBody: 'a' },
        { Id: 'same', MessageBody: 'b' },
      ]),
    ).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html
  it('rejects entry ids with characters other than alphanumerics, hyphens and underscores', async () => {
    await expect(sendBatch([{ Id: 'bad id!', MessageBody: 'a' }])).rejects.toMatchObject({
      name: 'InvalidBatchEntryId',
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  it('rejects a batch whose bodies together exceed 1 MiB as BatchRequestTooLong', async () => {
    const big = 'x'.repeat(400 * 1024);
    await expect(
      sendBatch([
        { Id: 'a', MessageBody: big },
        { Id: 'b', MessageBody: big },
        { Id: 'c', MessageBody: big },
      ]),
    ).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  it('reports a bad entry in Failed while the other entries are sent', async () => {
    const QueueUrl = await createQueue(cloud, 'partial');
    const { Successful = [], Failed = [] } = await sendBatch(
      [
        { Id: 'good', MessageBody: 'fine' },
        { Id: 'bad', MessageBody: 'fine', DelaySeconds: 901 },
      ],
      QueueUrl,
    );
    expect(Successful.map((entry) => entry.Id)).toEqual(['good']);
    expect(Failed).toEqual([
      expect.objectContaining({ Id: 'bad', SenderFault: true, Code: expect.any(String) }),
    ]);
    expect(Failed[0]?.Message).toBeTruthy();
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html
  it('deletes a batch of received messages and fails only the entry with an invalid handle', async () => {
    const QueueUrl = await createQueue(cloud, 'delbatch');
    await sendBatch(entries(3), QueueUrl);
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(3);
    const { Successful = [], Failed = [] } = await cloud.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          ...Messages.map((message, i) => ({ Id: `m${i}`, ReceiptHandle: message.ReceiptHandle! })),
          { Id: 'junk', ReceiptHandle: 'junk!' },
        ],
      }),
    );
    expect(Successful).toHaveLength(3);
    expect(Failed).toEqual([
      expect.objectContaining({ Id: 'junk', Code: 'ReceiptHandleIsInvalid', SenderFault: true }),
    ]);
    const { Attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html
  it('changes the visibility of a batch of messages', async () => {
    const QueueUrl = await createQueue(cloud, 'cmvbatch');
    await sendBatch(entries(2), QueueUrl);
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    const { Successful = [] } = await cloud.clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl,
        Entries: Messages.map((message, i) => ({
          Id: `m${i}`,
          ReceiptHandle: message.ReceiptHandle!,
          VisibilityTimeout: 0,
        })),
      }),
    );
    expect(Successful).toHaveLength(2);
    const again = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(again.Messages).toHaveLength(2);
  });
});
