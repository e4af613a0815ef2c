/**
 * Captures what the code under test writes to stdout - in Lambda, the function's log, which
 * CloudWatch reads EMF metrics from - so a test can feed it to the local cloud as Lambda would.
 */
import { vi } from 'vitest';

export interface CapturedStdout {
  /** The complete lines written so far. */
  lines(): string[];
  restore(): void;
}

export function captureStdout(): CapturedStdout {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== ''),
    restore: () => spy.mockRestore(),
  };
}
