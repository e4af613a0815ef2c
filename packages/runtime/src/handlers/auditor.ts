/**
 * The scheduled loss auditor. The schedule's input may override the defaults:
 * `{ "graceSeconds": 300, "compensate": true }`.
 */
import { createAuditDependencies } from '../adapters/aws-audit-dependencies.js';
import type { AwsClients } from '../adapters/aws-clients.js';
import type { Config } from '../config.js';
import type { AuditReport } from '../core/audit/audit-model.js';
import { runAudit } from '../core/audit/auditor.js';
import { handlerClients } from './handler-clients.js';
import { handlerTelemetry, type WiringOptions } from './handler-telemetry.js';

/** The auditor's input: the schedule's JSON, or an empty event. */
export interface AuditorEvent {
  /** Unconfirmed messages younger than this are in transit, not missing. @default 300 */
  readonly graceSeconds?: number;
  /** Re-publish missing messages from the outbox. @default true */
  readonly compensate?: boolean;
}

/** What one audit run returns (the full report is stored in the control table). */
export type AuditorResult = Pick<AuditReport, 'counts' | 'republished'>;

/**
 * Wires the auditor from `config`: claims, leases and control tables (required), the outbox, queue
 * and DLQ (optional: without the queues nothing is ever reported missing). Each run records
 * MessagesMissing and its companions through the telemetry, zero included.
 *
 * @example
 * const audit = createAuditor(loadConfig(), clients);
 * const { counts } = await audit({ graceSeconds: 0 });
 */
export function createAuditor(
  config: Config,
  clients?: AwsClients,
  options: WiringOptions = {},
): (event?: AuditorEvent) => Promise<AuditorResult> {
  const telemetry = handlerTelemetry(config, options);
  const dependencies = createAuditDependencies(
    handlerClients(config, clients),
    {
      claimsTable: config.require('claimsTable'),
      leasesTable: config.require('leasesTable'),
      controlTable: config.require('controlTable'),
      outboxTable: config.optional('outboxTable'),
      queueUrl: config.optional('queueUrl'),
      deadLetterQueueUrl: config.optional('deadLetterQueueUrl'),
    },
    { telemetry },
  );
  return async (event = {}) => {
    const report = await runAudit(dependencies, {
      graceSeconds: event.graceSeconds ?? 300,
      compensate: event.compensate ?? true,
    });
    const result = { counts: report.counts, republished: report.republished };
    telemetry.log('info', 'audit finished', result);
    return result;
  };
}
