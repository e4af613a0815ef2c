/**
 * Live progress of a workload run for people: one status line redrawn in place on a terminal, or
 * plain lines every few seconds when the output is a log (CI, a pipe).
 */
import type { ProgressSample, WorkloadPhase } from './points-workload.js';

export interface ProgressView {
  phase(phase: WorkloadPhase, detail?: string): void;
  sample(sample: ProgressSample): void;
  warn(message: string): void;
  /** Ends the in-place line so the next output starts on a fresh line. */
  done(): void;
}

const PHASE_TEXT: Record<WorkloadPhase, string> = {
  synthesize: 'synthesizing the CDK stack (cached in .oncely/stacks while sources are unchanged)',
  start: 'starting the local cloud',
  deploy: 'deploying the template into the local cloud',
  seed: 'seeding accounts',
  produce: 'trade service: publishing the flash-sale burst',
  drain: 'points service: draining the queue',
  'scale-down': 'waiting for the backlog alarms to clear and the scaler to scale back down',
  redrive: 'redriving transient failures from the DLQ',
  audit: 'auditing: every sequence number claimed, queued or dead-lettered?',
  verify: 'verifying ledger, balances and rejections',
};

/** Renders a sample as one short line. */
function formatSample(sample: ProgressSample): string {
  return (
    `t=${sample.t.toFixed(1).padStart(5)}s  produced ${String(sample.produced).padStart(6)}  ` +
    `consumed ${String(sample.consumed).padStart(6)}  backlog ${String(sample.backlog).padStart(6)}  ` +
    `concurrency ${String(sample.concurrency).padStart(3)} (running ${String(sample.inFlight).padStart(2)})  ` +
    `dlq ${String(sample.dlq).padStart(3)}  ${sample.degradation}`
  );
}

/**
 * @param stream where to draw (stderr, so stdout stays for the verdict or JSON)
 * @param live redraw in place (a TTY and not CI); otherwise a plain line every `plainEveryMs`
 */
export function createProgressView(
  stream: NodeJS.WriteStream,
  options: { live: boolean; plainEveryMs?: number },
): ProgressView {
  const plainEvery = options.plainEveryMs ?? 2000;
  let lastPlain = 0;
  let drawn = false;
  const started = Date.now();
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    phase(phase, detail) {
      clear();
      const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
      stream.write(`[${elapsed}s] ${PHASE_TEXT[phase]}${detail ? ` (${detail})` : ''}\n`);
    },
    warn(message) {
      clear();
      stream.write(`  warning: ${message}\n`);
    },
    sample(sample) {
      if (options.live) {
        clear();
        stream.write(formatSample(sample).slice(0, (stream.columns ?? 120) - 1));
        drawn = true;
      } else if (Date.now() - lastPlain >= plainEvery) {
        lastPlain = Date.now();
        stream.write(`  ${formatSample(sample)}\n`);
      }
    },
    done() {
      clear();
    },
  };
}
