/**
 * `@oncely/runtime/contract`: the names the CDK constructs, the Lambda runtime and the CLI share
 * (environment variables, table keys, metric names, stack outputs). Side-effect free and free of the
 * AWS SDK, so a CDK app can import it at synth time.
 *
 * @packageDocumentation
 */
export { ENVIRONMENT_VARIABLES, type SettingName } from './config.js';
export * from './core/pipeline-metrics.js';
export * from './core/stack-outputs.js';
export * from './core/tables.js';
