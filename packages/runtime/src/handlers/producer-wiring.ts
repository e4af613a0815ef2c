/**
 * Wiring shared by the producer-side entry points (place-order, outbox relay, compensation), so
 * they name their metrics the same way and the two scheduled sweeps build the same parts.
 */
import type { AwsClients } from '../adapters/aws-clients.js';
import { createAwsProducer } from '../adapters/aws-producer.js';
import type { DynamoDbClaimStatusReader } from '../adapters/dynamodb-claim-status-reader.js';
import type { DynamoDbOutboxStore } from '../adapters/dynamodb-outbox-store.js';
import type { Config } from '../config.js';
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from '../core/pipeline-metrics.js';
import type { BatchingSender } from '../core/producer/batching-sender.js';
import { emfMetrics } from '../core/producer/emf-metrics.js';
import type { ProducerMetrics } from '../core/producer/ports.js';
import { handlerClients } from './handler-clients.js';

/** EMF producer metrics in the configured namespace, tagged with the configured service name. */
export function producerMetricsFrom(config: Config, defaultServiceName: string): ProducerMetrics {
  return emfMetrics({
    namespace: config.optional('metricsNamespace') ?? METRICS_NAMESPACE,
    dimensions: { [SERVICE_DIMENSION]: config.optional('serviceName') ?? defaultServiceName },
  });
}

/** What a scheduled outbox sweep reads from and sends through. */
export interface OutboxSweepParts {
  readonly store: DynamoDbOutboxStore;
  readonly sender: BatchingSender;
  readonly fifo: boolean;
  readonly metrics: ProducerMetrics;
}

/**
 * Builds the parts of an outbox sweep from config: the outbox store, the batching sender to the
 * queue and the metrics. With `claims`, also the reader of consumer claims (compensation needs it).
 */
export function wireOutboxSweep(
  config: Config,
  clients: AwsClients | undefined,
  sweep: { readonly serviceName: string; readonly claims: true },
): OutboxSweepParts & { readonly claims: DynamoDbClaimStatusReader };
export function wireOutboxSweep(
  config: Config,
  clients: AwsClients | undefined,
  sweep: { readonly serviceName: string; readonly claims?: false },
): OutboxSweepParts;
export function wireOutboxSweep(
  config: Config,
  clients: AwsClients | undefined,
  sweep: { readonly serviceName: string; readonly claims?: boolean },
): OutboxSweepParts & { readonly claims?: DynamoDbClaimStatusReader } {
  const aws = handlerClients(config, clients);
  // Sweeps never stamp, so they need no lease; the leases table only satisfies the wiring.
  const producer = createAwsProducer(aws, {
    queueUrl: config.require('queueUrl'),
    leasesTable: config.optional('leasesTable') ?? 'unused',
    outboxTable: config.require('outboxTable'),
    ...(sweep.claims ? { claimsTable: config.require('claimsTable') } : {}),
  });
  return {
    store: producer.outbox!,
    sender: producer.sender,
    fifo: producer.fifo,
    metrics: producerMetricsFrom(config, sweep.serviceName),
    ...(sweep.claims ? { claims: producer.claims! } : {}),
  };
}
