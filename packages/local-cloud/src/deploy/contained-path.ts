/**
 * Path containment for everything a cloud assembly names: template files, asset paths, handler
 * modules. A cloud assembly can come from anyone (a shared `cdk.out`, a CI artifact); deploying it
 * runs its function code on this machine, so a path in it must never reach outside the assembly
 * directory: no absolute paths, no `..` escapes, no symbolic links pointing out.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep, win32 } from 'node:path';

/** A path in a cloud assembly that is absolute, escapes the assembly, or does not exist. */
export class AssemblyPathError extends Error {
  /** Always `AssemblyPathError`. */
  override readonly name = 'AssemblyPathError';
}

/** True when `path` is `root` or below it (both absolute, already normalised). */
export function isInside(root: string, path: string): boolean {
  const relation = relative(root, path);
  return relation === '' || (relation !== '..' && !relation.startsWith(`..${sep}`) && !isAbsolute(relation));
}

/**
 * Resolves `path`, as written in an assembly file, against `base` (a directory inside `root`) and
 * returns its real path, which must lie inside `root`. `what` names the path in errors, e.g.
 * `asset 3f2a... (Oncely.assets.json)`.
 */
export function resolveContainedPath(root: string, base: string, path: string, what: string): string {
  if (path === '' || isAbsolute(path) || win32.isAbsolute(path)) {
    throw new AssemblyPathError(
      `${what}: '${path}' is ${path === '' ? 'empty' : 'an absolute path'}; paths in a cloud assembly must be relative to it`,
    );
  }
  const realRoot = realpathSync(root);
  const realBase = realpathSync(base);
  const candidate = resolve(realBase, path);
  if (!isInside(realRoot, candidate)) {
    throw new AssemblyPathError(`${what}: '${path}' leaves the cloud assembly directory ${root}`);
  }
  if (!existsSync(candidate)) {
    throw new AssemblyPathError(`${what}: '${path}' does not exist in ${base}`);
  }
  const real = realpathSync(candidate);
  if (!isInside(realRoot, real)) {
    throw new AssemblyPathError(
      `${what}: '${path}' is a symbolic link to ${real}, outside the cloud assembly directory ${root}`,
    );
  }
  return real;
}

/**
 * Checks that no symbolic link below `directory` (an asset directory) points outside `root`, so
 * the code a function loads from its package stays inside the assembly too.
 */
export function assertNoEscapingLinks(root: string, directory: string, what: string): void {
  const realRoot = realpathSync(root);
  const pending = [directory];
  // Real paths already walked: links between directories may form a cycle.
  const walked = new Set<string>();
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    const realCurrent = realpathSync(current);
    if (walked.has(realCurrent)) continue;
    walked.add(realCurrent);
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
        continue;
      }
      if (!entry.isSymbolicLink()) continue;
      // A dangling link is judged by where it points, so it cannot be aimed out of the assembly
      // now and filled later.
      const target = existsSync(path) ? realpathSync(path) : resolve(dirname(path), readlinkSync(path));
      if (!isInside(realRoot, target)) {
        throw new AssemblyPathError(
          `${what}: ${relative(directory, path)} is a symbolic link to ${target}, outside the cloud assembly directory ${root}`,
        );
      }
      // A link to a directory is walked too: its own links must stay inside as well.
      if (existsSync(path) && lstatSync(target).isDirectory()) pending.push(target);
    }
  }
}
