/**
 * The local cloud cannot be driven by a web page: browser cross-origin requests, DNS-rebound host
 * names and bodies of the content types a browser sends without a preflight are refused for every
 * service, before anything is parsed or changed (docs/local-cloud-security.md). Loopback only.
 */
import { existsSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, ListRulesCommand, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  InvokeCommand,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpGuard } from '../../packages/local-cloud/src/http-guard.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/server.js';
import {
  type AwsClients,
  createAwsClients,
  LOCAL_CREDENTIALS,
} from '../../packages/runtime/src/adapters/aws-clients.js';
import { storedZip } from '../support/stored-zip.js';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly text: string;
}

interface RawRequest {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** One HTTP request with exactly these headers (Host included), as a browser or a tool sends it. */
function send(cloud: { readonly port: number }, options: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body ?? '';
    const req = request(
      {
        host: '127.0.0.1',
        port: cloud.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        headers: {
          host: `127.0.0.1:${cloud.port}`,
          ...(body.length ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const buffer = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buffer,
            text: buffer.toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const EVIL_ORIGIN = 'http://evil.example';
/** What a page of another site sends with `fetch(url, { mode: 'no-cors', method: 'POST', body })`. */
const SIMPLE_CONTENT_TYPES = [
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
];

/** A deployment package whose handler writes `event.path`: running it is running code as the local user. */
const WRITER_ZIP = storedZip({
  'index.mjs':
    "import { writeFileSync } from 'node:fs';\n" +
    "export const handler = async (event) => { writeFileSync(event.path, 'written by a web page'); return 'done'; };",
});

function createFunctionBody(name: string): string {
  return JSON.stringify({
    FunctionName: name,
    Runtime: 'nodejs22.x',
    Role: 'arn:aws:iam::000000000000:role/any',
    Handler: 'index.handler',
    Code: { ZipFile: WRITER_ZIP.toString('base64') },
  });
}

let cloud: LocalCloud;
let lambda: LambdaService;
let clients: AwsClients;
let sns: SNSClient;
let events: EventBridgeClient;
const written: string[] = [];
let counter = 0;
/** A path nothing has written yet (removed after the tests). */
function freshPath(): string {
  const path = join(tmpdir(), `oncely-http-guard-${process.pid}-${counter++}`);
  written.push(path);
  return path;
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  lambda = cloud.services.lambda as LambdaService;
  const config = { region: 'us-east-1', endpoint: cloud.endpoint, credentials: LOCAL_CREDENTIALS };
  clients = createAwsClients(config);
  sns = new SNSClient(config);
  events = new EventBridgeClient(config);
});

afterAll(async () => {
  clients.destroy();
  sns.destroy();
  events.destroy();
  await cloud.stop();
  for (const path of written) rmSync(path, { force: true });
});

describe('the attack of issue 12: a web page creates and runs a Lambda function', () => {
  it('refuses a cross-origin text/plain CreateFunction + Invoke, so no function exists and no file is written', async () => {
    const path = freshPath();
    // text/plain is a CORS-safelisted content type: a browser sends this without a preflight.
    const browser = {
      origin: EVIL_ORIGIN,
      'content-type': 'text/plain;charset=UTF-8',
      'sec-fetch-site': 'cross-site',
    };
    const created = await send(cloud, {
      path: '/2015-03-31/functions',
      headers: browser,
      body: createFunctionBody('webpage'),
    });
    const invoked = await send(cloud, {
      path: '/2015-03-31/functions/webpage/invocations',
      headers: browser,
      body: JSON.stringify({ path }),
    });
    expect(created.status).toBe(403);
    expect(invoked.status).toBe(403);
    expect(lambda.getFunction('webpage')).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses the same through DNS rebinding: a foreign Host with the SDK content types', async () => {
    const path = freshPath();
    // After rebinding, the page is same-origin with the server: no Origin, any content type.
    const rebound = { host: `evil.example:${cloud.port}` };
    const created = await send(cloud, {
      path: '/2015-03-31/functions',
      headers: { ...rebound, 'content-type': 'application/json' },
      body: createFunctionBody('rebound'),
    });
    const invoked = await send(cloud, {
      path: '/2015-03-31/functions/rebound/invocations',
      headers: { ...rebound, 'content-type': 'application/octet-stream' },
      body: JSON.stringify({ path }),
    });
    expect([created.status, invoked.status]).toEqual([403, 403]);
    expect(lambda.getFunction('rebound')).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a text/plain CreateFunction even without Origin (415 UnsupportedMediaTypeException)', async () => {
    const created = await send(cloud, {
      path: '/2015-03-31/functions',
      headers: { 'content-type': 'text/plain' },
      body: createFunctionBody('plain'),
    });
    expect(created.status).toBe(415);
    expect(created.headers['x-amzn-errortype']).toBe('UnsupportedMediaTypeException');
    expect(lambda.getFunction('plain')).toBeUndefined();
  });
});

/** One mutating request per service, and how to see whether it took effect. */
interface ServiceCase {
  readonly service: string;
  /** The request as the service's SDK sends it (its content type), creating `name`. */
  request(name: string): RawRequest & { readonly contentType: string };
  /** Whether `name` exists. */
  exists(name: string): Promise<boolean>;
  /** What the content-type rule answers a text/plain body with (status, error code). */
  readonly wrongTypeAnswer: readonly [number, string];
}

const json10 = 'application/x-amz-json-1.0';
const form = 'application/x-www-form-urlencoded';

const SERVICES: readonly ServiceCase[] = [
  {
    service: 'SQS (JSON 1.0)',
    request: (name) => ({
      contentType: json10,
      headers: { 'x-amz-target': 'AmazonSQS.CreateQueue' },
      body: JSON.stringify({ QueueName: name }),
    }),
    exists: async (name) =>
      ((await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: name }))).QueueUrls ?? []).some(
        (url) => url.endsWith(`/${name}`),
      ),
    wrongTypeAnswer: [404, 'UnknownOperationException'],
  },
  {
    service: 'SQS (query)',
    request: (name) => ({ contentType: form, body: `Action=CreateQueue&QueueName=${name}` }),
    exists: async (name) =>
      ((await clients.sqs.send(new ListQueuesCommand({ QueueNamePrefix: name }))).QueueUrls ?? []).some(
        (url) => url.endsWith(`/${name}`),
      ),
    wrongTypeAnswer: [400, 'MissingAction'],
  },
  {
    service: 'DynamoDB',
    request: (name) => ({
      contentType: json10,
      headers: { 'x-amz-target': 'DynamoDB_20120810.CreateTable' },
      body: JSON.stringify({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    }),
    exists: async (name) =>
      ((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).includes(name),
    wrongTypeAnswer: [404, 'UnknownOperationException'],
  },
  {
    service: 'Lambda (REST-JSON)',
    request: (name) => ({
      contentType: 'application/json',
      path: '/2015-03-31/functions',
      body: createFunctionBody(name),
    }),
    exists: async (name) => lambda.getFunction(name) !== undefined,
    wrongTypeAnswer: [415, 'UnsupportedMediaTypeException'],
  },
  {
    service: 'CloudWatch (JSON 1.0)',
    request: (name) => ({
      contentType: json10,
      headers: { 'x-amz-target': 'GraniteServiceVersion20100801.PutMetricData' },
      body: JSON.stringify({ Namespace: name, MetricData: [{ MetricName: 'Clicks', Value: 1 }] }),
    }),
    exists: async (name) =>
      ((await clients.cloudwatch.send(new ListMetricsCommand({ Namespace: name }))).Metrics ?? []).length > 0,
    wrongTypeAnswer: [404, 'UnknownOperationException'],
  },
  {
    service: 'EventBridge (JSON 1.1)',
    request: (name) => ({
      contentType: 'application/x-amz-json-1.1',
      headers: { 'x-amz-target': 'AWSEvents.PutRule' },
      body: JSON.stringify({ Name: name, ScheduleExpression: 'rate(1 hour)' }),
    }),
    exists: async (name) =>
      ((await events.send(new ListRulesCommand({ NamePrefix: name }))).Rules ?? []).some(
        (rule) => rule.Name === name,
      ),
    wrongTypeAnswer: [404, 'UnknownOperationException'],
  },
  {
    service: 'SNS (query)',
    request: (name) => ({ contentType: form, body: `Action=CreateTopic&Name=${name}&Version=2010-03-31` }),
    exists: async (name) =>
      ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).some((topic) =>
        topic.TopicArn?.endsWith(`:${name}`),
      ),
    wrongTypeAnswer: [400, 'MissingAction'],
  },
];

/** Sends a case's request with its headers replaced or added. */
function sendCase(
  testCase: ServiceCase,
  name: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  const { contentType, headers: own, ...rest } = testCase.request(name);
  return send(cloud, { ...rest, headers: { ...own, 'content-type': contentType, ...headers } });
}

/** Where each protocol puts the error code: the x-amzn-errortype header, or the body. */
const errorOf = (response: RawResponse) => `${response.headers['x-amzn-errortype'] ?? ''} ${response.text}`;

const noCorsAllowance = (response: RawResponse) =>
  Object.keys(response.headers).filter((name) => name.startsWith('access-control-allow'));

describe.each(SERVICES)('$service', (testCase) => {
  const base = testCase.service
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/-+$/, '');

  it('refuses a cross-origin POST of every content type a browser sends without a preflight, with no effect', async () => {
    for (const [index, contentType] of SIMPLE_CONTENT_TYPES.entries()) {
      const name = `${base}-cross-${index}`;
      const response = await sendCase(testCase, name, {
        origin: EVIL_ORIGIN,
        'content-type': contentType,
        'sec-fetch-site': 'cross-site',
      });
      expect(response.status, contentType).toBe(403);
      expect(errorOf(response)).toContain('AccessDeniedException');
      expect(noCorsAllowance(response)).toEqual([]);
      expect(await testCase.exists(name), contentType).toBe(false);
    }
  });

  it('refuses a request from another site that carries no Origin (Sec-Fetch-Site, Referer)', async () => {
    const name = `${base}-site`;
    for (const headers of [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { referer: 'http://evil.example/page.html' },
    ] as Record<string, string>[]) {
      expect((await sendCase(testCase, name, headers)).status, JSON.stringify(headers)).toBe(403);
    }
    expect(await testCase.exists(name)).toBe(false);
  });

  it('refuses a foreign Host (DNS rebinding) with the right content type, with no effect', async () => {
    const name = `${base}-rebound`;
    for (const host of [
      `evil.example:${cloud.port}`,
      'evil.example',
      `localhost.evil.example:${cloud.port}`,
    ]) {
      const response = await sendCase(testCase, name, { host });
      expect(response.status, host).toBe(403);
      expect(errorOf(response)).toContain('AccessDeniedException');
    }
    expect(await testCase.exists(name)).toBe(false);
  });

  it('refuses a text/plain body from a loopback client with the protocol error, with no effect', async () => {
    const name = `${base}-plain`;
    const response = await sendCase(testCase, name, { 'content-type': 'text/plain' });
    const [status, code] = testCase.wrongTypeAnswer;
    expect(response.status).toBe(status);
    expect(errorOf(response)).toContain(code);
    expect(await testCase.exists(name)).toBe(false);
  });

  it('answers a preflight from a foreign origin with 403 and no CORS allowance', async () => {
    const response = await send(cloud, {
      method: 'OPTIONS',
      path: testCase.request('x').path ?? '/',
      headers: {
        origin: EVIL_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-amz-target, authorization',
        'access-control-request-private-network': 'true',
      },
    });
    expect(response.status).toBe(403);
    expect(noCorsAllowance(response)).toEqual([]);
  });

  it('takes effect when sent as its SDK sends it, from a loopback client', async () => {
    const name = `${base}-sdk`;
    const hosts = [`127.0.0.1:${cloud.port}`, `localhost:${cloud.port}`, `[::1]:${cloud.port}`, '127.0.0.2'];
    for (const [index, host] of hosts.entries()) {
      const response = await sendCase(testCase, `${name}-${index}`, { host });
      expect(response.status, `${host}: ${response.text}`).toBeLessThan(300);
      expect(await testCase.exists(`${name}-${index}`), host).toBe(true);
    }
  });
});

describe('the health endpoint and the CBOR protocol', () => {
  it('serves /_oncely/health to loopback clients only', async () => {
    expect((await send(cloud, { method: 'GET', path: '/_oncely/health' })).status).toBe(200);
    expect(
      (await send(cloud, { method: 'GET', path: '/_oncely/health', headers: { 'sec-fetch-site': 'none' } }))
        .status,
    ).toBe(200);
    for (const headers of [
      { origin: EVIL_ORIGIN },
      { origin: 'null' },
      { origin: `http://127.0.0.1:${cloud.port + 1}` },
      { 'sec-fetch-site': 'cross-site' },
      { host: `evil.example:${cloud.port}` },
    ] as Record<string, string>[]) {
      const response = await send(cloud, { method: 'GET', path: '/_oncely/health', headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(response.text)).toMatchObject({ __type: 'AccessDeniedException' });
    }
    const posted = await send(cloud, {
      path: '/_oncely/health',
      headers: { origin: EVIL_ORIGIN, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(posted.status).toBe(403);
    expect(
      (await send(cloud, { method: 'GET', path: '/_oncely/lambda/stats', headers: { origin: EVIL_ORIGIN } }))
        .status,
    ).toBe(403);
  });

  it('answers an RPC v2 CBOR request with a wrong content type 415, CBOR-encoded', async () => {
    const response = await send(cloud, {
      path: '/service/GraniteServiceVersion20100801/operation/PutMetricData',
      headers: { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(response.status).toBe(415);
    expect(response.headers['content-type']).toBe('application/cbor');
    // A CBOR map of two entries (0xa2) holding __type and the code as text strings.
    expect(response.body[0]).toBe(0xa2);
    expect(response.body.includes(Buffer.from('__type'))).toBe(true);
    expect(response.body.includes(Buffer.from('UnsupportedMediaTypeException'))).toBe(true);
  });

  it('renders query-protocol refusals as the query XML error', async () => {
    const response = await send(cloud, {
      headers: { origin: EVIL_ORIGIN, 'content-type': form },
      body: 'Action=ListQueues',
    });
    expect(response.status).toBe(403);
    expect(response.text).toContain('<Code>AccessDeniedException</Code>');
  });
});

describe('the real clients', () => {
  it('keep working: the SDKs of every service, and a function that calls back into the local cloud', async () => {
    const name = 'sdk-clients';
    const source = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${name}-source` }));
    const sink = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${name}-sink` }));
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await clients.cloudwatch.send(
      new PutMetricDataCommand({ Namespace: name, MetricData: [{ MetricName: 'Count', Value: 1 }] }),
    );
    await events.send(new PutRuleCommand({ Name: name, ScheduleExpression: 'rate(1 hour)' }));
    await sns.send(new CreateTopicCommand({ Name: name }));
    // Create + invoke through the Lambda SDK (Invoke sends application/octet-stream).
    const path = freshPath();
    await clients.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Role: 'arn:aws:iam::000000000000:role/any',
        Handler: 'index.handler',
        Code: { ZipFile: WRITER_ZIP },
      }),
    );
    const invoked = await clients.lambda.send(
      new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify({ path })) }),
    );
    expect(invoked.FunctionError).toBeUndefined();
    expect(existsSync(path)).toBe(true);
    // The event source poller and the function's own SQS client address the endpoint themselves.
    lambda.registerFunction({
      name: `${name}-recorder`,
      codeDirectory: fileURLToPath(new URL('../fixtures/lambda-functions/cjs', import.meta.url)),
      handler: 'index.sqsRecorder',
      environment: { SINK_QUEUE_URL: sink.QueueUrl! },
    });
    const queueArn = `arn:aws:sqs:us-east-1:000000000000:${name}-source`;
    await clients.lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: `${name}-recorder`,
        EventSourceArn: queueArn,
        BatchSize: 1,
      }),
    );
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: source.QueueUrl!, MessageBody: '{"n":1}' }));
    const deadline = Date.now() + 20_000;
    let recorded = 0;
    while (recorded === 0) {
      if (Date.now() > deadline)
        throw new Error('the recorder function sent nothing to the sink queue within 20 s');
      const received = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: sink.QueueUrl!, WaitTimeSeconds: 1 }),
      );
      recorded += received.Messages?.length ?? 0;
    }
    expect(recorded).toBe(1);
    expect(((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).includes(name)).toBe(
      true,
    );
  });

  it('keep working with what the AWS CLI sends: an Invoke payload with no Content-Type', async () => {
    // botocore serialises Lambda's blob payload without a Content-Type header.
    const path = freshPath();
    const response = await send(cloud, {
      path: '/2015-03-31/functions/sdk-clients/invocations',
      body: JSON.stringify({ path }),
    });
    expect(response.status).toBe(200);
    expect(existsSync(path)).toBe(true);
  });
});

describe('explicitly allowed hosts and origins', () => {
  let allowing: LocalCloud;
  beforeAll(async () => {
    allowing = await startLocalCloud({
      port: 0,
      allowedHosts: ['oncely.test', 'LocalCloud:4566'],
      allowedOrigins: ['http://localhost:3000'],
    });
  });
  afterAll(async () => {
    await allowing.stop();
  });

  it('accepts an allowed Host name with any port and still refuses others', async () => {
    const health = (host: string) =>
      send(allowing, { method: 'GET', path: '/_oncely/health', headers: { host } });
    expect((await health(`oncely.test:${allowing.port}`)).status).toBe(200);
    expect((await health('localcloud')).status).toBe(200);
    expect((await health(`evil.example:${allowing.port}`)).status).toBe(403);
  });

  it("answers an allowed origin's preflight with CORS headers naming that origin only", async () => {
    const preflight = await send(allowing, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-amz-target',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(preflight.headers['access-control-allow-headers']).toContain('x-amz-target');
    const listed = await send(allowing, {
      headers: {
        origin: 'http://localhost:3000',
        'sec-fetch-site': 'same-site',
        'x-amz-target': 'AmazonSQS.ListQueues',
        'content-type': json10,
      },
      body: '{}',
    });
    expect(listed.status).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    // Still no text/plain from an allowed origin, and no other origin.
    const plain = await send(allowing, {
      path: '/2015-03-31/functions',
      headers: { origin: 'http://localhost:3000', 'content-type': 'text/plain' },
      body: createFunctionBody('allowed-origin'),
    });
    expect(plain.status).toBe(415);
    const other = await send(allowing, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3001', 'access-control-request-method': 'POST' },
    });
    expect(other.status).toBe(403);
    expect(noCorsAllowance(other)).toEqual([]);
  });

  it('refuses malformed allowed hosts and origins at start', async () => {
    await expect(startLocalCloud({ port: 0, allowedHosts: ['evil.example/x'] })).rejects.toThrow(
      /allowedHosts/,
    );
    await expect(startLocalCloud({ port: 0, allowedOrigins: ['*'] })).rejects.toThrow(/allowedOrigins/);
  });
});

describe('a host other than loopback', () => {
  it('is refused unless allowRemote is given', async () => {
    for (const host of ['0.0.0.0', '::', 'example.internal']) {
      await expect(startLocalCloud({ port: 0, host })).rejects.toThrow(
        /Refusing to listen on .*allowRemote/s,
      );
    }
  });

  it('with allowRemote, warns on stderr and accepts IP-literal hosts but no rebindable name', async () => {
    // The remote rules, served on loopback: tests never listen beyond it.
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let guard: ReturnType<typeof createHttpGuard>;
    try {
      guard = createHttpGuard({ host: '0.0.0.0', allowRemote: true });
      const warning = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(warning).toContain('WARNING: the Oncely local cloud listens on 0.0.0.0');
      expect(warning).toContain('Anyone who can reach this port can create and invoke Lambda');
    } finally {
      stderr.mockRestore();
    }
    const server: Server = createServer((req, res) => {
      if (!guard.intercept(req, res, {})) res.end('passed');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const remote = { port: (server.address() as AddressInfo).port };
    try {
      const get = (headers: Record<string, string>) => send(remote, { method: 'GET', path: '/', headers });
      // Remote clients address it by an IP address, which no DNS can rebind.
      expect((await get({ host: `192.0.2.10:${remote.port}` })).status).toBe(200);
      expect((await get({ host: `[2001:db8::1]:${remote.port}` })).status).toBe(200);
      expect((await get({ host: `0.0.0.0:${remote.port}` })).status).toBe(200);
      expect((await get({ host: `evil.example:${remote.port}` })).status).toBe(403);
      // An IP-literal origin is still foreign: it could be any server on this port number.
      expect((await get({ origin: `http://192.0.2.10:${remote.port}` })).status).toBe(403);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('accepts every loopback spelling without allowRemote', async () => {
    const local = await startLocalCloud({ port: 0, host: '::1' });
    try {
      expect((await fetch(`${local.endpoint}/_oncely/health`)).status).toBe(200);
    } finally {
      await local.stop();
    }
  });
});
