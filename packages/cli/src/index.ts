/**
 * `oncely`: the command line's public API, for packages that contribute commands (the points
 * example contributes `demo`, `bench` and `chaos`). Running the CLI needs none of it: `npx oncely`.
 *
 * @packageDocumentation
 */
export * from './command.js';
export { main } from './main.js';
