/**
 * Scheduled compensation sweep: re-publishes outbox (and send-log) items whose consumer claim is
 * not COMPLETED/REJECTED by the deadline, a bounded number of times. The input may override
 * `{ "deadlineSeconds": 300, "maxAttempts": 3 }`, or name envelope `ids` to re-publish now.
 */
import { type AwsClients, createAwsClients } from '../adapters/aws-clients.js';
import { createAwsProducer } from '../adapters/aws-producer.js';
import { type Config, loadConfig } from '../config.js';
import { METRICS_NAMESPACE, SERVICE_DIMENSION } from '../core/pipeline-metrics.js';
import {
  type CompensationReport,
  compensateUnacknowledged,
  republishFromOutbox,
} from '../core/producer/compensation.js';
import { emfMetrics } from '../core/producer/emf-metrics.js';

export interface CompensationEvent {
  readonly deadlineSeconds?: number;
  readonly maxAttempts?: number;
  readonly ids?: readonly string[];
}

export function createCompensation(
  config: Config,
  clients?: AwsClients,
): (event?: CompensationEvent) => Promise<CompensationReport> {
  const aws =
    clients ?? createAwsClients({ region: config.optional('region'), endpoint: config.optional('endpoint') });
  const producer = createAwsProducer(aws, {
    queueUrl: config.require('queueUrl'),
    leasesTable: config.optional('leasesTable') ?? 'unused',
    outboxTable: config.require('outboxTable'),
    claimsTable: config.require('claimsTable'),
  });
  const metrics = emfMetrics({
    namespace: config.optional('metricsNamespace') ?? METRICS_NAMESPACE,
    dimensions: { [SERVICE_DIMENSION]: config.optional('serviceName') ?? 'compensation' },
  });
  return (event = {}) => {
    const options = {
      store: producer.outbox!,
      claims: producer.claims!,
      sender: producer.sender,
      fifo: producer.fifo,
      metrics,
      ...(event.deadlineSeconds !== undefined ? { deadlineMs: event.deadlineSeconds * 1000 } : {}),
      ...(event.maxAttempts !== undefined ? { maxAttempts: event.maxAttempts } : {}),
    };
    return event.ids ? republishFromOutbox(event.ids, options) : compensateUnacknowledged(options);
  };
}

let compensateOnce: ((event?: CompensationEvent) => Promise<CompensationReport>) | undefined;

export const handler = async (event: CompensationEvent = {}): Promise<CompensationReport> => {
  compensateOnce ??= createCompensation(loadConfig());
  const report = await compensateOnce(event);
  console.log(JSON.stringify({ message: 'compensation sweep', ...report }));
  return report;
};
