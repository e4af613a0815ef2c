/**
 * Scheduled outbox relay: publishes outbox items the eager publish missed and marks them SENT.
 * The schedule's input may override `{ "minAgeSeconds": 5, "limit": 500 }`.
 */
import { type AwsClients, createAwsClients } from '../adapters/aws-clients.js';
import { createAwsProducer } from '../adapters/aws-producer.js';
import { type Config, loadConfig } from '../config.js';
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from '../core/pipeline-metrics.js';
import { emfMetrics } from '../core/producer/emf-metrics.js';
import { type RelaySweepReport, relayPendingOutbox } from '../core/producer/outbox-relay.js';

export interface RelayEvent {
  readonly minAgeSeconds?: number;
  readonly limit?: number;
}

export function createOutboxRelay(
  config: Config,
  clients?: AwsClients,
): (event?: RelayEvent) => Promise<RelaySweepReport> {
  const aws =
    clients ?? createAwsClients({ region: config.optional('region'), endpoint: config.optional('endpoint') });
  // The relay never stamps, so it needs no lease; the leases table only satisfies the wiring.
  const producer = createAwsProducer(aws, {
    queueUrl: config.require('queueUrl'),
    leasesTable: config.optional('leasesTable') ?? 'unused',
    outboxTable: config.require('outboxTable'),
  });
  const metrics = emfMetrics({
    namespace: config.optional('metricsNamespace') ?? METRICS_NAMESPACE,
    dimensions: { [SERVICE_DIMENSION]: config.optional('serviceName') ?? 'outbox-relay' },
  });
  return (event = {}) =>
    relayPendingOutbox({
      store: producer.outbox!,
      sender: producer.sender,
      fifo: producer.fifo,
      metrics,
      ...(event.minAgeSeconds !== undefined ? { minAgeMs: event.minAgeSeconds * 1000 } : {}),
      ...(event.limit !== undefined ? { limit: event.limit } : {}),
    });
}

let relayOnce: ((event?: RelayEvent) => Promise<RelaySweepReport>) | undefined;

export const handler = async (event: RelayEvent = {}): Promise<RelaySweepReport> => {
  relayOnce ??= createOutboxRelay(loadConfig());
  const report = await relayOnce(event);
  console.log(JSON.stringify({ message: 'outbox relay sweep', ...report }));
  return report;
};
