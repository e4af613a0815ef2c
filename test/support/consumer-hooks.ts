/**
 * Test fixture: the points consumer's resources, provisioned once per test file on the file's test
 * cloud. Kept apart from consumer-resources.ts, which the benchmark imports outside vitest.
 */
import { beforeAll } from 'vitest';
import {
  type ConsumerResources,
  type ProvisionOptions,
  provisionConsumerResources,
} from '../../examples/points/src/bench/consumer-resources.js';
import type { TestCloud } from './local-cloud.js';

/**
 * Registers a `beforeAll` that provisions the consumer's tables and queues under the cloud's prefix
 * (register it after {@link useTestCloud}, so the cloud is up first). Returns a handle whose
 * properties read the provisioned resources; reading it before they exist throws.
 */
export function useConsumerResources(
  cloud: TestCloud,
  options: Omit<ProvisionOptions, 'prefix'> = {},
): ConsumerResources {
  let provisioned: ConsumerResources | undefined;
  beforeAll(async () => {
    provisioned = await provisionConsumerResources(cloud.clients, { ...options, prefix: cloud.prefix });
  });
  const current = (): ConsumerResources => {
    if (!provisioned) throw new Error('the consumer resources are only available inside tests and hooks');
    return provisioned;
  };
  return {
    get claimsTable() {
      return current().claimsTable;
    },
    get accountsTable() {
      return current().accountsTable;
    },
    get ledgerTable() {
      return current().ledgerTable;
    },
    get controlTable() {
      return current().controlTable;
    },
    get queueUrl() {
      return current().queueUrl;
    },
    get queueArn() {
      return current().queueArn;
    },
    get deadLetterQueueUrl() {
      return current().deadLetterQueueUrl;
    },
    get fifo() {
      return current().fifo;
    },
  };
}
