/**
 * CloudFormation GetTemplate and ListStacks, as documented:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStacks.html
 * (shape API_StackSummary.html), plus the query protocol's answer to an action the service does
 * not have (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html:
 * InvalidAction, HTTP 400).
 */
import {
  type CloudFormationClient,
  GetTemplateCommand,
  ListStacksCommand,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloudFormationClient,
  conformanceTemplate,
  deployStack,
  removeStacks,
} from '../support/cloudformation-stacks.js';
import { externalEndpoint } from '../support/local-cloud.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
let cloudformation: CloudFormationClient;
let stackName: string;

beforeAll(async () => {
  cloudformation = cloudFormationClient(cloud);
  stackName = `${cloud.prefix}-template`;
  await deployStack(cloud, cloudformation, stackName, conformanceTemplate());
});
afterAll(async () => {
  await removeStacks(cloud, cloudformation, [stackName]);
  cloudformation.destroy();
});

describe('GetTemplate', () => {
  it('returns the template as deployed, with its stages', async () => {
    const { TemplateBody, StagesAvailable } = await cloudformation.send(
      new GetTemplateCommand({ StackName: stackName }),
    );
    expect(JSON.parse(TemplateBody!)).toEqual(conformanceTemplate());
    expect(StagesAvailable).toEqual(['Original', 'Processed']);
  });

  it('answers a missing stack with ValidationError', async () => {
    const missing = `${cloud.prefix}-absent`;
    await expect(cloudformation.send(new GetTemplateCommand({ StackName: missing }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: `Stack with id ${missing} does not exist`,
    });
  });
});

describe('ListStacks', () => {
  it('summarises each stack with id, status, creation time and template description', async () => {
    const { StackSummaries = [] } = await cloudformation.send(new ListStacksCommand({}));
    const summary = StackSummaries.find((candidate) => candidate.StackName === stackName);
    expect(summary).toMatchObject({
      StackId: expect.stringContaining(`:stack/${stackName}/`),
      StackStatus: 'CREATE_COMPLETE',
      TemplateDescription: 'Oncely CloudFormation conformance stack',
    });
    expect(summary!.CreationTime).toBeInstanceOf(Date);
  });

  it('filters by stack status', async () => {
    const only = async (statuses: StackStatus[]) =>
      (await cloudformation.send(new ListStacksCommand({ StackStatusFilter: statuses }))).StackSummaries ??
      [];
    expect((await only(['CREATE_COMPLETE'])).map((summary) => summary.StackName)).toContain(stackName);
    expect((await only(['DELETE_COMPLETE'])).map((summary) => summary.StackName)).not.toContain(stackName);
  });
});

describe.skipIf(externalEndpoint !== undefined)('unknown actions (query protocol)', () => {
  it('answers an action CloudFormation does not have with InvalidAction, HTTP 400, in XML', async () => {
    // Signed for the cloudformation service, as an SDK would, so the endpoint routes it there.
    const response = await fetch(cloud.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization:
          'AWS4-HMAC-SHA256 Credential=oncely/20260101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: 'Action=FrobnicateStacks&Version=2010-05-15',
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain('<Code>InvalidAction</Code>');
    expect(body).toContain('FrobnicateStacks');
  });
});
