/**
 * The points example: its stack, handlers and the workload that `oncely demo`, `oncely bench` and
 * `oncely chaos` run on the local cloud.
 *
 * @packageDocumentation
 */

export * from './synthesize.js';
export * from './workload/invariants.js';
export * from './workload/points-workload.js';
export * from './workload/stack-cache.js';
