/**
 * SQS dead-letter queues and redrive through the real SDK: RedrivePolicy, RedriveAllowPolicy,
 * ListDeadLetterSourceQueues and the message move tasks.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createQueueWithArn, createQueueWithDeadLetter } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';
import { waitFor } from '../support/wait.js';

const cloud = useTestCloud();

async function receive(queueUrl: string, extra: Record<string, unknown> = {}): Promise<Message[]> {
  const { Messages } = await cloud.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0, MaxNumberOfMessages: 10, ...extra }),
  );
  return Messages ?? [];
}

async function failOnce(queueUrl: string): Promise<void> {
  // Receiving with a zero visibility timeout is a failed attempt that returns the message at once.
  await receive(queueUrl, { VisibilityTimeout: 0 });
}

async function waitForTask(sourceArn: string): Promise<ListMessageMoveTasksResultEntry> {
  let task: ListMessageMoveTasksResultEntry | undefined;
  await waitFor(`the message move task from ${sourceArn} to finish`, 60_000, async () => {
    const { Results = [] } = await cloud.clients.sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: sourceArn }),
    );
    task = Results[0];
    return task !== undefined && task.Status !== 'RUNNING';
  });
  return task!;
}

describe('SQS dead-letter queues', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
  it('moves a message to the DLQ instead of delivering it beyond maxReceiveCount', async () => {
    const { dlq, source } = await createQueueWithDeadLetter(cloud, 'redrive', 2);
    await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'poison' }));
    await failOnce(source.url);
    await failOnce(source.url);
    expect(await receive(source.url)).toHaveLength(0);
    const [dead] = await receive(dlq.url, { MessageSystemAttributeNames: ['All'] });
    expect(dead?.Body).toBe('poison');
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(source.arn);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListDeadLetterSourceQueues.html
  it('lists the source queues of a dead-letter queue', async () => {
    const { dlq, source } = await createQueueWithDeadLetter(cloud, 'sources', 1);
    const { queueUrls } = await cloud.clients.sqs.send(
      new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.url }),
    );
    expect(queueUrls).toEqual([source.url]);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
  it('requires the dead-letter queue to exist and be of the same type as the source', async () => {
    const fifoDlq = await createQueueWithArn(cloud, 'typed-dlq.fifo', { FifoQueue: 'true' });
    await expect(
      createQueueWithArn(cloud, 'typed', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: fifoDlq.arn, maxReceiveCount: 3 }),
      }),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    await expect(
      createQueueWithArn(cloud, 'orphan', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `${fifoDlq.arn}-missing`, maxReceiveCount: 3 }),
      }),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
  it('enforces the RedriveAllowPolicy of the dead-letter queue', async () => {
    const allowed = await createQueueWithArn(cloud, 'allowed');
    const dlq = await createQueueWithArn(cloud, 'guarded-dlq', {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [allowed.arn] }),
    });
    const policy = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 });
    await cloud.clients.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: allowed.url, Attributes: { RedrivePolicy: policy } }),
    );
    const other = await createQueueWithArn(cloud, 'not-allowed');
    await expect(
      cloud.clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: other.url, Attributes: { RedrivePolicy: policy } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const closed = await createQueueWithArn(cloud, 'closed-dlq', {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }),
    });
    await expect(
      cloud.clients.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: other.url,
          Attributes: {
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: closed.arn, maxReceiveCount: 3 }),
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
  it('moves dead letters back to their source queue and reports the task as completed', async () => {
    const { dlq, source } = await createQueueWithDeadLetter(cloud, 'moveback', 1);
    for (const body of ['a', 'b', 'c']) {
      await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: body }));
    }
    await failOnce(source.url);
    expect(await receive(source.url)).toHaveLength(0);
    const { TaskHandle } = await cloud.clients.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }),
    );
    expect(TaskHandle).toBeTruthy();
    const task = await waitForTask(dlq.arn);
    expect(task).toMatchObject({
      Status: 'COMPLETED',
      SourceArn: dlq.arn,
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
    });
    const back = await receive(source.url);
    expect(back.map((message) => message.Body).sort()).toEqual(['a', 'b', 'c']);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
  it('moves dead letters to an explicit destination at a limited rate', async () => {
    const { dlq, source } = await createQueueWithDeadLetter(cloud, 'movedest', 1);
    const destination = await createQueueWithArn(cloud, 'movedest-target');
    await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'x' }));
    await failOnce(source.url);
    await receive(source.url);
    await cloud.clients.sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlq.arn,
        DestinationArn: destination.arn,
        MaxNumberOfMessagesPerSecond: 50,
      }),
    );
    const task = await waitForTask(dlq.arn);
    expect(task).toMatchObject({
      Status: 'COMPLETED',
      DestinationArn: destination.arn,
      MaxNumberOfMessagesPerSecond: 50,
    });
    expect(await receive(destination.url)).toHaveLength(1);
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CancelMessageMoveTask.html
  it('cancels a running move task and allows only one active task per source', async () => {
    const { dlq, source } = await createQueueWithDeadLetter(cloud, 'cancel', 1);
    for (let i = 0; i < 20; i++) {
      await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: `m${i}` }));
    }
    while ((await receive(source.url, { VisibilityTimeout: 0 })).length > 0) {
      // Each receive pushes the batch it sees over maxReceiveCount on the next pass.
    }
    const { TaskHandle } = await cloud.clients.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, MaxNumberOfMessagesPerSecond: 1 }),
    );
    await expect(
      cloud.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    const { ApproximateNumberOfMessagesMoved } = await cloud.clients.sqs.send(
      new CancelMessageMoveTaskCommand({ TaskHandle }),
    );
    expect(ApproximateNumberOfMessagesMoved).toBeLessThan(20);
    const { Results = [] } = await cloud.clients.sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: dlq.arn }),
    );
    expect(Results[0]?.Status).toBe('CANCELLED');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
  it('refuses a move task from a queue that is not a dead-letter queue', async () => {
    const plain = await createQueueWithArn(cloud, 'plain');
    await expect(
      cloud.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: plain.arn })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    // Not a task handle at all (base64 of "no-such-task"): AWS answers InvalidParameterValue.
    await expect(
      cloud.clients.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'bm8tc3VjaC10YXNr' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
  it('moves a FIFO message to a FIFO dead-letter queue and then delivers the rest of its group', async () => {
    const dlq = await createQueueWithArn(cloud, 'fifo-dlq.fifo', { FifoQueue: 'true' });
    const source = await createQueueWithArn(cloud, 'fifo-src.fifo', {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    for (const body of ['poison', 'next']) {
      await cloud.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: source.url, MessageBody: body, MessageGroupId: 'g' }),
      );
    }
    const [first] = await receive(source.url, { MaxNumberOfMessages: 1, VisibilityTimeout: 0 });
    expect(first?.Body).toBe('poison');
    const rest = await receive(source.url);
    expect(rest.map((message) => message.Body)).toEqual(['next']);
    const [dead] = await receive(dlq.url, { MessageSystemAttributeNames: ['All'] });
    expect(dead?.Body).toBe('poison');
    expect(dead?.Attributes).toMatchObject({ MessageGroupId: 'g', DeadLetterQueueSourceArn: source.arn });
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  it('treats a re-create with the same RedrivePolicy written differently as identical', async () => {
    const dlq = await createQueueWithArn(cloud, 'same-policy-dlq');
    const asNumber = JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 4 });
    const asString = JSON.stringify({ maxReceiveCount: '4', deadLetterTargetArn: dlq.arn });
    const first = await createQueueWithArn(cloud, 'same-policy', { RedrivePolicy: asNumber });
    const again = await createQueueWithArn(cloud, 'same-policy', { RedrivePolicy: asString });
    expect(again.url).toBe(first.url);
    const { Attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: first.url, AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: 4,
    });
  });
});
