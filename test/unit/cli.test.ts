import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../packages/cli/src/main.js';

const CLI_PACKAGE = fileURLToPath(new URL('../../packages/cli/', import.meta.url));

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

  it('prints its version from the compiled bin, as an installed package runs it', () => {
    const { version } = JSON.parse(readFileSync(`${CLI_PACKAGE}package.json`, 'utf8')) as { version: string };
    const printed = execFileSync(process.execPath, [`${CLI_PACKAGE}bin/oncely.mjs`, '--version'], {
      encoding: 'utf8',
    });
    expect(printed.trim()).toBe(version);
  });
});
