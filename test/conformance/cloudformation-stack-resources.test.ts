/**
 * CloudFormation's resource listings, as documented:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackResources.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResources.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResource.html
 * (shapes API_StackResourceSummary.html, API_StackResource.html). A resource's physical id is what
 * `Ref` returns (a queue's URL, a table's name); a resource whose condition is false is not created
 * and not listed.
 */
import {
  type CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloudFormationClient,
  conformanceTemplate,
  deployStack,
  removeStacks,
} from '../support/cloudformation-stacks.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let cloudformation: CloudFormationClient;
let stackName: string;

beforeAll(async () => {
  cloudformation = cloudFormationClient(cloud);
  stackName = `${cloud.prefix}-resources`;
  await deployStack(cloud, cloudformation, stackName, conformanceTemplate());
});
afterAll(async () => {
  await removeStacks(cloud, cloudformation, [stackName]);
  cloudformation.destroy();
});

async function summaries(): Promise<Record<string, StackResourceSummary>> {
  const { StackResourceSummaries = [] } = await cloudformation.send(
    new ListStackResourcesCommand({ StackName: stackName }),
  );
  return Object.fromEntries(StackResourceSummaries.map((summary) => [summary.LogicalResourceId!, summary]));
}

describe('ListStackResources', () => {
  it('lists each created resource with its physical id, type, status and timestamp', async () => {
    const resources = await summaries();
    expect(Object.keys(resources).sort()).toEqual(['Queue', 'Table']);
    const queueName = resources.Queue!.PhysicalResourceId!.split('/').at(-1)!;
    const { QueueUrl } = await cloud.clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    expect(resources.Queue).toMatchObject({
      PhysicalResourceId: QueueUrl,
      ResourceType: 'AWS::SQS::Queue',
      ResourceStatus: 'CREATE_COMPLETE',
    });
    expect(resources.Table).toMatchObject({
      PhysicalResourceId: expect.stringContaining(`${stackName}-Table`),
      ResourceType: 'AWS::DynamoDB::Table',
      ResourceStatus: 'CREATE_COMPLETE',
    });
    expect(resources.Queue!.LastUpdatedTimestamp).toBeInstanceOf(Date);
  });

  it('accepts the stack id in place of the name', async () => {
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    const byId = await cloudformation.send(new ListStackResourcesCommand({ StackName: Stacks![0]!.StackId }));
    expect(byId.StackResourceSummaries?.map((summary) => summary.LogicalResourceId).sort()).toEqual([
      'Queue',
      'Table',
    ]);
  });

  it('answers a missing stack with ValidationError', async () => {
    const missing = `${cloud.prefix}-nope`;
    await expect(
      cloudformation.send(new ListStackResourcesCommand({ StackName: missing })),
    ).rejects.toMatchObject({ name: 'ValidationError', message: `Stack with id ${missing} does not exist` });
  });
});

describe('DescribeStackResources and DescribeStackResource', () => {
  it('describes every resource of a stack with the stack name and id', async () => {
    const { StackResources = [] } = await cloudformation.send(
      new DescribeStackResourcesCommand({ StackName: stackName }),
    );
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    expect(StackResources.map((resource) => resource.LogicalResourceId).sort()).toEqual(['Queue', 'Table']);
    for (const resource of StackResources) {
      expect(resource.StackName).toBe(stackName);
      expect(resource.StackId).toBe(Stacks![0]!.StackId);
      expect(resource.ResourceStatus).toBe('CREATE_COMPLETE');
      expect(resource.Timestamp).toBeInstanceOf(Date);
    }
  });

  it('narrows to one logical id, and finds the stack from a physical id', async () => {
    const resources = await summaries();
    const byLogicalId = await cloudformation.send(
      new DescribeStackResourcesCommand({ StackName: stackName, LogicalResourceId: 'Table' }),
    );
    expect(byLogicalId.StackResources?.map((resource) => resource.LogicalResourceId)).toEqual(['Table']);
    const byPhysicalId = await cloudformation.send(
      new DescribeStackResourcesCommand({ PhysicalResourceId: resources.Queue!.PhysicalResourceId }),
    );
    expect(byPhysicalId.StackResources).toEqual([
      expect.objectContaining({ StackName: stackName, LogicalResourceId: 'Queue' }),
    ]);
  });

  it('details one resource', async () => {
    const { StackResourceDetail } = await cloudformation.send(
      new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: 'Queue' }),
    );
    expect(StackResourceDetail).toMatchObject({
      StackName: stackName,
      LogicalResourceId: 'Queue',
      ResourceType: 'AWS::SQS::Queue',
      ResourceStatus: 'CREATE_COMPLETE',
    });
    expect(StackResourceDetail!.LastUpdatedTimestamp).toBeInstanceOf(Date);
  });

  it('answers a missing stack with ValidationError', async () => {
    const missing = `${cloud.prefix}-gone`;
    await expect(
      cloudformation.send(new DescribeStackResourcesCommand({ StackName: missing })),
    ).rejects.toMatchObject({ name: 'ValidationError', message: `Stack with id ${missing} does not exist` });
  });
});
