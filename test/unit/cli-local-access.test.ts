import { describe, expect, it, vi } from 'vitest';
import { main } from '../../packages/cli/src/main.js';

describe('oncely local --host', () => {
  it('refuses a non-loopback host without --allow-remote, before synthesising or listening', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const host of ['0.0.0.0', '::', '192.168.1.5']) {
        expect(await main(['local', '--host', host, '--empty'])).toBe(2);
      }
      const printed = error.mock.calls.flat().join('\n');
      expect(printed).toContain('--host 0.0.0.0 is not a loopback address');
      expect(printed).toContain('--allow-remote');
    } finally {
      error.mockRestore();
    }
  });
});
