/** Lambda entry point of the points service: `points.deduct` through the idempotent consumer. */

import { createConsumer, type RemainingTimeContext, type SqsConsumerHandler } from '@oncely/runtime';
import type { AwsClients } from '@oncely/runtime/aws';
import {
  DynamoDbClaimStore,
  DynamoDbDegradationReader,
  EmfTelemetry,
  SqsMessageActions,
} from '@oncely/runtime/aws';
import { METRICS_NAMESPACE } from '@oncely/runtime/contract';
import { type Config, handlerClients, loadConfig } from '@oncely/runtime/lambda';
import type { SQSEvent } from 'aws-lambda';
import { pointsDeductHandler } from '../domain/points-deduct.js';

/** Wires the consumer from config; tests and benchmarks pass their own config and clients. */
export function createPointsConsumer(config: Config, clients?: AwsClients): SqsConsumerHandler {
  const mode = config.optional('consumerMode') ?? 'transactional';
  if (mode !== 'transactional' && mode !== 'claim')
    throw new Error(`Invalid configuration consumerMode: '${mode}' (transactional | claim)`);
  const aws = handlerClients(config, clients);
  return createConsumer({
    mode,
    handlers: [
      pointsDeductHandler({
        accountsTable: config.require('accountsTable'),
        ledgerTable: config.require('ledgerTable'),
      }),
    ],
    claims: new DynamoDbClaimStore(aws.documents, config.require('claimsTable')),
    messages: new SqsMessageActions(aws.sqs, {
      deadLetterQueueUrl: config.require('deadLetterQueueUrl'),
      sourceQueueUrl: config.optional('queueUrl'),
    }),
    degradation: new DynamoDbDegradationReader(aws.documents, config.require('controlTable')),
    telemetry: new EmfTelemetry({
      namespace: config.optional('metricsNamespace') ?? METRICS_NAMESPACE,
      service: config.optional('serviceName') ?? 'points-consumer',
    }),
  });
}

// Built on the first invocation and kept for the instance's life (clients, degradation cache).
let consumer: SqsConsumerHandler | undefined;

export const handler = (event: SQSEvent, context: RemainingTimeContext) => {
  consumer ??= createPointsConsumer(loadConfig());
  return consumer(event, context);
};
