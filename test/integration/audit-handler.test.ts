import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudWatchService } from '../../packages/local-cloud/src/cloudwatch/service.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { ENVIRONMENT_VARIABLES as ENV } from '../../packages/runtime/src/config.js';
import {
  METRICS_NAMESPACE,
  PIPELINE_METRICS,
  SERVICE_DIMENSION,
} from '../../packages/runtime/src/core/pipeline-metrics.js';
import { captureStdout } from '../support/capture-stdout.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { type AuditPipeline, createAuditPipeline, drain, publish } from './audit-pipeline.js';

describe('built-in auditor handler', () => {
  let cloud: TestCloud;
  let pipeline: AuditPipeline;
  const saved = { ...process.env };

  beforeAll(async () => {
    cloud = await startTestCloud();
    pipeline = await createAuditPipeline(cloud);
    // The handler reads its configuration at cold start, as in Lambda.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      [ENV.endpoint]: cloud.endpoint,
      [ENV.queueUrl]: pipeline.queueUrl,
      [ENV.deadLetterQueueUrl]: pipeline.deadLetterQueueUrl,
      [ENV.claimsTable]: pipeline.tables.claims,
      [ENV.outboxTable]: pipeline.tables.outbox,
      [ENV.leasesTable]: pipeline.tables.leases,
      [ENV.controlTable]: pipeline.tables.control,
      [ENV.serviceName]: 'audit-test',
      [ENV.metricsNamespace]: METRICS_NAMESPACE,
    });
  });
  afterAll(async () => {
    process.env = saved;
    await cloud.stop();
  });

  it('audits, re-publishes what is missing and publishes MessagesMissing', async () => {
    await publish(cloud, pipeline, '1-1', [1, 2, 3, 4]);
    await drain(cloud, pipeline.queueUrl, (seq) => (seq === 2 ? 'lose' : 'consume'), pipeline);
    const { auditorHandler: handler } = await import('../../packages/runtime/src/lambda.js');
    // The function's log: its EMF lines reach CloudWatch as Lambda's would.
    const log = captureStdout();
    const result = await handler({ graceSeconds: 0 }).finally(() => log.restore());
    expect(result.counts.missing).toBe(1);
    expect(result.republished).toBe(1);
    const cloudwatch = cloud.local!.services.cloudwatch as CloudWatchService;
    for (const line of log.lines()) cloudwatch.ingestLogLine(line);

    const { Datapoints: points = [] } = await cloud.clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: METRICS_NAMESPACE,
        MetricName: PIPELINE_METRICS.messagesMissing,
        Dimensions: [{ Name: SERVICE_DIMENSION, Value: 'audit-test' }],
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    expect(points.map((point) => point.Maximum)).toContain(1);

    await drain(cloud, pipeline.queueUrl, () => 'consume', pipeline);
    expect((await handler({ graceSeconds: 0 })).counts.missing).toBe(0);
  });
});
