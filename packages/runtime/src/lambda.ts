/**
 * `@oncely/runtime/lambda`: ready Lambda handlers wired from the environment variables the
 * `@oncely/cdk` constructs set.
 *
 * @packageDocumentation
 */
export { type Config, loadConfig, parseJsonSetting } from './config.js';
export { handlerClients } from './handlers/handler-clients.js';
export { producerMetricsFrom, wireOutboxSweep } from './handlers/producer-wiring.js';
