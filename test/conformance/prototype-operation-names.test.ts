/**
 * Operation names come from the client (`X-Amz-Target`, query `Action`); names that exist on every
 * JavaScript object must be unknown operations, not a crash or a call into Object.prototype.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
 */
import { describe, expect, it } from 'vitest';
import { externalEndpoint } from '../support/local-cloud.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();

async function call(target: string): Promise<{ status: number; type: string }> {
  const response = await fetch(cloud.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
    body: '{}',
  });
  const body = (await response.json()) as { __type?: string };
  return { status: response.status, type: body.__type ?? '' };
}

describe.runIf(!externalEndpoint)('operation names that are Object.prototype members', () => {
  for (const target of [
    'DynamoDB_20120810.toString',
    'DynamoDB_20120810.constructor',
    'AmazonSQS.hasOwnProperty',
  ]) {
    it(`${target} is an unknown operation (400), and the server keeps serving`, async () => {
      const result = await call(target);
      expect(result.status).toBe(400);
      expect(result.type).toMatch(/UnknownOperation/);
      expect((await call('DynamoDB_20120810.ListTables')).status).toBe(200);
    });
  }
});
