/**
 * Differential run against AWS's DynamoDB Local: seeded random requests, valid and invalid, sent
 * to the embedded emulator and to DynamoDB Local; every difference must be one of DynamoDB
 * Local's known deviations (dynamodb-local-deviations.ts), or the test fails and lists it.
 * DIFFERENTIAL_SEED and DIFFERENTIAL_OPERATIONS change the run; DIFFERENTIAL_REPORT=<file> writes
 * every unexplained difference there as JSON.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/server.js';
import {
  type DynamoDbLocal,
  dynamoDbRequest,
  oracleUnavailableReason,
  startDynamoDbLocal,
} from '../support/dynamodb-local.js';
import { type DifferentialReport, runDifferential } from './differential-run.js';
import { DYNAMODB_LOCAL_DEVIATIONS } from './dynamodb-local-deviations.js';

const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 20_251_101);
const OPERATIONS = Number(process.env.DIFFERENTIAL_OPERATIONS ?? 3_200);
const unavailable = oracleUnavailableReason();
if (unavailable) console.warn(`dynamodb-differential: ${unavailable}`);

if (unavailable) {
  describe.skip('DynamoDB Local differential run', () => {
    it(unavailable, () => {});
  });
}

describe.skipIf(unavailable !== undefined)('DynamoDB Local differential run', () => {
  let oracle: DynamoDbLocal;
  let local: LocalCloud;

  beforeAll(async () => {
    [oracle, local] = await Promise.all([startDynamoDbLocal(), startLocalCloud({ port: 0 })]);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([oracle?.stop(), local?.stop()]);
  });

  it(`agrees on ${OPERATIONS} seeded operations except for DynamoDB Local's known deviations`, async () => {
    const report: DifferentialReport = await runDifferential({
      local: (operation, body) => dynamoDbRequest(local.endpoint, operation, body),
      oracle: (operation, body) => dynamoDbRequest(oracle.endpoint, operation, body),
      seed: SEED,
      operations: OPERATIONS,
      prefix: `diff${Date.now().toString(36)}`,
      deviations: DYNAMODB_LOCAL_DEVIATIONS,
    });
    const explained = Object.values(report.explained).reduce((sum, count) => sum + count, 0);
    console.log(
      [
        `DynamoDB differential run (seed ${SEED}, DynamoDB Local started in ${oracle.startupMs} ms):`,
        `  ${report.operations} operations (${report.requests} requests) in ${report.millis} ms: ${JSON.stringify(report.byKind)}`,
        `  ${report.agreed} agreed; ${explained} explained differences ${JSON.stringify(report.explained)}; ${report.unexplained.length} unexplained`,
        `  ${report.messageMismatches} errors with the same code but other words (not compared); ${report.storedItems} items stored at the end`,
      ].join('\n'),
    );
    const shown = report.unexplained.slice(0, 25).map((difference) =>
      JSON.stringify({
        stage: difference.stage,
        operation: difference.operation.operation,
        body: difference.operation.body,
        local: difference.local,
        oracle: difference.oracle,
      }).slice(0, 3_000),
    );
    if (process.env.DIFFERENTIAL_REPORT) {
      writeFileSync(process.env.DIFFERENTIAL_REPORT, JSON.stringify(report.unexplained, null, 1));
    }
    if (shown.length > 0)
      console.log(`Unexplained differences (first ${shown.length}):\n${shown.join('\n')}`);
    expect(report.operations).toBeGreaterThanOrEqual(3_000);
    expect(report.unexplained.length, 'unexplained differences from DynamoDB Local').toBe(0);
  }, 600_000);
});
