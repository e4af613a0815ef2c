/**
 * Fault injection at the HTTP level of the local cloud: server errors, throttling, added latency
 * and the lost acknowledgement (the operation commits, the response is replaced by an error, so
 * the client cannot tell whether it happened). Each kind fires by rate, reproducibly from a seed.
 */
import { AwsError, jsonErrorResponse, type ServiceRequest, type ServiceResponse } from '../protocol.js';
import type { RequestInterceptor } from '../server.js';
import { SeededRandom } from './seeded-random.js';

/** Probability (0 to 1) of each HTTP fault, per request. */
export interface HttpFaultRates {
  /** HTTP 500 InternalFailure before the operation runs. */
  readonly serverError?: number;
  /** HTTP 400 throttling error before the operation runs. */
  readonly throttle?: number;
  /** Probability of adding latency. */
  readonly latency?: number;
  /** Added latency in ms when it fires. @default 50 */
  readonly latencyMs?: number;
  /** The operation commits, then the client gets a 500 instead of the response. */
  readonly lostAck?: number;
}

/** Options of {@link HttpFaultInjector}. */
export interface HttpFaultOptions {
  /** Seed of the draws: the same seed and requests give the same faults. */
  readonly seed: number;
  /** How often each fault fires. */
  readonly rates: HttpFaultRates;
  /** Which requests may be faulted (service key, operation). @default every request */
  readonly applies?: (service: string, operation: string) => boolean;
}

/** The kinds of HTTP fault. */
export type HttpFaultKind = 'serverError' | 'throttle' | 'latency' | 'lostAck';

/**
 * A RequestInterceptor that injects faults and counts them per kind.
 *
 * @example
 * const faults = new HttpFaultInjector({ seed: 7, rates: { serverError: 0.01, throttle: 0.01 } });
 * const cloud = await startLocalCloud({ port: 0, interceptor: faults });
 * // ... run the workload, then:
 * faults.disable();
 * console.log(faults.injected);
 */
export class HttpFaultInjector implements RequestInterceptor {
  /** How many faults of each kind were injected so far. */
  readonly injected: Record<HttpFaultKind, number> = { serverError: 0, throttle: 0, latency: 0, lostAck: 0 };
  private readonly random: SeededRandom;
  private enabled = true;

  constructor(private readonly options: HttpFaultOptions) {
    this.random = new SeededRandom(options.seed);
  }

  /** Faults off (e.g. for the verification phase after a chaos run). */
  disable(): void {
    this.enabled = false;
  }

  /** Faults on again. */
  enable(): void {
    this.enabled = true;
  }

  /** Latency, server errors and throttling, before the service runs the request. */
  async before(request: ServiceRequest, service: string): Promise<ServiceResponse | undefined> {
    if (!this.applies(request, service)) return undefined;
    const { rates } = this.options;
    if (this.random.chance(rates.latency ?? 0)) {
      this.injected.latency++;
      await new Promise((resolve) => setTimeout(resolve, rates.latencyMs ?? 50));
    }
    if (this.random.chance(rates.serverError ?? 0)) {
      this.injected.serverError++;
      return errorFor(service, new AwsError('InternalFailure', 'Injected fault: internal failure.', 500));
    }
    if (this.random.chance(rates.throttle ?? 0)) {
      this.injected.throttle++;
      const code = service === 'dynamodb' ? 'ThrottlingException' : 'RequestThrottled';
      return errorFor(service, new AwsError(code, 'Injected fault: rate exceeded.', 400));
    }
    return undefined;
  }

  /** Lost acknowledgements: the operation ran, the client gets an error instead. */
  after(request: ServiceRequest, service: string, response: ServiceResponse): ServiceResponse {
    if (!this.applies(request, service) || response.status !== 200) return response;
    if (this.random.chance(this.options.rates.lostAck ?? 0)) {
      this.injected.lostAck++;
      return errorFor(service, new AwsError('InternalFailure', 'Injected fault: acknowledgement lost.', 500));
    }
    return response;
  }

  private applies(request: ServiceRequest, service: string): boolean {
    if (!this.enabled) return false;
    return this.options.applies ? this.options.applies(service, request.operation) : true;
  }
}

function errorFor(service: string, error: AwsError): ServiceResponse {
  const namespace = service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810' : `com.amazonaws.${service}`;
  return jsonErrorResponse(error, namespace);
}
