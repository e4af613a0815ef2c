/**
 * `@oncely/runtime/lambda`: ready Lambda handlers wired from the environment variables the
 * `@oncely/cdk` constructs set, and the wiring functions behind them for tests and custom entry
 * points. Importing this module reads nothing and builds nothing: every handler wires itself on its
 * first invocation.
 *
 * @packageDocumentation
 */
export { type Config, loadConfig } from './config.js';
export { type AuditorEvent, type AuditorResult, createAuditor } from './handlers/auditor.js';
export {
  auditorHandler,
  compensationHandler,
  outboxRelayHandler,
  scalerHandler,
} from './handlers/built-in-handlers.js';
export { type CompensationEvent, createCompensation } from './handlers/compensation.js';
export type { WiringOptions } from './handlers/handler-telemetry.js';
export {
  type ConsumerClients,
  type LambdaConsumerOptions,
  lambdaConsumer,
} from './handlers/lambda-consumer.js';
export { createOutboxRelay, type RelayEvent } from './handlers/outbox-relay.js';
export { createScaler, type ScalerResult } from './handlers/scaler.js';
