import type { AuditReport } from '@oncely/runtime';
import { runAudit } from '@oncely/runtime';
import { createAuditDependencies, EmfTelemetry } from '@oncely/runtime/aws';
import {
  AWS_OPTIONS,
  AWS_OPTIONS_USAGE,
  type Command,
  formatTable,
  integerOption,
  positiveIntegerOption,
  progress,
} from '../command.js';
import { RESOURCE_OPTIONS, RESOURCE_OPTIONS_USAGE, withPipeline } from '../stack-resources.js';

/** Exit code of `--fail-on-missing` when the audit found lost messages. */
const EXIT_MESSAGES_MISSING = 4;

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Find lost messages: gaps in producer streams, classified; optionally re-publish them',
  usage: `Usage: oncely audit [--grace SECONDS] [--compensate] [--since SEQ] [options]

Walks every producer stream through the claims table's byProducer index from its checkpoint,
finds sequence gaps older than the grace period and tail loss against the lease's high-water
mark, and classifies each unconfirmed message: in-flight, queued, dead-lettered, unsent (outbox)
or missing. Only 'missing' is loss. Peeks at the queues only when something is overdue (a peek
counts as a receive). Stores the report in the control table (read by 'oncely status').

Options:
  --grace SECONDS       unconfirmed messages younger than this are not judged (default 300)
  --compensate          re-publish missing messages from the outbox, original envelope unchanged
  --max-attempts N      re-publish attempts per message before giving up (default 3)
  --since SEQ           re-walk every stream from SEQ instead of its checkpoint (0 = whole history)
  --max-peek N          most messages peeked per queue (default 1000)
  --metrics             also write MessagesMissing & co. as CloudWatch EMF lines on stderr (for runs
                        whose logs CloudWatch Logs collects; the scheduled auditor does this itself)
  --service NAME        the metrics' service dimension (default oncely)
  --fail-on-missing     exit ${EXIT_MESSAGES_MISSING} when missing messages were found
${AWS_OPTIONS_USAGE}
${RESOURCE_OPTIONS_USAGE}
  -h, --help            show this help`,
  options: {
    ...AWS_OPTIONS,
    ...RESOURCE_OPTIONS,
    grace: { type: 'string' },
    compensate: { type: 'boolean' },
    'max-attempts': { type: 'string' },
    since: { type: 'string' },
    'max-peek': { type: 'string' },
    metrics: { type: 'boolean' },
    service: { type: 'string' },
    'fail-on-missing': { type: 'boolean' },
  },
  async run(values) {
    const graceSeconds = integerOption(values, 'grace', 300);
    const maxAttempts = positiveIntegerOption(values, 'max-attempts', 3);
    const maxPeek = positiveIntegerOption(values, 'max-peek', 1000);
    const fromSeq = values.since === undefined ? undefined : integerOption(values, 'since', 0);
    const report = await withPipeline(values, async (context) => {
      const dependencies = createAuditDependencies(
        context.clients,
        {
          claimsTable: context.require('claimsTable'),
          leasesTable: context.require('leasesTable'),
          controlTable: context.require('controlTable'),
          outboxTable: context.optional('outboxTable'),
          queueUrl: context.optional('queueUrl'),
          deadLetterQueueUrl: context.optional('deadLetterQueueUrl'),
          maxPeek,
        },
        {
          progress,
          ...(values.metrics
            ? {
                telemetry: new EmfTelemetry({
                  service: (values.service as string | undefined) ?? 'oncely',
                  write: (line) => process.stderr.write(`${line}\n`),
                }),
              }
            : {}),
        },
      );
      return runAudit(dependencies, {
        graceSeconds,
        maxAttempts,
        compensate: values.compensate === true,
        ...(fromSeq === undefined ? {} : { fromSeq }),
      });
    });
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else console.log(renderReport(report));
    return values['fail-on-missing'] && report.counts.missing > 0 ? EXIT_MESSAGES_MISSING : 0;
  },
};

/** The report for people: per-stream progress, then every finding. */
function renderReport(report: AuditReport): string {
  const lines = [
    `Audit ${report.finishedAt} (grace ${report.graceSeconds}s): ${report.counts.missing} missing, ` +
      `${report.counts['in-flight']} in flight, ${report.counts.queued} queued, ` +
      `${report.counts['dead-lettered']} dead-lettered, ${report.counts.unsent} unsent`,
    `Compensation: ${report.republished} re-published, ${report.compensationExhausted} exhausted, ` +
      `${report.unrecoverable} without an outbox copy`,
    '',
    report.streams.length
      ? formatTable(
          report.streams.map((stream) => ({ ...stream, conflicted: stream.conflicted ? 'yes' : '' })),
          ['producer', 'confirmedSeq', 'highWater', 'pending', 'claimsRead', 'conflicted'],
        )
      : 'No producer streams to audit.',
  ];
  if (report.findings.length) {
    lines.push(
      '',
      formatTable(
        report.findings.map((finding) => ({ ...finding })),
        ['producer', 'seq', 'classification', 'id', 'compensation'],
      ),
    );
    if (report.findingsTruncated) lines.push('(more findings than shown; see --json)');
  }
  return lines.join('\n');
}
