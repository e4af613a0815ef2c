/**
 * The DynamoDB conformance suite (test/conformance/dynamodb-*.test.ts) run a second time, against
 * AWS's DynamoDB Local instead of the embedded emulator: each file is imported here with
 * CONFORMANCE_ENDPOINT pointing at DynamoDB Local, so every case that pins an AWS behaviour is
 * checked against AWS's own implementation too. Cases where DynamoDB Local is known to differ
 * from AWS skip themselves there (`onDynamoDbLocal()`), naming the deviation.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type DynamoDbLocal,
  freeLoopbackPort,
  ORACLE_ACCESS_KEY,
  oracleUnavailableReason,
  startDynamoDbLocal,
} from '../support/dynamodb-local.js';

const unavailable = oracleUnavailableReason();

if (unavailable) {
  console.warn(`dynamodb-local-conformance: ${unavailable}`);
  describe.skip('DynamoDB conformance suite on DynamoDB Local', () => {
    it(unavailable, () => {});
  });
} else {
  // Set before the conformance files are imported: test/support/local-cloud.ts reads the endpoint
  // when it is loaded, and the SDK reads the credentials (any will do) when it signs.
  const port = await freeLoopbackPort();
  const saved = { ...process.env };
  process.env.CONFORMANCE_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.CONFORMANCE_TARGET = 'dynamodb-local';
  process.env.AWS_ACCESS_KEY_ID = ORACLE_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = 'oracle';
  process.env.AWS_REGION = 'us-east-1';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  let oracle: DynamoDbLocal | undefined;
  beforeAll(async () => {
    oracle = await startDynamoDbLocal({ port });
    console.log(`DynamoDB Local ready on ${oracle.endpoint} in ${oracle.startupMs} ms`);
  }, 300_000);
  afterAll(async () => {
    await oracle?.stop();
    for (const name of [
      'CONFORMANCE_ENDPOINT',
      'CONFORMANCE_TARGET',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_REGION',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
    ]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  describe('dynamodb-capacity on DynamoDB Local', async () => {
    await import('../conformance/dynamodb-capacity.test.js');
  });
  describe('dynamodb-errors on DynamoDB Local', async () => {
    await import('../conformance/dynamodb-errors.test.js');
  });
  describe('dynamodb-items on DynamoDB Local', async () => {
    await import('../conformance/dynamodb-items.test.js');
  });
  describe('dynamodb-query-scan on DynamoDB Local', async () => {
    await import('../conformance/dynamodb-query-scan.test.js');
  });
  describe('dynamodb-tables on DynamoDB Local', async () => {
    await import('../conformance/dynamodb-tables.test.js');
  });
  describe('dynamodb-transactions on DynamoDB Local', async () => {
    await import('../conformance/dynamodb-transactions.test.js');
  });
  describe('dynamodb-validation on DynamoDB Local', async () => {
    await import('../conformance/dynamodb-validation.test.js');
  });
  describe('dynamodb-updates on DynamoDB Local', async () => {
    await import('../conformance/dynamodb-updates.test.js');
  });
}
