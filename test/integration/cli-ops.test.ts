import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { OUTPUT_KEYS } from '@oncely/runtime/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, explainAwsError, RESOURCES } from '../../packages/cli/src/stack-resources.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import type { LocalService } from '../../packages/local-cloud/src/protocol.js';
import { loadConfig } from '../../packages/runtime/src/config.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { queueDepth } from '../support/sqs-queues.js';
import { type AuditPipeline, createAuditPipeline, drain, runCli } from './audit-pipeline.js';

const CJS_BUNDLE = fileURLToPath(new URL('../fixtures/lambda-functions/cjs', import.meta.url));

describe('oncely publish, audit and status against the local cloud', () => {
  let cloud: TestCloud;
  let pipeline: AuditPipeline;

  beforeEach(async () => {
    cloud = await startTestCloud();
    pipeline = await createAuditPipeline(cloud);
  });
  afterEach(async () => {
    await cloud.stop();
  });

  it('publishes stamped events, finds the one lost behind the pipeline, heals it and shows it in status', async () => {
    const published = await runCli([
      'publish',
      '--type',
      'points.deduct',
      '--payload',
      '{"accountId":"a-1","amount":5}',
      '--key',
      'a-1',
      '--count',
      '5',
      '--json',
      ...pipeline.cliOptions,
    ]);
    expect(published.code).toBe(0);
    const rows = JSON.parse(published.stdout) as Array<{ id: string; producer: string; seq: number }>;
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(rows.map((row) => row.id)).size).toBe(5);
    expect(new Set(rows.map((row) => row.producer)).size).toBe(1);
    expect(await queueDepth(cloud, pipeline.queueUrl)).toBe(5);
    const outbox = await cloud.clients.documents.send(new ScanCommand({ TableName: pipeline.tables.outbox }));
    expect(outbox.Items).toHaveLength(5);

    await drain(cloud, pipeline.queueUrl, (seq) => (seq === 3 ? 'lose' : 'consume'), pipeline);
    const lost = await runCli([
      'audit',
      '--grace',
      '0',
      '--fail-on-missing',
      '--json',
      ...pipeline.cliOptions,
    ]);
    expect(lost.code).toBe(4);
    const report = JSON.parse(lost.stdout) as {
      counts: { missing: number };
      findings: Array<{ seq: number }>;
    };
    expect(report.counts.missing).toBe(1);
    expect(report.findings.map((finding) => finding.seq)).toEqual([3]);

    const status = await runCli(['status', '--json', ...pipeline.cliOptions]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      queue: { visible: 0, inFlight: 0 },
      deadLetterQueue: { visible: 0 },
      degradationLevel: 'normal',
      lastAudit: { missing: 1 },
    });

    const healing = await runCli(['audit', '--grace', '0', '--compensate', ...pipeline.cliOptions]);
    expect(healing.code).toBe(0);
    expect(healing.stdout).toContain('1 re-published');
    await drain(cloud, pipeline.queueUrl, () => 'consume', pipeline);
    const healed = await runCli(['audit', '--grace', '0', '--fail-on-missing', ...pipeline.cliOptions]);
    expect(healed.code).toBe(0);
    expect(healed.stdout).toContain('0 missing');
    const readable = await runCli(['status', ...pipeline.cliOptions]);
    expect(readable.stdout).toMatch(/Messages missing:\s+0/);

    // The released stream is confirmed complete, so later runs skip it; --since 0 re-walks it all.
    const incremental = JSON.parse(
      (await runCli(['audit', '--grace', '0', '--json', ...pipeline.cliOptions])).stdout,
    );
    expect(incremental.streams).toEqual([]);
    const full = JSON.parse(
      (await runCli(['audit', '--grace', '0', '--since', '0', '--json', ...pipeline.cliOptions])).stdout,
    );
    expect(full.streams[0]).toMatchObject({ claimsRead: 5, confirmedSeq: 5 });
  });

  it('reports the age of the oldest waiting message', async () => {
    await runCli(['publish', '--type', 't', '--payload', '{}', ...pipeline.cliOptions]);
    const status = JSON.parse((await runCli(['status', '--json', ...pipeline.cliOptions])).stdout);
    expect(status.queue.visible).toBe(1);
    expect(status.queue.ageOfOldestSeconds).toBeGreaterThanOrEqual(0);
    expect(['cloudwatch', 'sampled']).toContain(status.queue.ageSource);
    const unpeeked = JSON.parse(
      (await runCli(['status', '--json', '--no-peek', ...pipeline.cliOptions])).stdout,
    );
    expect(unpeeked.queue.ageSource).not.toBe('sampled');
  });

  it('closes the published stream with an exact high-water mark', async () => {
    const published = await runCli([
      'publish',
      '--type',
      't',
      '--payload',
      '{}',
      '--count',
      '2',
      ...pipeline.cliOptions,
    ]);
    expect(published.code).toBe(0);
    const lease = await cloud.clients.documents.send(
      new ScanCommand({ TableName: pipeline.tables.leases, FilterExpression: 'attribute_exists(closedBy)' }),
    );
    const item = lease.Items?.[0] as {
      closedStreams: Record<string, number>;
      closedBy: Record<string, string>;
    };
    expect(Object.values(item.closedStreams)).toEqual([2]);
    expect(Object.values(item.closedBy)).toEqual(['release']);
  });

  it('finds resources in a cdk outputs file, choosing the stack by name', async () => {
    const file = join(tmpdir(), `${cloud.prefix}-outputs.json`);
    await writeFile(
      file,
      JSON.stringify({
        Other: { QueueUrl: 'http://127.0.0.1:1/000000000000/wrong' },
        Pipeline: { QueueUrl: pipeline.queueUrl, DeadLetterQueueUrl: pipeline.deadLetterQueueUrl },
      }),
    );
    const ok = await runCli([
      'status',
      '--json',
      '--endpoint',
      cloud.endpoint,
      '--outputs-file',
      file,
      '--stack',
      'Pipeline',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).queue.url).toBe(pipeline.queueUrl);

    const ambiguous = await runCli(['status', '--endpoint', cloud.endpoint, '--outputs-file', file]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('pass --stack');
    const unknown = await runCli([
      'status',
      '--endpoint',
      cloud.endpoint,
      '--outputs-file',
      file,
      '--stack',
      'Nope',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("stack 'Nope' not found");
  });

  it('shows the event source mapping concurrency, reading a local deployer summary', async () => {
    const lambda = cloud.local!.services.lambda as LambdaService;
    const consumer = `${cloud.prefix}-consumer`;
    lambda.registerFunction({ name: consumer, codeDirectory: CJS_BUNDLE, handler: 'index.sqsBatch' });
    // A queue of its own, so the fixture consumer never touches the pipeline's messages.
    const { QueueUrl: url } = await cloud.clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${cloud.prefix}-esm` }),
    );
    const { Attributes: attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const mapping = await cloud.clients.lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: consumer,
        EventSourceArn: attributes!.QueueArn!,
        ScalingConfig: { MaximumConcurrency: 7 },
      }),
    );
    const file = join(tmpdir(), `${cloud.prefix}-summary.json`);
    await writeFile(
      file,
      JSON.stringify({
        stackName: 'OncelyPipeline',
        outputs: {
          QueueUrl: pipeline.queueUrl,
          DeadLetterQueueUrl: pipeline.deadLetterQueueUrl,
          ControlTableName: pipeline.tables.control,
          EventSourceMappingId: mapping.UUID,
        },
        resources: {},
      }),
    );
    const status = await runCli(['status', '--json', '--endpoint', cloud.endpoint, '--outputs-file', file]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).eventSourceMapping).toMatchObject({
      id: mapping.UUID,
      maximumConcurrency: 7,
    });
    const readable = await runCli(['status', '--endpoint', cloud.endpoint, '--outputs-file', file]);
    expect(readable.stdout).toMatch(/Consumer concurrency: 7 max/);
  });

  it('fails with a clear message and exit 1 on AWS errors', async () => {
    const noMapping = await runCli([
      'status',
      '--event-source-mapping',
      'no-such-mapping',
      ...pipeline.cliOptions,
    ]);
    expect(noMapping.code).toBe(1);
    expect(noMapping.stderr).toContain('oncely status:');

    const unreachable = await runCli([
      'dlq',
      'list',
      '--endpoint',
      'http://127.0.0.1:9',
      '--dlq-url',
      'http://127.0.0.1:9/000000000000/q',
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:9');
  });

  it('rejects bad arguments with one line naming the option and exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['audit', '--grace', 'soon'], '--grace must be a non-negative integer'],
      [['publish', '--payload', '{}'], '--type is required'],
      [['publish', '--type', 't', '--payload', '{oops'], '--payload is not valid JSON'],
      [['publish', '--type', 't', '--payload', '{}', '--count', '0'], '--count must be a positive integer'],
      [['status', '--endpoint', 'not a url'], '--endpoint must be a URL'],
      [['status', '--endpoint', 'http://127.0.0.1:9'], 'cannot find the QueueUrl'],
      [['audit', '--endpoint', 'http://127.0.0.1:9'], 'cannot find the ClaimsTableName'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('prints help for every ops command', async () => {
    for (const name of ['status', 'audit', 'dlq', 'publish']) {
      const result = await runCli([name, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: oncely ${name}`);
      expect(result.stdout).toContain('--endpoint URL');
    }
  });
});

describe('stack resources', () => {
  it('reads the output keys the CDK stack defines', () => {
    for (const resource of Object.values(RESOURCES))
      expect(Object.values(OUTPUT_KEYS)).toContain(resource.output);
  });

  it('falls back to the ONCELY_* environment, explicit options winning', async () => {
    const config = loadConfig({ ONCELY_QUEUE_URL: 'http://from-env/q', ONCELY_CLAIMS_TABLE: 'claims-env' });
    const context = await connect(
      { endpoint: 'http://127.0.0.1:9', 'claims-table': 'claims-option' },
      config,
    );
    try {
      expect(context.require('queueUrl')).toBe('http://from-env/q');
      expect(context.require('claimsTable')).toBe('claims-option');
      expect(context.region).toBe('us-east-1');
    } finally {
      context.close();
    }
  });
});

/** CloudFormation's DescribeStacks (query protocol) for one stack, as LocalStack or AWS would answer. */
function fakeCloudFormation(stackName: string, outputs: () => Record<string, string>): LocalService {
  const xml = (body: string) => ({ status: 200, headers: { 'content-type': 'text/xml' }, body });
  return {
    signingNames: ['cloudformation'],
    targetPrefixes: [],
    queryActions: new Set(['DescribeStacks']),
    async dispatch(request) {
      const asked = (request.input as URLSearchParams).get('StackName');
      if (asked !== stackName)
        return {
          ...xml(
            '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>' +
              `<Message>Stack with id ${asked} does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
          ),
          status: 400,
        };
      const members = Object.entries(outputs())
        .map(
          ([key, value]) =>
            `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
        )
        .join('');
      return xml(
        '<DescribeStacksResponse><DescribeStacksResult><Stacks><member>' +
          `<StackName>${stackName}</StackName><StackStatus>CREATE_COMPLETE</StackStatus>` +
          `<CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>${members}</Outputs>` +
          '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>' +
          '</DescribeStacksResponse>',
      );
    },
  };
}

describe('--stack against CloudFormation', () => {
  let cloud: TestCloud;
  let pipeline: AuditPipeline;

  beforeEach(async () => {
    cloud = await startTestCloud({
      extraServices: () => ({
        cloudformation: fakeCloudFormation('OncelyPipeline', () => ({
          QueueUrl: pipeline.queueUrl,
          DeadLetterQueueUrl: pipeline.deadLetterQueueUrl,
          ClaimsTableName: pipeline.tables.claims,
          OutboxTableName: pipeline.tables.outbox,
          LeasesTableName: pipeline.tables.leases,
          ControlTableName: pipeline.tables.control,
        })),
      }),
    });
    pipeline = await createAuditPipeline(cloud);
  });
  afterEach(async () => {
    await cloud.stop();
  });

  it('finds every resource in the stack outputs', async () => {
    const stack = ['--endpoint', cloud.endpoint, '--stack', 'OncelyPipeline'];
    expect((await runCli(['publish', '--type', 't', '--payload', '{}', '--count', '3', ...stack])).code).toBe(
      0,
    );
    const status = await runCli(['status', '--json', ...stack]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).queue).toMatchObject({ url: pipeline.queueUrl, visible: 3 });
    const audit = await runCli(['audit', '--json', ...stack]);
    expect(audit.code).toBe(0);
  });

  it('fails with exit 1 naming an unknown stack', async () => {
    const result = await runCli(['status', '--endpoint', cloud.endpoint, '--stack', 'Nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("stack 'Nope' not found in us-east-1");
  });
});

describe('AWS error messages', () => {
  it('tells how to provide credentials when there are none', () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    expect(explainAwsError(missing, { endpoint: undefined }).message).toContain('pass --profile');
  });
});
