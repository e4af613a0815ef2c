import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  deliver,
  receive,
  sendBodies,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { POINTS_ENVIRONMENT } from '../../examples/points/src/config.js';
import { pointsConsumerOptions } from '../../examples/points/src/handlers/points-consumer.js';
import { ENVIRONMENT_VARIABLES } from '../../packages/runtime/src/config.js';
import { POISON_ATTRIBUTES } from '../../packages/runtime/src/core/envelope.js';
import { lambdaConsumer } from '../../packages/runtime/src/lambda.js';
import { testEnvelope } from '../support/consumer-fakes.js';
import { useConsumerResources } from '../support/consumer-hooks.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
const resources = useConsumerResources(cloud);

function environment(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    [ENVIRONMENT_VARIABLES.claimsTable]: resources.claimsTable,
    [ENVIRONMENT_VARIABLES.controlTable]: resources.controlTable,
    [ENVIRONMENT_VARIABLES.deadLetterQueueUrl]: resources.deadLetterQueueUrl,
    [ENVIRONMENT_VARIABLES.queueUrl]: resources.queueUrl,
    [POINTS_ENVIRONMENT.accountsTable]: resources.accountsTable,
    [POINTS_ENVIRONMENT.ledgerTable]: resources.ledgerTable,
    ...overrides,
  };
}

const pointsConsumer = (env: Record<string, string | undefined>) =>
  lambdaConsumer({
    ...pointsConsumerOptions,
    env,
    clients: cloud.clients,
    telemetry: new RecordingTelemetry(),
  });

describe('the points consumer (lambdaConsumer wired from the environment)', () => {
  it.each([undefined, 'claim'])('deducts through the configured tables in %s mode', async (mode) => {
    const handler = pointsConsumer(environment({ [ENVIRONMENT_VARIABLES.consumerMode]: mode }));
    const account = `entry-${mode ?? 'default'}`;
    await setBalance(cloud.clients.documents, resources, account, 10);
    const envelope = testEnvelope({ payload: { accountId: account, amount: 4, orderId: `${account}-o` } });
    await sendBodies(cloud.clients.sqs, resources, [envelope, envelope]);
    const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    const result = await deliver(handler, cloud.clients.sqs, resources, messages);
    expect(result.batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, account)).toBe(6);
  });

  it('takes envelopes only: a plain JSON deduction goes to the DLQ as envelope-invalid', async () => {
    const handler = pointsConsumer(environment());
    await cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: resources.queueUrl,
        MessageBody: JSON.stringify({ accountId: 'plain', amount: 1, orderId: 'plain-o' }),
      }),
    );
    const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    expect((await deliver(handler, cloud.clients.sqs, resources, messages)).batchItemFailures).toEqual([]);
    const [dead] = await receive(cloud.clients.sqs, resources.deadLetterQueueUrl, 10);
    expect(dead?.MessageAttributes?.[POISON_ATTRIBUTES.reason]?.StringValue).toBe('envelope-invalid');
  });

  it('fails the first invocation naming a missing or invalid variable, not the import or the creation', async () => {
    const missing = pointsConsumer(environment({ [ENVIRONMENT_VARIABLES.claimsTable]: undefined }));
    await expect(missing({ Records: [] })).rejects.toThrow(/ONCELY_CLAIMS_TABLE/);
    const own = pointsConsumer(environment({ [POINTS_ENVIRONMENT.ledgerTable]: undefined }));
    await expect(own({ Records: [] })).rejects.toThrow(new RegExp(POINTS_ENVIRONMENT.ledgerTable));
    const mode = pointsConsumer(environment({ [ENVIRONMENT_VARIABLES.consumerMode]: 'sometimes' }));
    await expect(mode({ Records: [] })).rejects.toThrow(/ONCELY_CONSUMER_MODE is 'sometimes'/);
  });
});
