import { describe, expect, it } from 'vitest';
import { HttpRequestMeter, requestsOf } from '../../examples/points/src/bench/http-request-meter.js';
import type { ServiceRequest, ServiceResponse } from '../../packages/local-cloud/src/protocol.js';

function request(operation: string, input: Record<string, unknown>, bytes?: number): ServiceRequest {
  const body = JSON.stringify(input);
  return {
    operation,
    protocol: 'json',
    input,
    rawBody: Buffer.from(bytes === undefined ? body : 'x'.repeat(bytes)),
    method: 'POST',
    url: '/',
    headers: {},
    host: '127.0.0.1',
    region: 'us-east-1',
    accountId: '000000000000',
    requestId: 'r',
  };
}

function ok(body: unknown): ServiceResponse {
  return { status: 200, headers: {}, body: JSON.stringify(body) };
}

function error(type: string): ServiceResponse {
  return {
    status: 400,
    headers: {},
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}` }),
  };
}

describe('HTTP request meter', () => {
  it('counts nothing outside its window', () => {
    const meter = new HttpRequestMeter();
    meter.after(request('SendMessageBatch', {}), 'sqs', ok({}));
    expect(meter.usage().requests).toEqual({});
  });

  it('counts requests per service and operation and SQS 64 KB chunks', () => {
    const meter = new HttpRequestMeter();
    meter.start();
    meter.after(request('SendMessageBatch', {}, 1000), 'sqs', ok({}));
    meter.after(request('SendMessage', {}, 100 * 1024), 'sqs', ok({}));
    meter.after(request('ReceiveMessage', {}), 'sqs', ok({}));
    const usage = meter.usage();
    expect(usage.requests).toEqual({
      'sqs:ReceiveMessage': 1,
      'sqs:SendMessage': 1,
      'sqs:SendMessageBatch': 1,
    });
    expect(usage.sqsBillableRequests).toBe(4);
    expect(requestsOf(usage, 'sqs')).toBe(3);
  });

  it('asks DynamoDB for consumed capacity and adds up what it reports', () => {
    const meter = new HttpRequestMeter();
    meter.start();
    const put = request('PutItem', { TableName: 't' });
    meter.before(put, 'dynamodb');
    expect((put.input as Record<string, unknown>).ReturnConsumedCapacity).toBe('TOTAL');
    meter.after(
      put,
      'dynamodb',
      ok({ ConsumedCapacity: { TableName: 't', CapacityUnits: 1, WriteCapacityUnits: 1 } }),
    );
    meter.after(
      request('TransactWriteItems', {}),
      'dynamodb',
      ok({
        ConsumedCapacity: [
          { TableName: 'a', CapacityUnits: 4, WriteCapacityUnits: 4 },
          { TableName: 'b', CapacityUnits: 2, WriteCapacityUnits: 2 },
        ],
      }),
    );
    meter.after(
      request('GetItem', {}),
      'dynamodb',
      ok({ ConsumedCapacity: { TableName: 't', CapacityUnits: 0.5 } }),
    );
    expect(meter.usage()).toMatchObject({ dynamodbWriteUnits: 7, dynamodbReadUnits: 0.5 });
  });

  it('charges failed conditional writes and cancelled transactions, which report no capacity', () => {
    const meter = new HttpRequestMeter();
    meter.start();
    meter.after(request('PutItem', {}), 'dynamodb', error('ConditionalCheckFailedException'));
    meter.after(
      request('TransactWriteItems', { TransactItems: [{}, {}, {}] }),
      'dynamodb',
      error('TransactionCanceledException'),
    );
    expect(meter.usage().dynamodbWriteUnits).toBe(1 + 6);
  });

  it('leaves out requests the filter rejects', () => {
    const meter = new HttpRequestMeter((_service, req) => req.operation !== 'GetQueueAttributes');
    meter.start();
    meter.after(request('GetQueueAttributes', {}), 'sqs', ok({}));
    meter.stop();
    meter.after(request('ReceiveMessage', {}), 'sqs', ok({}));
    expect(meter.usage().requests).toEqual({});
  });
});
