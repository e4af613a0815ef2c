/**
 * Test fixture: a local cloud on a free loopback port plus real SDK clients pointed at it.
 * With `CONFORMANCE_ENDPOINT` set, the clients point at that endpoint instead (LocalStack, AWS).
 */

import type { Clock } from '../../packages/local-cloud/src/clock.js';
import { type LocalCloud, type LocalCloudOptions } from '../../packages/local-cloud/src/server.js';
import { type AwsClients } from '../../packages/runtime/src/adapters/aws-clients.js';
export interface TestCloud {
  readonly endpoint: string;
  readonly clients: AwsClients;
  /** The embedded cloud; undefined when running against an external endpoint. */
  readonly local: LocalCloud | undefined;
  /** Unique prefix for resource names, so runs against a shared endpoint do not collide. */
  readonly prefix: string;
  stop(): Promise<void>;
}
export declare const externalEndpoint: string | undefined;
export declare function startTestCloud(
  options?: LocalCloudOptions & {
    clock?: Clock;
  },
): Promise<TestCloud>;
