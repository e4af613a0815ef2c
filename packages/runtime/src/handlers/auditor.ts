/**
 * Scheduled loss auditor. The schedule's input may override the defaults:
 * `{ "graceSeconds": 300, "compensate": true }`.
 */
import { createAuditDependencies } from '../adapters/aws-audit-dependencies.js';
import { loadConfig } from '../config.js';
import type { AuditReport } from '../core/audit/audit-model.js';
import { runAudit } from '../core/audit/auditor.js';
import { handlerClients } from './handler-clients.js';

const config = loadConfig();
const clients = handlerClients(config);
const dependencies = createAuditDependencies(clients, {
  claimsTable: config.require('claimsTable'),
  leasesTable: config.require('leasesTable'),
  controlTable: config.require('controlTable'),
  outboxTable: config.optional('outboxTable'),
  queueUrl: config.optional('queueUrl'),
  deadLetterQueueUrl: config.optional('deadLetterQueueUrl'),
  serviceName: config.optional('serviceName'),
  metricsNamespace: config.optional('metricsNamespace'),
});

export interface AuditorEvent {
  readonly graceSeconds?: number;
  readonly compensate?: boolean;
}

export async function handler(
  event: AuditorEvent = {},
): Promise<Pick<AuditReport, 'counts' | 'republished'>> {
  const report = await runAudit(dependencies, {
    graceSeconds: event.graceSeconds ?? 300,
    compensate: event.compensate ?? true,
  });
  console.log(
    JSON.stringify({ message: 'audit finished', counts: report.counts, republished: report.republished }),
  );
  return { counts: report.counts, republished: report.republished };
}
