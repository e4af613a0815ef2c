/** Lambda entry point of the points service: `points.deduct` through the idempotent consumer. */
import type { SQSEvent } from 'aws-lambda';
import type { AwsClients } from '../adapters/aws-clients.js';
import { DynamoDbDegradationReader } from '../adapters/degradation-reader.js';
import { DynamoDbClaimStore } from '../adapters/dynamodb-claim-store.js';
import { EmfTelemetry } from '../adapters/emf-telemetry.js';
import { SqsMessageActions } from '../adapters/sqs-message-actions.js';
import { type Config, loadConfig } from '../config.js';
import { createConsumer, type InvocationContext, type SqsConsumerHandler } from '../core/consumer/index.js';
import { METRICS_NAMESPACE } from '../core/pipeline-metrics.js';
import { pointsDeductHandler } from '../core/points/points-deduct.js';
import { handlerClients } from './handler-clients.js';

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

export const handler = (event: SQSEvent, context: InvocationContext) => {
  consumer ??= createPointsConsumer(loadConfig());
  return consumer(event, context);
};
