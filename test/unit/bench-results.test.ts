import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chaosTable, replaceSection } from '../../examples/points/src/bench/results.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function readme(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'oncely-readme-'));
  dirs.push(dir);
  const file = join(dir, 'README.md');
  writeFileSync(file, text);
  return file;
}

describe('README result sections', () => {
  it('replaces only the text between its markers', () => {
    const file = readme('# Title\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\nMore prose.\n');
    replaceSection(file, 'bench', 'new table');
    expect(readFileSync(file, 'utf8')).toBe(
      '# Title\n\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\n\nMore prose.\n',
    );
  });

  it('appends the markers when the README has none', () => {
    const file = readme('# Title\n');
    replaceSection(file, 'chaos', 'table');
    replaceSection(file, 'chaos', 'second');
    expect(readFileSync(file, 'utf8')).toBe('# Title\n\n<!-- chaos:start -->\nsecond\n<!-- chaos:end -->\n');
  });

  it('renders the chaos table with the command that reproduces it', () => {
    const table = chaosTable({
      events: 2000,
      seed: 7,
      date: '2026-11-25T06:00:00.000Z',
      seconds: 90,
      deliveries: 2300,
      faultyDeliveryShare: 0.123,
      faultsInjected: { crash: 3, lostAck: 20 },
      lost: 0,
      appliedTwice: 0,
      missingAfterAudit: 0,
      invariantsHold: true,
    });
    expect(table).toContain('npm run chaos -- --events 2000 --seed 7');
    expect(table).toContain('| 2000 | 2300 | 12.3% | crash 3, lostAck 20 | 0 | 0 | 0 | hold | 90 |');
  });
});
