/**
 * Issue 12, through the real SDK and the local cloud: a lone surrogate (JSON-escaped, which SQS
 * accepts as plain ASCII) and U+FFFD reach the DLQ as payload-invalid instead of the ledger, and
 * a body that is not JSON is dead-lettered without quoting it.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  deliver,
  provisionConsumerResources,
  realConsumer,
  receive,
  sendBodies,
  setBalance,
} from '../../examples/points/src/bench/consumer-resources.js';
import { listDeadLetters } from '../../packages/runtime/src/adapters/sqs-dead-letter-queue.js';
import { testEnvelope } from '../support/consumer-fakes.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const cloud = useTestCloud();

describe('bad text and secrets against the local cloud', () => {
  it('dead-letters lone surrogates and U+FFFD as payload-invalid, and quotes no body', async () => {
    const resources = await provisionConsumerResources(cloud.clients, { prefix: `${cloud.prefix}-text` });
    const telemetry = new RecordingTelemetry();
    const { handler } = realConsumer(cloud.clients, resources, { telemetry });
    await setBalance(cloud.clients.documents, resources, 'text', 100);
    const payload = (orderId: string) => ({ accountId: 'text', amount: 1, orderId });
    const surrogate = JSON.stringify(testEnvelope({ payload: payload('PLACEHOLDER') })).replace(
      'PLACEHOLDER',
      '\\ud800',
    );
    const replaced = JSON.stringify(testEnvelope({ payload: payload('order-\ufffd') }));
    await sendBodies(cloud.clients.sqs, resources, [surrogate, replaced, 'not json SECRET-4111111111111111']);
    const messages = await receive(cloud.clients.sqs, resources.queueUrl, 10);
    expect(messages).toHaveLength(3);
    expect((await deliver(handler, cloud.clients.sqs, resources, messages)).batchItemFailures).toEqual([]);

    const ledger = await cloud.clients.documents.send(new ScanCommand({ TableName: resources.ledgerTable }));
    expect(ledger.Items ?? []).toEqual([]);
    const letters = await listDeadLetters(cloud.clients.sqs, resources.deadLetterQueueUrl, 10);
    expect(letters.map((letter) => letter.reason).sort()).toEqual([
      'body-not-json',
      'payload-invalid',
      'payload-invalid',
    ]);
    expect(JSON.stringify(letters)).not.toMatch(/SECRET|4111/);
    expect(JSON.stringify(telemetry.logs)).not.toMatch(/SECRET|4111/);
  });
});
