/**
 * `oncely status|audit|dlq|publish --stack NAME --endpoint URL` against the local cloud: the
 * commands find the pipeline through CloudFormation DescribeStacks, exactly as against AWS, because
 * the local cloud answers it for the stacks it deployed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { deployTemplate } from '../../packages/local-cloud/src/deploy/template-deployer.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';
import { type AuditPipeline, createAuditPipeline, runCli } from './audit-pipeline.js';

const cloud = useTestCloud();
let pipeline: AuditPipeline;
let stackName: string;

beforeAll(async () => {
  pipeline = await createAuditPipeline(cloud);
  stackName = `${cloud.prefix}-Pipeline`;
  // The pipeline's resources exist already; the stack publishes them under the outputs the CLI
  // reads (the keys OncelyPipeline's outputs use), as a deployed OncelyPipeline stack would.
  const output = (value: string) => ({ Value: value });
  await deployTemplate(
    cloud.local!,
    {
      Resources: { Metadata: { Type: 'AWS::CDK::Metadata' } },
      Outputs: {
        QueueUrl: output(pipeline.queueUrl),
        DeadLetterQueueUrl: output(pipeline.deadLetterQueueUrl),
        ClaimsTableName: output(pipeline.tables.claims),
        OutboxTableName: output(pipeline.tables.outbox),
        LeasesTableName: output(pipeline.tables.leases),
        ControlTableName: output(pipeline.tables.control),
      },
    },
    { stackName },
  );
});

describe('ops commands with --stack against the local cloud', () => {
  const stackOptions = () => ['--stack', stackName, '--endpoint', cloud.endpoint];

  it('publish, status, dlq and audit find every resource through DescribeStacks', async () => {
    const published = await runCli([
      'publish',
      '--type',
      'points.deduct',
      '--payload',
      '{"accountId":"a-1","amount":5}',
      '--count',
      '3',
      '--json',
      ...stackOptions(),
    ]);
    expect(published.stderr).not.toContain('cannot find');
    expect(published.code).toBe(0);
    expect(JSON.parse(published.stdout)).toHaveLength(3);

    const status = await runCli(['status', '--json', '--no-peek', ...stackOptions()]);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as {
      queue: { url: string; visible: number };
      deadLetterQueue?: { url: string };
    };
    expect(report.queue).toMatchObject({ url: pipeline.queueUrl, visible: 3 });
    expect(report.deadLetterQueue?.url).toBe(pipeline.deadLetterQueueUrl);

    const dlq = await runCli(['dlq', 'list', '--json', ...stackOptions()]);
    expect(dlq.code).toBe(0);
    expect(JSON.parse(dlq.stdout)).toEqual([]);

    const audit = await runCli(['audit', '--json', ...stackOptions()]);
    expect(audit.stderr).not.toContain('cannot find');
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout)).toHaveProperty('counts');
  });

  it('names a stack the local cloud does not have', async () => {
    const result = await runCli(['status', '--stack', 'NoSuchStack', '--endpoint', cloud.endpoint]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("oncely status: stack 'NoSuchStack' not found in us-east-1");
  });

  it('says which stack lacks an output rather than asking for --stack again', async () => {
    const bare = `${cloud.prefix}-Bare`;
    await deployTemplate(
      cloud.local!,
      { Resources: { Metadata: { Type: 'AWS::CDK::Metadata' } } },
      {
        stackName: bare,
      },
    );
    const result = await runCli(['status', '--stack', bare, '--endpoint', cloud.endpoint]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`stack '${bare}' (CREATE_COMPLETE) has no output QueueUrl`);
  });

  it('finds a pipeline whose outputs carry an outputPrefix, and asks which one when there are two', async () => {
    const output = (value: string) => ({ Value: value });
    const outputsOf = (prefix: string) => ({
      [`${prefix}QueueUrl`]: output(pipeline.queueUrl),
      [`${prefix}DeadLetterQueueUrl`]: output(pipeline.deadLetterQueueUrl),
      [`${prefix}ClaimsTableName`]: output(pipeline.tables.claims),
    });
    const single = `${cloud.prefix}-Prefixed`;
    await deployTemplate(
      cloud.local!,
      { Resources: { Metadata: { Type: 'AWS::CDK::Metadata' } }, Outputs: outputsOf('Reservations') },
      { stackName: single },
    );
    const found = await runCli([
      'status',
      '--json',
      '--no-peek',
      '--stack',
      single,
      '--endpoint',
      cloud.endpoint,
    ]);
    expect(found.stderr).toBe('');
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout).queue.url).toBe(pipeline.queueUrl);

    const two = `${cloud.prefix}-TwoPipelines`;
    await deployTemplate(
      cloud.local!,
      {
        Resources: { Metadata: { Type: 'AWS::CDK::Metadata' } },
        Outputs: { ...outputsOf('Orders'), ...outputsOf('Payments') },
      },
      { stackName: two },
    );
    const ambiguous = await runCli(['status', '--no-peek', '--stack', two, '--endpoint', cloud.endpoint]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("output prefixes 'Orders', 'Payments'): pass --output-prefix");
    const chosen = await runCli([
      'status',
      '--json',
      '--no-peek',
      '--stack',
      two,
      '--output-prefix',
      'Payments',
      '--endpoint',
      cloud.endpoint,
    ]);
    expect(chosen.code).toBe(0);
    expect(JSON.parse(chosen.stdout).queue.url).toBe(pipeline.queueUrl);
  });
});
