/**
 * Test fixture: CloudFormation stacks for the conformance suite. Against the embedded cloud a stack
 * is deployed with the template deployer (the local cloud has no CreateStack); against an external
 * endpoint (`CONFORMANCE_ENDPOINT`) with CreateStack/UpdateStack and the SDK's waiters, so the same
 * assertions pin AWS (or LocalStack) too.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  waitUntilStackCreateComplete,
  waitUntilStackUpdateComplete,
} from '@aws-sdk/client-cloudformation';
import { deployTemplate } from '../../packages/local-cloud/src/deploy/template-deployer.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import type { TestCloud } from './local-cloud.js';

export function cloudFormationClient(cloud: TestCloud): CloudFormationClient {
  return new CloudFormationClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint: cloud.endpoint,
    ...(cloud.local ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

/** Creates the stack, or updates it when it exists. */
export async function deployStack(
  cloud: TestCloud,
  cloudformation: CloudFormationClient,
  stackName: string,
  template: Record<string, unknown>,
): Promise<void> {
  if (cloud.local) {
    await deployTemplate(cloud.local, template as never, { stackName });
    return;
  }
  const exists = await cloudformation
    .send(new DescribeStacksCommand({ StackName: stackName }))
    .then(() => true)
    .catch(() => false);
  const input = { StackName: stackName, TemplateBody: JSON.stringify(template) };
  // The waiters poll with their own deadline (maxWaitTime), so a stuck stack fails the test.
  if (exists) {
    await cloudformation.send(new UpdateStackCommand(input));
    await waitUntilStackUpdateComplete(
      { client: cloudformation, maxWaitTime: 600 },
      { StackName: stackName },
    );
  } else {
    await cloudformation.send(new CreateStackCommand(input));
    await waitUntilStackCreateComplete(
      { client: cloudformation, maxWaitTime: 600 },
      { StackName: stackName },
    );
  }
}

/** Deletes stacks an external endpoint holds; the embedded cloud forgets them when it stops. */
export async function removeStacks(
  cloud: TestCloud,
  cloudformation: CloudFormationClient,
  stackNames: readonly string[],
): Promise<void> {
  if (cloud.local) return;
  for (const StackName of stackNames) await cloudformation.send(new DeleteStackCommand({ StackName }));
}

/**
 * A small stack every endpoint can create without assets: a queue, a table, a resource whose
 * condition is false, and outputs with a description and an export.
 */
export function conformanceTemplate(options: { visibilityTimeout?: number } = {}): Record<string, unknown> {
  return {
    Description: 'Oncely CloudFormation conformance stack',
    Parameters: { Stage: { Type: 'String', Default: 'test' } },
    Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
    Resources: {
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: { VisibilityTimeout: options.visibilityTimeout ?? 30 },
      },
      Table: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        },
      },
      NeverCreated: { Type: 'AWS::SQS::Queue', Condition: 'Never' },
    },
    Outputs: {
      QueueUrl: {
        Value: { Ref: 'Queue' },
        Description: 'The work queue',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not a JS template
        Export: { Name: { 'Fn::Sub': '${AWS::StackName}-QueueUrl' } },
      },
      TableName: { Value: { Ref: 'Table' } },
    },
  };
}
