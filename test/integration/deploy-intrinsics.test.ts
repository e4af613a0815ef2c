// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are CloudFormation Fn::Sub templates
import { describe, expect, it } from 'vitest';
import {
  IntrinsicResolver,
  NO_VALUE,
  type ResolvedResource,
  referencedLogicalIds,
} from '../../packages/local-cloud/src/deploy/intrinsics.js';

const resources: Record<string, ResolvedResource> = {
  Queue: {
    type: 'AWS::SQS::Queue',
    physicalId: 'http://127.0.0.1:4566/000000000000/q',
    attributes: { Arn: 'arn:aws:sqs:us-east-1:000000000000:q', QueueName: 'q' },
  },
  Rule: { type: 'AWS::Events::Rule', physicalId: 'rule-1', attributes: {} },
};

function resolver(warnings: string[] = []) {
  return new IntrinsicResolver({
    region: 'eu-west-1',
    accountId: '000000000000',
    stackName: 'S',
    stackId: 'arn:aws:cloudformation:eu-west-1:000000000000:stack/S/local',
    parameters: { Env: 'dev', Sizes: ['1', '2'] },
    mappings: { Sizes: { dev: { Memory: 256 } } },
    conditions: {
      IsDev: { 'Fn::Equals': [{ Ref: 'Env' }, 'dev'] },
      Both: { 'Fn::And': [{ Condition: 'IsDev' }, { 'Fn::Not': [{ 'Fn::Equals': ['a', 'b'] }] }] },
    },
    resource: (logicalId) => resources[logicalId],
    warn: (message) => warnings.push(message),
  });
}

describe('CloudFormation intrinsics', () => {
  it('resolves references, attributes in both GetAtt forms, and Sub with variables and escapes', () => {
    const value = resolver().resolve({
      url: { Ref: 'Queue' },
      arn: { 'Fn::GetAtt': 'Queue.Arn' },
      name: { 'Fn::GetAtt': ['Queue', 'QueueName'] },
      sub: { 'Fn::Sub': '${AWS::Region}/${Queue.QueueName}/${!Raw}' },
      subVars: { 'Fn::Sub': ['${Who}-${AWS::StackName}', { Who: { Ref: 'Env' } }] },
    });
    expect(value).toEqual({
      url: 'http://127.0.0.1:4566/000000000000/q',
      arn: 'arn:aws:sqs:us-east-1:000000000000:q',
      name: 'q',
      sub: 'eu-west-1/q/${Raw}',
      subVars: 'dev-S',
    });
  });

  it('evaluates conditions, If, FindInMap, Select over list parameters and Base64', () => {
    const value = resolver().resolve({
      both: { 'Fn::If': ['Both', 'yes', 'no'] },
      memory: { 'Fn::FindInMap': ['Sizes', { Ref: 'Env' }, 'Memory'] },
      second: { 'Fn::Select': ['1', { Ref: 'Sizes' }] },
      encoded: { 'Fn::Base64': 'hi' },
      zones: { 'Fn::GetAZs': { Ref: 'AWS::Region' } },
      partition: { 'Fn::Join': [':', [{ Ref: 'AWS::Partition' }, { Ref: 'AWS::URLSuffix' }]] },
    });
    expect(value).toEqual({
      both: 'yes',
      memory: 256,
      second: '2',
      encoded: 'aGk=',
      zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      partition: 'aws:amazonaws.com',
    });
  });

  it('removes AWS::NoValue from objects and lists', () => {
    const value = resolver().resolve({
      kept: 1,
      dropped: { Ref: 'AWS::NoValue' },
      list: ['a', { 'Fn::If': ['IsDev', { Ref: 'AWS::NoValue' }, 'b'] }],
    });
    expect(value).toEqual({ kept: 1, list: ['a'] });
    expect(resolver().resolve({ Ref: 'AWS::NoValue' })).toBe(NO_VALUE);
  });

  it('uses a placeholder, with a warning, for an attribute nobody knows', () => {
    const warnings: string[] = [];
    expect(resolver(warnings).resolve({ 'Fn::GetAtt': ['Rule', 'Arn'] })).toBe(
      'arn:aws:local:eu-west-1:000000000000:rule-1',
    );
    expect(warnings).toEqual([expect.stringContaining('Rule.Arn')]);
  });

  it('rejects imports, unknown functions, unknown references and out-of-range selects', () => {
    expect(() => resolver().resolve({ 'Fn::ImportValue': 'X' })).toThrow(/cross-stack/);
    expect(() => resolver().resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] })).toThrow(/Unsupported intrinsic/);
    expect(() => resolver().resolve({ Ref: 'Missing' })).toThrow(/Missing/);
    expect(() => resolver().resolve({ 'Fn::Select': [5, ['a']] })).toThrow(/out of range/);
  });

  it('keeps an IAM Condition block as data', () => {
    const statement = { Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
    expect(resolver().resolve(statement)).toEqual(statement);
    expect(resolver().resolve({ Condition: { Bool: { x: 'y' } } })).toEqual({
      Condition: { Bool: { x: 'y' } },
    });
  });

  it('finds the logical ids a value refers to, ignoring pseudo parameters and Sub variables', () => {
    const ids = referencedLogicalIds({
      a: { Ref: 'Queue' },
      b: { 'Fn::GetAtt': 'Table.Arn' },
      c: { 'Fn::Sub': ['${Fn.Arn}-${AWS::Region}-${Local}-${!Escaped}', { Local: { Ref: 'Topic' } }] },
      d: { Ref: 'AWS::AccountId' },
    });
    expect([...ids].sort()).toEqual(['Fn', 'Queue', 'Table', 'Topic']);
  });
});
