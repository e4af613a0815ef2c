import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  deliver,
  receive,
  sendBodies,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { createPointsConsumer } from '../../examples/points/src/handlers/points-consumer.js';
import { ENVIRONMENT_VARIABLES, loadConfig } from '../../packages/runtime/src/config.js';
import { testEnvelope } from '../support/consumer-fakes.js';
import { useConsumerResources } from '../support/consumer-hooks.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();
const resources = useConsumerResources(cloud);

function environment(mode?: string): NodeJS.ProcessEnv {
  return {
    [ENVIRONMENT_VARIABLES.claimsTable]: resources.claimsTable,
    [ENVIRONMENT_VARIABLES.accountsTable]: resources.accountsTable,
    [ENVIRONMENT_VARIABLES.ledgerTable]: resources.ledgerTable,
    [ENVIRONMENT_VARIABLES.controlTable]: resources.controlTable,
    [ENVIRONMENT_VARIABLES.deadLetterQueueUrl]: resources.deadLetterQueueUrl,
    ...(mode ? { [ENVIRONMENT_VARIABLES.consumerMode]: mode } : {}),
  };
}

describe('points consumer entry point', () => {
  it.each([undefined, 'claim'])('deducts through the configured tables in %s mode', async (mode) => {
    const handler = createPointsConsumer(loadConfig(environment(mode)), cloud.clients);
    const account = `entry-${mode ?? 'default'}`;
    await setBalance(cloud.clients.documents, resources, account, 10);
    const envelope = testEnvelope({ payload: { accountId: account, amount: 4, orderId: `${account}-o` } });
    await sendBodies(cloud.clients.sqs, resources, [envelope, envelope]);
    const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    const result = await deliver(handler, cloud.clients.sqs, resources, messages);
    expect(result.batchItemFailures).toEqual([]);
    expect(await balanceOf(cloud.clients.documents, resources, account)).toBe(6);
  });

  it('refuses an unknown consumer mode at startup, naming the setting', () => {
    expect(() => createPointsConsumer(loadConfig(environment('sometimes')), cloud.clients)).toThrow(
      /consumerMode/,
    );
  });
});
