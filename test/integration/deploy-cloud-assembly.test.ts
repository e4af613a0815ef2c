/**
 * Deploying every stack of a cloud assembly: CommonJS and ES module function bundles found through
 * the asset manifests (a nested stage assembly's `../asset` path included), a cross-stack
 * `Fn::ImportValue`, and what the local CloudFormation API then reports, for good deployments, for
 * failed ones, and after a restart with a data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCloudAssembly } from '../../packages/local-cloud/src/deploy/assembly-deployer.js';
import { readCloudAssembly } from '../../packages/local-cloud/src/deploy/cloud-assembly.js';
import {
  DeployError,
  type DeploySummary,
  deployTemplate,
} from '../../packages/local-cloud/src/deploy/template-deployer.js';
import { startLocalCloud } from '../../packages/local-cloud/src/server.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/cloud-assembly', import.meta.url));

const cloud = useTestCloud();
let cloudformation: CloudFormationClient;
const summaries = new Map<string, DeploySummary>();

function client(endpoint: string): CloudFormationClient {
  return new CloudFormationClient({ region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS });
}

beforeAll(async () => {
  cloudformation = client(cloud.endpoint);
  const deployed: string[] = [];
  const all = await deployCloudAssembly(cloud.local!, readCloudAssembly(FIXTURE), {
    onStack: (stack) => deployed.push(stack.stackName),
  });
  expect(deployed).toEqual(['FixtureShared', 'FixtureApp', 'Dev-Service']);
  for (const summary of all) summaries.set(summary.stackName, summary);
});
afterAll(() => cloudformation.destroy());

async function invoke(functionName: string) {
  const output = await cloud.clients.lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from('{"hello":"world"}') }),
  );
  expect(output.FunctionError).toBeUndefined();
  return JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8'));
}

describe('deploying a cloud assembly', () => {
  it('runs the CommonJS bundle, with a value imported from the stack deployed before it', async () => {
    const app = summaries.get('FixtureApp')!;
    const shared = summaries.get('FixtureShared')!;
    expect(await invoke(String(app.outputs.HandlerName))).toEqual({
      module: 'commonjs',
      queueUrl: shared.outputs.SharedQueueUrl,
    });
  });

  it("runs the ES module bundles of a nested stage's stack: .mjs, and .js under type module", async () => {
    const outputs = summaries.get('Dev-Service')!.outputs;
    expect(await invoke(String(outputs.EsmHandlerName))).toEqual({ module: 'esm' });
    expect(await invoke(String(outputs.PackageEsmHandlerName))).toEqual({ module: 'esm-package' });
  });

  it('answers DescribeStacks for each stack with its outputs', async () => {
    const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: 'FixtureApp' }));
    expect(Stacks[0]).toMatchObject({
      StackId: summaries.get('FixtureApp')!.stackId,
      StackStatus: 'CREATE_COMPLETE',
      Outputs: [
        {
          OutputKey: 'HandlerName',
          OutputValue: summaries.get('FixtureApp')!.outputs.HandlerName,
          Description: 'The CommonJS function',
        },
      ],
    });
  });

  it('refuses a second stack exporting a name another stack exports, and records it as failed', async () => {
    const failure = await deployTemplate(
      cloud.local!,
      {
        Resources: { Queue: { Type: 'AWS::SQS::Queue' } },
        Outputs: { Url: { Value: { Ref: 'Queue' }, Export: { Name: 'FixtureShared-QueueUrl' } } },
      },
      { stackName: 'Duplicate' },
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeployError);
    expect((failure as Error).message).toContain('already exported by stack FixtureShared');
    const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: 'Duplicate' }));
    expect(Stacks[0]).toMatchObject({
      StackStatus: 'CREATE_FAILED',
      StackStatusReason: expect.stringContaining('already exported'),
    });
  });

  it('records a failed deployment with the resource it failed on', async () => {
    await expect(
      deployTemplate(
        cloud.local!,
        {
          Resources: {
            Queue: { Type: 'AWS::SQS::Queue' },
            Broken: {
              Type: 'AWS::Lambda::Function',
              Properties: { Code: { S3Bucket: 'b', S3Key: `${'9'.repeat(64)}.zip` }, Runtime: 'nodejs22.x' },
              DependsOn: 'Queue',
            },
          },
        },
        { stackName: 'Broken', assetDir: FIXTURE },
      ),
    ).rejects.toThrow(/Broken: AWS::Lambda::Function failed: No asset 9{64}/);
    const { StackResourceSummaries = [] } = await cloudformation.send(
      new ListStackResourcesCommand({ StackName: 'Broken' }),
    );
    expect(StackResourceSummaries).toEqual([
      expect.objectContaining({ LogicalResourceId: 'Queue', ResourceStatus: 'CREATE_COMPLETE' }),
      expect.objectContaining({
        LogicalResourceId: 'Broken',
        ResourceStatus: 'CREATE_FAILED',
        ResourceStatusReason: expect.stringContaining('No asset'),
      }),
    ]);
  });
});

describe('deployed stacks with a data directory', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'oncely-stacks-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('are still described after a restart, with the same stack id', async () => {
    const first = await startLocalCloud({ port: 0, dataDir });
    let stackId: string;
    try {
      stackId = (await deployTemplate(first, join(FIXTURE, 'Shared.template.json'))).stackId;
    } finally {
      await first.stop();
    }
    const second = await startLocalCloud({ port: 0, dataDir });
    const restarted = client(second.endpoint);
    try {
      const { Stacks = [] } = await restarted.send(new DescribeStacksCommand({ StackName: 'Shared' }));
      expect(Stacks[0]).toMatchObject({ StackId: stackId, StackStatus: 'CREATE_COMPLETE' });
      expect(Stacks[0]!.Outputs?.[0]?.ExportName).toBe('FixtureShared-QueueUrl');
    } finally {
      restarted.destroy();
      await second.stop();
    }
  });
});
