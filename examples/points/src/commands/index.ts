/** The commands the points example contributes to `oncely`: demo, bench, chaos. */
export { benchCommand } from './bench.js';
export { chaosCommand } from './chaos.js';
export { demoCommand } from './demo.js';
