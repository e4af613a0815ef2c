/**
 * Test fixture: one test cloud per test file, started in `beforeAll` and stopped in `afterAll`, so
 * each file does not repeat the same lifecycle hooks.
 */
import { afterAll, beforeAll } from 'vitest';
import type { LocalCloud } from '../../packages/local-cloud/src/server.js';
import { startTestCloud, type TestCloud } from './local-cloud.js';

/**
 * Registers hooks that start a test cloud before the file's tests and stop it after them.
 * Returns a handle whose properties read the running cloud, so tests write `cloud.clients` as if
 * they held the cloud itself; reading it outside a test or hook throws.
 *
 * @example
 * const cloud = useTestCloud();
 * it('creates a queue', async () => { await cloud.clients.sqs.send(...); });
 */
export function useTestCloud(options: Parameters<typeof startTestCloud>[0] = {}): TestCloud {
  let started: TestCloud | undefined;
  beforeAll(async () => {
    started = await startTestCloud(options);
  });
  afterAll(async () => {
    await started?.stop();
    started = undefined;
  });
  const running = (): TestCloud => {
    if (!started) throw new Error('the test cloud is only available inside tests and hooks');
    return started;
  };
  return {
    get endpoint(): string {
      return running().endpoint;
    },
    get clients() {
      return running().clients;
    },
    get local(): LocalCloud | undefined {
      return running().local;
    },
    get prefix(): string {
      return running().prefix;
    },
    stop: () => running().stop(),
  };
}
