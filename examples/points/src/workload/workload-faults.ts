/**
 * The faults a workload run injects into the local cloud, as one RequestInterceptor:
 * - a small rate of throttled `TransactWriteItems` (the shared HttpFaultInjector), so some of the
 *   consumer's commits fail and are retried by the SDK or redelivered by SQS;
 * - an outage of one account: every transaction touching it is throttled until the runner ends
 *   the outage, so that account's first messages exhaust their receives and SQS moves them to the
 *   DLQ - the transient failures a redrive is for.
 */

import type { RequestInterceptor } from '@oncely/local-cloud';
import {
  AwsError,
  HttpFaultInjector,
  jsonErrorResponse,
  type ServiceRequest,
  type ServiceResponse,
} from '@oncely/local-cloud';

export interface WorkloadFaultOptions {
  readonly seed: number;
  /** Probability that a TransactWriteItems request is throttled. @default 0.02 */
  readonly transactThrottleRate?: number;
  /** Account whose transactions all fail while the outage lasts. */
  readonly outageAccountId?: string;
}

const TRANSACT = 'TransactWriteItems';

export class WorkloadFaults implements RequestInterceptor {
  private readonly injector: HttpFaultInjector;
  private readonly outageMarker: Buffer | undefined;
  private outage = false;
  /** Requests failed by the account outage. */
  outageFailures = 0;

  constructor(options: WorkloadFaultOptions) {
    this.injector = new HttpFaultInjector({
      seed: options.seed,
      rates: { throttle: options.transactThrottleRate ?? 0.02 },
      applies: (service, operation) => service === 'dynamodb' && operation === TRANSACT,
    });
    this.outageMarker = options.outageAccountId
      ? Buffer.from(JSON.stringify(options.outageAccountId))
      : undefined;
  }

  /** Throttled transactions so far (the random ones). */
  get throttled(): number {
    return this.injector.injected.throttle;
  }

  get outageActive(): boolean {
    return this.outage;
  }

  startOutage(): void {
    this.outage = this.outageMarker !== undefined;
  }

  endOutage(): void {
    this.outage = false;
  }

  /** No more faults: the verification phase runs on a healthy cloud. */
  disable(): void {
    this.outage = false;
    this.injector.disable();
  }

  async before(request: ServiceRequest, service: string): Promise<ServiceResponse | undefined> {
    if (
      this.outage &&
      this.outageMarker &&
      service === 'dynamodb' &&
      request.operation === TRANSACT &&
      request.rawBody.includes(this.outageMarker)
    ) {
      this.outageFailures++;
      return jsonErrorResponse(
        new AwsError('ThrottlingException', 'Injected outage: rate exceeded.', 400),
        'com.amazonaws.dynamodb.v20120810',
      );
    }
    return this.injector.before(request, service);
  }

  after(request: ServiceRequest, service: string, response: ServiceResponse): ServiceResponse {
    return this.injector.after(request, service, response);
  }
}
