/**
 * Bad input never crashes the SQS endpoint: every malformed request gets the AWS error with its
 * name and HTTP 400, and the next good request is served as usual.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createQueue } from '../support/sqs-queues.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let queueUrl: string;
beforeAll(async () => {
  queueUrl = await createQueue(cloud, 'bad');
});

/** Posts a raw AWS JSON 1.0 request, as the SDK would but without its client-side validation. */
async function rawJson(
  operation: string,
  body: string,
): Promise<{ status: number; type: string; query: string }> {
  const response = await fetch(`${cloud.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${operation}`,
      authorization:
        'AWS4-HMAC-SHA256 Credential=oncely/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
    },
    body,
  });
  const parsed = (await response.json()) as { __type?: string };
  return {
    status: response.status,
    type: (parsed.__type ?? '').split('#').at(-1) ?? '',
    query: response.headers.get('x-amzn-query-error') ?? '',
  };
}

async function stillServes(): Promise<void> {
  const sent = await cloud.clients.sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'alive' }),
  );
  expect(sent.MessageId).toBeTruthy();
}

const cases: Array<[string, string, string, string]> = [
  ['malformed JSON', 'SendMessage', '{"QueueUrl":', 'SerializationException'],
  ['a body that is not an object', 'SendMessage', '[1,2]', 'SerializationException'],
  ['a missing QueueUrl', 'SendMessage', '{"MessageBody":"x"}', 'MissingRequiredParameterException'],
  [
    'a number where a string belongs',
    'SendMessage',
    '{"QueueUrl":"QURL","MessageBody":42}',
    'InvalidParameterValueException',
  ],
  [
    'a string where a number belongs',
    'ReceiveMessage',
    '{"QueueUrl":"QURL","MaxNumberOfMessages":"many"}',
    'InvalidParameterValueException',
  ],
  [
    'a fractional wait time',
    'ReceiveMessage',
    '{"QueueUrl":"QURL","WaitTimeSeconds":1.5}',
    'InvalidParameterValueException',
  ],
  [
    'a wait time above 20 seconds',
    'ReceiveMessage',
    '{"QueueUrl":"QURL","WaitTimeSeconds":21}',
    'InvalidParameterValueException',
  ],
  [
    'an unknown queue',
    'SendMessage',
    '{"QueueUrl":"http://h/000000000000/nope-nope","MessageBody":"x"}',
    'QueueDoesNotExist',
  ],
  [
    'Entries that are not a list',
    'SendMessageBatch',
    '{"QueueUrl":"QURL","Entries":"x"}',
    'InvalidParameterValueException',
  ],
  [
    'Attributes that are not a map',
    'CreateQueue',
    '{"QueueName":"q-bad-attrs","Attributes":[1]}',
    'InvalidParameterValueException',
  ],
  [
    'an attribute without a data type',
    'SendMessage',
    '{"QueueUrl":"QURL","MessageBody":"x","MessageAttributes":{"a":{"StringValue":"v"}}}',
    'InvalidParameterValueException',
  ],
  [
    'a Number attribute that is not a number',
    'SendMessage',
    '{"QueueUrl":"QURL","MessageBody":"x","MessageAttributes":{"a":{"DataType":"Number","StringValue":"abc"}}}',
    'InvalidParameterValueException',
  ],
  [
    'a reserved attribute name',
    'SendMessage',
    '{"QueueUrl":"QURL","MessageBody":"x","MessageAttributes":{"AWS.x":{"DataType":"String","StringValue":"v"}}}',
    'InvalidParameterValueException',
  ],
  [
    'an oversize message',
    'SendMessage',
    `{"QueueUrl":"QURL","MessageBody":"${'x'.repeat(1048577)}"}`,
    'InvalidParameterValueException',
  ],
  [
    'a lone surrogate in the body',
    'SendMessage',
    '{"QueueUrl":"QURL","MessageBody":"\\ud800"}',
    'InvalidMessageContents',
  ],
  ['an unknown operation', 'FlyToTheMoon', '{}', 'UnknownOperationException'],
];

describe('SQS bad input', () => {
  for (const [what, operation, body, expected] of cases) {
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
    // The JSON __type of InvalidParameterValue and MissingParameter is AWS's
    // (sqs-json-api-responses.html; see sqs-aws-wire.test.ts).
    it(`answers ${what} with ${expected} and HTTP 400, then keeps serving`, async () => {
      const result = await rawJson(operation, body.replaceAll('QURL', queueUrl));
      expect(result.status).toBe(400);
      expect(result.type).toBe(expected);
      await stillServes();
    });
  }

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
  it('sends the legacy query error code in x-amzn-query-error for SDK compatibility', async () => {
    const result = await rawJson('SendMessage', `{"QueueUrl":"${queueUrl}-missing","MessageBody":"x"}`);
    expect(result.query).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    await stillServes();
  });
});
