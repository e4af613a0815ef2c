/**
 * The scheduled outbox relay: publishes outbox items the eager publish missed and marks them SENT.
 * The schedule's input may override `{ "minAgeSeconds": 5, "limit": 500 }`.
 */
import type { AwsClients } from '../adapters/aws-clients.js';
import type { Config } from '../config.js';
import { type RelaySweepReport, relayPendingOutbox } from '../core/producer/outbox-relay.js';
import { handlerClients } from './handler-clients.js';
import { handlerTelemetry, type WiringOptions } from './handler-telemetry.js';
import { wireOutboxSweep } from './outbox-sweep-wiring.js';

/** The relay's input: the schedule's JSON, or an empty event. */
export interface RelayEvent {
  /** Leave items younger than this to the eager publish. @default 5 */
  readonly minAgeSeconds?: number;
  /** Items per sweep. @default 500 */
  readonly limit?: number;
}

/**
 * Wires the relay sweep from `config`: queue URL and outbox table (required).
 *
 * @example
 * const relay = createOutboxRelay(loadConfig(), clients);
 * const { published } = await relay({ minAgeSeconds: 0 });
 */
export function createOutboxRelay(
  config: Config,
  clients?: AwsClients,
  options: WiringOptions = {},
): (event?: RelayEvent) => Promise<RelaySweepReport> {
  const telemetry = handlerTelemetry(config, options);
  const sweep = wireOutboxSweep(config, handlerClients(config, clients), telemetry);
  return async (event = {}) => {
    const report = await relayPendingOutbox({
      ...sweep,
      ...(event.minAgeSeconds !== undefined ? { minAgeMs: event.minAgeSeconds * 1000 } : {}),
      ...(event.limit !== undefined ? { limit: event.limit } : {}),
    });
    telemetry.log('info', 'outbox relay sweep', { ...report });
    return report;
  };
}
