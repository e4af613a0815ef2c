import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePipelineSettings, pipelineSettingsSchema } from '../../packages/cdk/src/settings.js';

const README = new URL('../../packages/cdk/README.md', import.meta.url);

/** The "Default settings" table of the package README, as setting -> default cell. */
function documentedDefaults(): Map<string, string> {
  const text = readFileSync(README, 'utf8');
  const table = text.slice(
    text.indexOf('<!-- settings-table:start -->'),
    text.indexOf('<!-- settings-table:end -->'),
  );
  const rows = new Map<string, string>();
  for (const match of table.matchAll(/^\| `(\w+)` \| ([^|]+) \|/gm)) rows.set(match[1]!, match[2]!.trim());
  return rows;
}

describe('the Default settings table of @oncely/cdk', () => {
  it('lists every setting, with the default the schema applies', () => {
    const rows = documentedDefaults();
    const defaults = parsePipelineSettings({}) as Record<string, unknown>;
    expect([...rows.keys()].sort()).toEqual(Object.keys(pipelineSettingsSchema.shape).sort());
    for (const [name, cell] of rows) {
      const value = defaults[name];
      if (value === undefined) expect(cell, name).toBe('unset');
      else if (typeof value !== 'object') expect(cell, name).toBe(`\`${value}\``);
    }
  });
});
