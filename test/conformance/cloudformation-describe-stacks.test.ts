/**
 * CloudFormation DescribeStacks, as documented:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 * (the Stack and Output shapes: API_Stack.html, API_Output.html). A stack is found by its name or
 * its stack id; without StackName every stack is described; a missing stack is a ValidationError.
 */
import { type CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
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
let otherStackName: string;
let deployedAt: number;

beforeAll(async () => {
  cloudformation = cloudFormationClient(cloud);
  stackName = `${cloud.prefix}-describe`;
  otherStackName = `${cloud.prefix}-other`;
  deployedAt = Date.now();
  await deployStack(cloud, cloudformation, stackName, conformanceTemplate());
  await deployStack(cloud, cloudformation, otherStackName, conformanceTemplate());
});
afterAll(async () => {
  await removeStacks(cloud, cloudformation, [stackName, otherStackName]);
  cloudformation.destroy();
});

async function describeOne(name: string): Promise<Stack> {
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: name }));
  expect(Stacks).toHaveLength(1);
  return Stacks![0]!;
}

describe('DescribeStacks', () => {
  it('describes a stack by name: id, status, creation time, description', async () => {
    const stack = await describeOne(stackName);
    expect(stack.StackName).toBe(stackName);
    expect(stack.StackId).toMatch(
      new RegExp(`^arn:aws:cloudformation:[a-z0-9-]+:\\d{12}:stack/${stackName}/[0-9a-f-]{36}$`),
    );
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(stack.CreationTime).toBeInstanceOf(Date);
    expect(stack.CreationTime!.getTime()).toBeGreaterThanOrEqual(deployedAt - 60_000);
    expect(stack.LastUpdatedTime).toBeUndefined();
    expect(stack.Description).toBe('Oncely CloudFormation conformance stack');
    expect(stack.Parameters).toEqual([{ ParameterKey: 'Stage', ParameterValue: 'test' }]);
  });

  it('lists the outputs with key, value, description and export name', async () => {
    const stack = await describeOne(stackName);
    const outputs = [...(stack.Outputs ?? [])].sort((a, b) => a.OutputKey!.localeCompare(b.OutputKey!));
    expect(outputs).toEqual([
      {
        OutputKey: 'QueueUrl',
        OutputValue: expect.stringMatching(/^https?:\/\/.+\/\d{12}\/.+/),
        Description: 'The work queue',
        ExportName: `${stackName}-QueueUrl`,
      },
      { OutputKey: 'TableName', OutputValue: expect.stringContaining(stackName) },
    ]);
  });

  it('finds a stack by its stack id as well as by its name', async () => {
    const byName = await describeOne(stackName);
    const byId = await describeOne(byName.StackId!);
    expect(byId).toEqual(byName);
  });

  it('describes every stack when no StackName is given', async () => {
    const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({}));
    const names = Stacks.map((stack) => stack.StackName);
    expect(names).toEqual(expect.arrayContaining([stackName, otherStackName]));
  });

  it('answers a missing stack with HTTP 400 ValidationError "Stack with id NAME does not exist"', async () => {
    const missing = `${cloud.prefix}-missing`;
    const failure = await cloudformation
      .send(new DescribeStacksCommand({ StackName: missing }))
      .catch((error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } });
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('ValidationError');
    expect((failure as Error).message).toBe(`Stack with id ${missing} does not exist`);
    expect((failure as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
  });

  it('keeps the stack id and creation time through an update and reports UPDATE_COMPLETE', async () => {
    const before = await describeOne(otherStackName);
    await deployStack(cloud, cloudformation, otherStackName, conformanceTemplate({ visibilityTimeout: 45 }));
    const after = await describeOne(otherStackName);
    expect(after.StackId).toBe(before.StackId);
    expect(after.CreationTime).toEqual(before.CreationTime);
    expect(after.StackStatus).toBe('UPDATE_COMPLETE');
    expect(after.LastUpdatedTime!.getTime()).toBeGreaterThanOrEqual(before.CreationTime!.getTime());
  });
});
