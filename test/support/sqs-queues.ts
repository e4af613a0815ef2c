/**
 * Test fixture: create SQS queues through the real SDK. Names carry the test cloud's prefix, so
 * runs against a shared CONFORMANCE_ENDPOINT do not collide.
 */
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { TestCloud } from './local-cloud.js';

/** A created queue: the URL to send to, the ARN that redrive policies and mappings name. */
export interface CreatedQueue {
  readonly url: string;
  readonly arn: string;
}

/**
 * Creates the queue `<prefix>-<name>` (a FIFO queue needs the `.fifo` suffix in `name` and
 * `FifoQueue: 'true'` in `attributes`).
 *
 * @returns the queue URL
 */
export async function createQueue(
  cloud: TestCloud,
  name: string,
  attributes?: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await cloud.clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${cloud.prefix}-${name}`, Attributes: attributes }),
  );
  return QueueUrl!;
}

/** Like {@link createQueue}, and also reads the queue's ARN. */
export async function createQueueWithArn(
  cloud: TestCloud,
  name: string,
  attributes: Record<string, string> = {},
): Promise<CreatedQueue> {
  const url = await createQueue(cloud, name, attributes);
  const { Attributes } = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  return { url, arn: Attributes!.QueueArn! };
}

/**
 * Creates `<name>-dlq`, then `<name>` with a redrive policy that moves a message there after
 * `maxReceiveCount` receives.
 */
export async function createQueueWithDeadLetter(
  cloud: TestCloud,
  name: string,
  maxReceiveCount: number,
  attributes: Record<string, string> = {},
): Promise<{ readonly source: CreatedQueue; readonly dlq: CreatedQueue }> {
  const dlq = await createQueueWithArn(cloud, `${name}-dlq`);
  const source = await createQueueWithArn(cloud, name, {
    ...attributes,
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }),
  });
  return { source, dlq };
}

/** Messages in the queue, visible or in flight: what a drained queue must bring to 0. */
export async function queueDepth(cloud: TestCloud, queueUrl: string): Promise<number> {
  const { Attributes: attributes = {} } = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(attributes.ApproximateNumberOfMessages) + Number(attributes.ApproximateNumberOfMessagesNotVisible)
  );
}
