import { describe, expect, it, vi } from 'vitest';
import { main } from '../../packages/cli/src/main.js';

describe('oncely CLI', () => {
  it('prints usage and exits 2 for an unknown command', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['frobnicate'])).toBe(2);
    expect(error.mock.calls.flat().join('\n')).toContain("unknown command 'frobnicate'");
    error.mockRestore();
  });

  it('rejects an unknown option with one line naming it', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['local', '--bogus'])).toBe(2);
    const printed = error.mock.calls.flat().join('\n');
    expect(printed).toContain("'--bogus'");
    expect(printed.trim().split('\n')).toHaveLength(1);
    error.mockRestore();
  });

  it('rejects a non-numeric port', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['local', '--port', 'abc'])).toBe(2);
    expect(error.mock.calls.flat().join('\n')).toContain('--port must be a port number from 0 to 65535');
    error.mockRestore();
  });
});
