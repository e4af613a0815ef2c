/** Paths of the example package and of the repository it lives in, from its sources or its build alike. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@oncely/example-points'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('@oncely/example-points: cannot find the package root');
    dir = parent;
  }
}

/** The example's directory, `examples/points`. */
export const EXAMPLE_ROOT = findPackageRoot();

/** A path in the repository that holds the example (its root is two levels up). */
export function repoPath(relative: string): string {
  return join(EXAMPLE_ROOT, '..', '..', relative);
}

/** A path in the example's own directory. */
export function examplePath(relative: string): string {
  return join(EXAMPLE_ROOT, relative);
}
