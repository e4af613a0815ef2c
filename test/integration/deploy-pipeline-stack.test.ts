import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizePipeline } from '../../examples/points/src/synthesize.js';
import {
  type CloudFormationTemplate,
  type DeploySummary,
  deployTemplate,
} from '../../packages/local-cloud/src/deploy/template-deployer.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';

/** Types the compute/storage deployer must create itself; anything else may be another emulator's. */
const CORE_TYPES = [
  'AWS::SQS::Queue',
  'AWS::DynamoDB::Table',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
];
/** Types handed to the CloudWatch/EventBridge/SNS emulator, unsupported until it registers handlers. */
const DELEGATED_TYPES = [
  'AWS::Events::Rule',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
];

let cloud: TestCloud;
let outdir: string;
let template: CloudFormationTemplate;
let summary: DeploySummary;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'oncely-deploy-test-'));
  const synthesis = synthesizePipeline({ outdir });
  template = synthesis.template as unknown as CloudFormationTemplate;
  cloud = await startTestCloud();
  summary = await deployTemplate(cloud.local!, template, {
    assetDir: synthesis.outdir,
    stackName: synthesis.stackName,
  });
}, 240_000);
afterAll(async () => {
  await cloud?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

describe('deployTemplate with the synthesized PipelineStack', () => {
  it('creates every queue, table, function and event source mapping of the stack', () => {
    const core = Object.entries(template.Resources).filter(([, resource]) =>
      CORE_TYPES.includes(resource.Type),
    );
    expect(core.length).toBeGreaterThanOrEqual(4);
    for (const [logicalId] of core) {
      expect({ logicalId, status: summary.resources[logicalId]?.status }).toEqual({
        logicalId,
        status: 'created',
      });
    }
  });

  it('leaves only delegated types unsupported, each with a warning', () => {
    for (const entry of summary.unsupported) {
      expect(DELEGATED_TYPES).toContain(entry.type);
      expect(entry.warning).toContain(entry.logicalId);
    }
  });

  it('resolves every function environment variable to a plain string', () => {
    const lambda = cloud.local!.services.lambda as LambdaService;
    const functions = Object.entries(summary.resources).filter(
      ([, resource]) => resource.type === 'AWS::Lambda::Function',
    );
    // Without functions the loop below would pass without checking anything.
    expect(functions.length).toBeGreaterThan(0);
    for (const [, resource] of functions) {
      const definition = lambda.getFunction(resource.physicalId)!;
      for (const value of Object.values(definition.environment)) {
        expect(typeof value).toBe('string');
        expect(value).not.toContain('[object');
      }
    }
  });

  it('points the consumer mapping at the deployed queue with partial batch responses', async () => {
    const queueUrl = String(summary.outputs.QueueUrl);
    const { Attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const { EventSourceMappings = [] } = await cloud.clients.lambda.send(
      new ListEventSourceMappingsCommand({ EventSourceArn: Attributes!.QueueArn }),
    );
    expect(EventSourceMappings).toHaveLength(1);
    expect(EventSourceMappings[0]?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(EventSourceMappings[0]?.State).toBe('Enabled');
  });

  it('runs the synthesized consumer bundle: an empty batch succeeds with no failures', async () => {
    const lambda = cloud.local!.services.lambda as LambdaService;
    const consumer = String(summary.outputs.ConsumerFunctionName);
    const result = await lambda.invokeFunction(consumer, { Records: [] });
    expect(result.functionError).toBeUndefined();
    expect(JSON.parse(result.payload)).toEqual({ batchItemFailures: [] });
  });
});
