/**
 * Scheduled compensation sweep: re-publishes outbox (and send-log) items whose consumer claim is
 * not COMPLETED/REJECTED by the deadline, a bounded number of times. The input may override
 * `{ "deadlineSeconds": 300, "maxAttempts": 3 }`, or name envelope `ids` to re-publish now.
 */
import type { AwsClients } from '../adapters/aws-clients.js';
import { type Config, loadConfig } from '../config.js';
import {
  type CompensationReport,
  compensateUnacknowledged,
  republishFromOutbox,
} from '../core/producer/compensation.js';
import { wireOutboxSweep } from './producer-wiring.js';

export interface CompensationEvent {
  readonly deadlineSeconds?: number;
  readonly maxAttempts?: number;
  readonly ids?: readonly string[];
}

export function createCompensation(
  config: Config,
  clients?: AwsClients,
): (event?: CompensationEvent) => Promise<CompensationReport> {
  const sweep = wireOutboxSweep(config, clients, { serviceName: 'compensation', claims: true });
  return (event = {}) => {
    const options = {
      ...sweep,
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
