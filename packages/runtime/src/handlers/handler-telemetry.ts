/**
 * The telemetry of a Lambda entry point: EMF and JSON log lines on stdout, in the configured
 * metrics namespace and with the configured service name, the dimension the stack's alarms filter on.
 */
import { EmfTelemetry } from '../adapters/emf-telemetry.js';
import type { Config } from '../config.js';
import { METRICS_NAMESPACE } from '../core/pipeline-metrics.js';
import type { Telemetry } from '../core/telemetry.js';

/** What a test may pass to a `create*` wiring function instead of what it would build itself. */
export interface WiringOptions {
  /** @default EmfTelemetry on stdout, namespace ONCELY_METRICS_NAMESPACE, service ONCELY_SERVICE_NAME */
  readonly telemetry?: Telemetry;
}

/** EmfTelemetry for the configured namespace (default `Oncely`) and service (default `oncely`). */
export function handlerTelemetry(config: Config, options: WiringOptions = {}): Telemetry {
  return (
    options.telemetry ??
    new EmfTelemetry({
      namespace: config.optional('metricsNamespace') ?? METRICS_NAMESPACE,
      service: config.optional('serviceName') ?? 'oncely',
    })
  );
}
