import { describe, expect, it } from 'vitest';
import { EmfTelemetry } from '../../packages/runtime/src/adapters/emf-telemetry.js';

describe('EMF telemetry', () => {
  it('writes one EMF document per flush with the counts and latencies under the namespace', () => {
    const lines: string[] = [];
    const telemetry = new EmfTelemetry({
      namespace: 'Test',
      service: 'svc',
      write: (line) => lines.push(line),
      now: () => 1,
    });
    telemetry.count('Processed');
    telemetry.count('Processed');
    telemetry.count('Duplicates');
    telemetry.latency(12);
    telemetry.latency(30);
    telemetry.flush();
    expect(lines).toHaveLength(1);
    const document = JSON.parse(lines[0]!);
    expect(document._aws.CloudWatchMetrics[0].Namespace).toBe('Test');
    expect(document._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'Processed', Unit: 'Count' },
      { Name: 'Duplicates', Unit: 'Count' },
      { Name: 'ProcessingLatency', Unit: 'Milliseconds' },
    ]);
    expect(document).toMatchObject({
      service: 'svc',
      Processed: 2,
      Duplicates: 1,
      ProcessingLatency: [12, 30],
    });
  });

  it('splits more than 100 latency values over several documents and resets after a flush', () => {
    const lines: string[] = [];
    const telemetry = new EmfTelemetry({ write: (line) => lines.push(line) });
    for (let index = 0; index < 150; index += 1) telemetry.latency(index);
    telemetry.flush();
    expect(lines.map((line) => JSON.parse(line).ProcessingLatency.length)).toEqual([100, 50]);
    telemetry.flush();
    expect(lines).toHaveLength(2);
  });

  it('writes structured JSON logs at or above the configured level', () => {
    const lines: string[] = [];
    const telemetry = new EmfTelemetry({ logLevel: 'warn', write: (line) => lines.push(line) });
    telemetry.log('info', 'ignored', {});
    telemetry.log('warn', 'kept', { messageId: 'm-1', producer: 'p', seq: 4 });
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { level: 'WARN', message: 'kept', messageId: 'm-1', producer: 'p', seq: 4 },
    ]);
  });
});
