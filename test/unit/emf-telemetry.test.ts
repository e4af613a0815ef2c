import { describe, expect, it } from 'vitest';
import { extractEmbeddedMetrics } from '../../packages/local-cloud/src/cloudwatch/embedded-metrics.js';
import { EmfTelemetry } from '../../packages/runtime/src/adapters/emf-telemetry.js';
import { reportFailure } from '../../packages/runtime/src/core/telemetry.js';

function recording(options: ConstructorParameters<typeof EmfTelemetry>[0] = {}) {
  const lines: string[] = [];
  const telemetry = new EmfTelemetry({ ...options, write: (line) => lines.push(line), now: () => 1_000 });
  return { lines, telemetry };
}

describe('EMF telemetry', () => {
  it('writes one EMF document per flush with the counts and recorded values under the namespace', () => {
    const { lines, telemetry } = recording({ namespace: 'Test', service: 'svc' });
    telemetry.count('Processed');
    telemetry.count('Processed');
    telemetry.count('Duplicates');
    telemetry.record('ProcessingLatency', 12, 'Milliseconds');
    telemetry.record('ProcessingLatency', 30, 'Milliseconds');
    telemetry.flush();
    expect(lines).toHaveLength(1);
    const document = JSON.parse(lines[0]!);
    expect(document._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Test',
        Dimensions: [['service']],
        Metrics: [
          { Name: 'Processed', Unit: 'Count' },
          { Name: 'Duplicates', Unit: 'Count' },
          { Name: 'ProcessingLatency', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(document).toMatchObject({
      service: 'svc',
      Processed: 2,
      Duplicates: 1,
      ProcessingLatency: [12, 30],
    });
  });

  it('leaves out counters that add up to zero but writes recorded zeros (a gauge such as MessagesMissing)', () => {
    const { lines, telemetry } = recording();
    telemetry.count('Retried', 0);
    telemetry.record('MessagesMissing', 0, 'Count');
    telemetry.flush();
    const document = JSON.parse(lines[0]!);
    expect(document._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'MessagesMissing', Unit: 'Count' }]);
    expect(document.MessagesMissing).toEqual([0]);
    expect(document.Retried).toBeUndefined();
  });

  it('writes nothing when nothing was gathered', () => {
    const { lines, telemetry } = recording();
    telemetry.flush();
    expect(lines).toEqual([]);
  });

  it('splits more than 100 values of a metric over several documents and resets after a flush', () => {
    const { lines, telemetry } = recording();
    telemetry.count('Processed', 150);
    for (let index = 0; index < 150; index += 1) telemetry.record('ProcessingLatency', index, 'Milliseconds');
    telemetry.flush();
    const documents = lines.map((line) => JSON.parse(line));
    expect(documents.map((document) => document.ProcessingLatency.length)).toEqual([100, 50]);
    expect(documents.map((document) => document.Processed)).toEqual([150, undefined]);
    telemetry.flush();
    expect(lines).toHaveLength(2);
  });

  it('writes documents the local cloud extracts as metrics with the service dimension', () => {
    const { lines, telemetry } = recording({ namespace: 'Shop', service: 'inventory' });
    telemetry.record('MessagesMissing', 3, 'Count');
    telemetry.count('Processed', 2);
    telemetry.flush();
    const extracted = extractEmbeddedMetrics(lines[0]!, 0);
    expect(extracted.map(({ metric }) => [metric.namespace, metric.metricName, metric.dimensions])).toEqual([
      ['Shop', 'Processed', [{ Name: 'service', Value: 'inventory' }]],
      ['Shop', 'MessagesMissing', [{ Name: 'service', Value: 'inventory' }]],
    ]);
  });

  it('writes structured JSON logs at or above the configured level', () => {
    const { lines, telemetry } = recording({ logLevel: 'warn' });
    telemetry.log('info', 'ignored', {});
    telemetry.log('warn', 'kept', { messageId: 'm-1', producer: 'p', seq: 4 });
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { level: 'WARN', message: 'kept', messageId: 'm-1', producer: 'p', seq: 4 },
    ]);
  });

  it('reports a survivable failure as an error line and a count, written at once', () => {
    const { lines, telemetry } = recording({ service: 'svc' });
    reportFailure(telemetry, 'LeaseRenewalFailed', 'lease renewal failed', new Error('throttled'), {
      stream: '7-1',
    });
    const [log, metric] = lines.map((line) => JSON.parse(line));
    expect(log).toMatchObject({
      level: 'ERROR',
      message: 'lease renewal failed',
      stream: '7-1',
      metric: 'LeaseRenewalFailed',
      error: 'Error: throttled',
    });
    expect(metric).toMatchObject({ LeaseRenewalFailed: 1, service: 'svc' });
  });
});
