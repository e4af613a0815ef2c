/**
 * Scheduled outbox relay: publishes outbox items the eager publish missed and marks them SENT.
 * The schedule's input may override `{ "minAgeSeconds": 5, "limit": 500 }`.
 */
import type { AwsClients } from '../adapters/aws-clients.js';
import { type Config, loadConfig } from '../config.js';
import { type RelaySweepReport, relayPendingOutbox } from '../core/producer/outbox-relay.js';
import { wireOutboxSweep } from './producer-wiring.js';

export interface RelayEvent {
  readonly minAgeSeconds?: number;
  readonly limit?: number;
}

export function createOutboxRelay(
  config: Config,
  clients?: AwsClients,
): (event?: RelayEvent) => Promise<RelaySweepReport> {
  const sweep = wireOutboxSweep(config, clients, { serviceName: 'outbox-relay' });
  return (event = {}) =>
    relayPendingOutbox({
      ...sweep,
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
