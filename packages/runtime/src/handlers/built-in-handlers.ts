/**
 * Oncely's own Lambda functions, ready to deploy: the `@oncely/cdk` constructs bundle this module
 * and point each function at one export (`index.auditorHandler`, ...). Each is wired from the
 * environment variables the constructs set, on its first invocation (see lazy-handler.ts).
 */
import { loadConfig } from '../config.js';
import { createAuditor } from './auditor.js';
import { createCompensation } from './compensation.js';
import { lazyHandler } from './lazy-handler.js';
import { createOutboxRelay } from './outbox-relay.js';
import { createScaler } from './scaler.js';

/**
 * The scheduled loss auditor (see {@link createAuditor}). Reads ONCELY_CLAIMS_TABLE,
 * ONCELY_LEASES_TABLE, ONCELY_CONTROL_TABLE, and optionally ONCELY_OUTBOX_TABLE, ONCELY_QUEUE_URL,
 * ONCELY_DLQ_URL, ONCELY_METRICS_NAMESPACE, ONCELY_SERVICE_NAME.
 *
 * @example
 * // Lambda handler setting of a function whose code is the bundle of `@oncely/runtime/lambda`
 * handler: 'index.auditorHandler'
 */
export const auditorHandler = /* @__PURE__ */ lazyHandler(() => createAuditor(loadConfig()));

/**
 * The backlog scaler (see {@link createScaler}). Reads ONCELY_SCALING_POLICY, ONCELY_CONTROL_TABLE,
 * ONCELY_EVENT_SOURCE_MAPPING_ID, and optionally ONCELY_METRICS_NAMESPACE, ONCELY_SERVICE_NAME.
 *
 * @example
 * handler: 'index.scalerHandler'
 */
export const scalerHandler = /* @__PURE__ */ lazyHandler(() => createScaler(loadConfig()));

/**
 * The scheduled outbox relay (see {@link createOutboxRelay}). Reads ONCELY_QUEUE_URL,
 * ONCELY_OUTBOX_TABLE, and optionally ONCELY_METRICS_NAMESPACE, ONCELY_SERVICE_NAME.
 *
 * @example
 * handler: 'index.outboxRelayHandler'
 */
export const outboxRelayHandler = /* @__PURE__ */ lazyHandler(() => createOutboxRelay(loadConfig()));

/**
 * The scheduled compensation sweep (see {@link createCompensation}). Reads ONCELY_QUEUE_URL,
 * ONCELY_OUTBOX_TABLE, ONCELY_CLAIMS_TABLE, and optionally ONCELY_METRICS_NAMESPACE,
 * ONCELY_SERVICE_NAME.
 *
 * @example
 * handler: 'index.compensationHandler'
 */
export const compensationHandler = /* @__PURE__ */ lazyHandler(() => createCompensation(loadConfig()));
