/**
 * The scheduled compensation sweep: re-publishes outbox (and send-log) items whose consumer claim
 * is not COMPLETED/REJECTED by the deadline, a bounded number of times. The input may override
 * `{ "deadlineSeconds": 300, "maxAttempts": 3 }`, or name envelope `ids` to re-publish now.
 */
import type { AwsClients } from '../adapters/aws-clients.js';
import { DynamoDbClaimStatusReader } from '../adapters/dynamodb-claim-status-reader.js';
import type { Config } from '../config.js';
import {
  type CompensationReport,
  compensateUnacknowledged,
  republishFromOutbox,
} from '../core/producer/compensation.js';
import { handlerClients } from './handler-clients.js';
import { handlerTelemetry, type WiringOptions } from './handler-telemetry.js';
import { wireOutboxSweep } from './outbox-sweep-wiring.js';

/** The compensation sweep's input: the schedule's JSON, or ids to re-publish now. */
export interface CompensationEvent {
  /** An item is overdue this long after it was sent. @default 300 */
  readonly deadlineSeconds?: number;
  /** Re-sends per item before it is marked EXHAUSTED. @default 3 */
  readonly maxAttempts?: number;
  /** Re-publish these envelope ids now (e.g. ones the auditor reported missing) instead of sweeping. */
  readonly ids?: readonly string[];
}

/**
 * Wires the compensation sweep from `config`: queue URL, outbox and claims tables (required).
 *
 * @example
 * const compensate = createCompensation(loadConfig(), clients);
 * const { republished } = await compensate({ deadlineSeconds: 60 });
 */
export function createCompensation(
  config: Config,
  clients?: AwsClients,
  options: WiringOptions = {},
): (event?: CompensationEvent) => Promise<CompensationReport> {
  const aws = handlerClients(config, clients);
  const telemetry = handlerTelemetry(config, options);
  const sweep = {
    ...wireOutboxSweep(config, aws, telemetry),
    claims: new DynamoDbClaimStatusReader(aws.documents, config.require('claimsTable')),
  };
  return async (event = {}) => {
    const options = {
      ...sweep,
      ...(event.deadlineSeconds !== undefined ? { deadlineMs: event.deadlineSeconds * 1000 } : {}),
      ...(event.maxAttempts !== undefined ? { maxAttempts: event.maxAttempts } : {}),
    };
    const report = event.ids
      ? await republishFromOutbox(event.ids, options)
      : await compensateUnacknowledged(options);
    telemetry.log('info', 'compensation sweep', { ...report });
    return report;
  };
}
