/**
 * The legacy SQS query protocol, spoken with plain fetch(): form-encoded `Action=` requests with
 * flattened parameters, XML responses and XML errors.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-xml.html
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();

async function query(params: Record<string, string>, path = '/'): Promise<{ status: number; xml: string }> {
  const response = await fetch(`${cloud.endpoint}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization:
        'AWS4-HMAC-SHA256 Credential=oncely/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
  });
  return { status: response.status, xml: await response.text() };
}

/** Text of every `<tag>` element, unescaped; enough XML for these flat documents. */
function all(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) =>
    match[1]!
      .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&'),
  );
}

const first = (xml: string, tag: string) => all(xml, tag)[0];

describe('SQS query protocol', () => {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  it('creates a queue with flattened attributes and answers in XML', async () => {
    const { status, xml } = await query({
      Action: 'CreateQueue',
      QueueName: `${cloud.prefix}-xml`,
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '40',
      'Tag.1.Key': 'team',
      'Tag.1.Value': 'core',
    });
    expect(status).toBe(200);
    expect(xml).toMatch(/^<\?xml[^>]*\?><CreateQueueResponse[^>]*><CreateQueueResult><QueueUrl>/);
    expect(first(xml, 'QueueUrl')).toMatch(new RegExp(`/\\d{12}/${cloud.prefix}-xml$`));
    expect(first(xml, 'RequestId')).toBeTruthy();
    const attributes = await query({
      Action: 'GetQueueAttributes',
      QueueUrl: first(xml, 'QueueUrl')!,
      'AttributeName.1': 'VisibilityTimeout',
    });
    expect(attributes.xml).toContain(
      '<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>',
    );
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
  it('sends, receives and deletes a message with attributes over the query protocol', async () => {
    const created = await query({ Action: 'CreateQueue', QueueName: `${cloud.prefix}-xmlmsg` });
    const queueUrl = first(created.xml, 'QueueUrl')!;
    const body = 'hello <xml> & "quotes"\r\n';
    const sent = await query({
      Action: 'SendMessage',
      QueueUrl: queueUrl,
      MessageBody: body,
      'MessageAttribute.1.Name': 'SellerName',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'Example Store',
    });
    expect(sent.status).toBe(200);
    expect(first(sent.xml, 'MD5OfMessageBody')).toBe(createHash('md5').update(body).digest('hex'));
    expect(first(sent.xml, 'MD5OfMessageAttributes')).toBe('cd28f3b68aeee4b2eac9c66f2f694b58');
    const messageId = first(sent.xml, 'MessageId');

    const received = await query({
      Action: 'ReceiveMessage',
      QueueUrl: queueUrl,
      'AttributeName.1': 'All',
      'MessageAttributeName.1': 'All',
      MaxNumberOfMessages: '5',
    });
    expect(received.status).toBe(200);
    expect(first(received.xml, 'MessageId')).toBe(messageId);
    expect(first(received.xml, 'Body')).toBe(body);
    expect(received.xml).toContain(
      '<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>',
    );
    expect(received.xml).toContain(
      '<MessageAttribute><Name>SellerName</Name><Value><DataType>String</DataType><StringValue>Example Store</StringValue></Value></MessageAttribute>',
    );
    const deleted = await query({
      Action: 'DeleteMessage',
      QueueUrl: queueUrl,
      ReceiptHandle: first(received.xml, 'ReceiptHandle')!,
    });
    expect(deleted.status).toBe(200);
    expect(deleted.xml).toContain('<DeleteMessageResponse');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
  it('accepts flattened batch entries and lists results per entry', async () => {
    const created = await query({ Action: 'CreateQueue', QueueName: `${cloud.prefix}-xmlbatch` });
    const { xml } = await query({
      Action: 'SendMessageBatch',
      QueueUrl: first(created.xml, 'QueueUrl')!,
      'SendMessageBatchRequestEntry.1.Id': 'one',
      'SendMessageBatchRequestEntry.1.MessageBody': 'first',
      'SendMessageBatchRequestEntry.2.Id': 'two',
      'SendMessageBatchRequestEntry.2.MessageBody': 'second',
      'SendMessageBatchRequestEntry.2.DelaySeconds': '901',
    });
    expect(all(xml, 'SendMessageBatchResultEntry')).toHaveLength(1);
    expect(all(xml, 'BatchResultErrorEntry')).toHaveLength(1);
    expect(first(xml, 'SenderFault')).toBe('true');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-responses.html
  it('answers an unknown queue with an XML ErrorResponse carrying the legacy code', async () => {
    const { status, xml } = await query({
      Action: 'GetQueueUrl',
      QueueName: `${cloud.prefix}-nowhere`,
    });
    expect(status).toBe(400);
    expect(xml).toContain('<ErrorResponse');
    expect(first(xml, 'Type')).toBe('Sender');
    expect(first(xml, 'Code')).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(first(xml, 'Message')).toBeTruthy();
    expect(first(xml, 'RequestId')).toBeTruthy();
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-xml.html
  it('addresses a queue by posting to its URL path', async () => {
    const created = await query({ Action: 'CreateQueue', QueueName: `${cloud.prefix}-bypath` });
    const path = new URL(first(created.xml, 'QueueUrl')!).pathname;
    const sent = await query({ Action: 'SendMessage', MessageBody: 'via path' }, path);
    expect(sent.status).toBe(200);
    const received = await query({ Action: 'ReceiveMessage' }, path);
    expect(first(received.xml, 'Body')).toBe('via path');
  });

  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-xml.html
  it('answers malformed flattened parameters with an XML error and keeps serving', async () => {
    const created = await query({ Action: 'CreateQueue', QueueName: `${cloud.prefix}-xmlbad` });
    const queueUrl = first(created.xml, 'QueueUrl')!;
    const bad: Array<Record<string, string>> = [
      { Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'x', 'MessageAttribute.1.Value': 'flat' },
      { Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'x', 'MessageAttribute.1.Name': 'a' },
      { Action: 'SetQueueAttributes', QueueUrl: queueUrl, 'Attribute.1.Name': 'VisibilityTimeout' },
      { Action: 'SendMessageBatch', QueueUrl: queueUrl, SendMessageBatchRequestEntry: 'flat' },
      { Action: 'ReceiveMessage', QueueUrl: queueUrl, MaxNumberOfMessages: 'lots' },
      { Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'x', '__proto__.polluted': 'yes' },
    ];
    for (const params of bad) {
      const { status, xml } = await query(params);
      if (status !== 200) {
        expect(status).toBe(400);
        expect(xml).toContain('<ErrorResponse');
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const alive = await query({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: 'alive' });
      expect(alive.status).toBe(200);
    }
  });
});
