/**
 * `oncely`: the command line's public API, for packages that contribute commands (the points
 * example contributes `demo`, `bench` and `chaos`). Running the CLI needs none of it: `npx oncely`.
 *
 * @packageDocumentation
 */
import type { LocalCloud } from '@oncely/local-cloud';
import type { ConsoleOptions, LocalConsole } from './console/index.js';

export * from './command.js';
export type { ConsoleOptions, LocalConsole } from './console/index.js';
export { main } from './main.js';

/**
 * Serves the live console on `cloud`'s own origin (`<endpoint>/_oncely/console/`), as
 * `oncely local` does, and resolves with its URL. Loaded on first use, so importing `oncely` costs
 * nothing for commands that do not show it.
 *
 * @example
 * const { url } = await attachConsole(cloud);
 * console.log(`Console: ${url}`);
 */
export async function attachConsole(cloud: LocalCloud, options?: ConsoleOptions): Promise<LocalConsole> {
  const { attachConsole: attach } = await import('./console/index.js');
  return attach(cloud, options);
}
