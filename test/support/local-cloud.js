/**
 * Test fixture: a local cloud on a free loopback port plus real SDK clients pointed at it.
 * With `CONFORMANCE_ENDPOINT` set, the clients point at that endpoint instead (LocalStack, AWS).
 */

import { startLocalCloud } from '../../packages/local-cloud/src/server.js';
import { createAwsClients, LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
export const externalEndpoint = process.env.CONFORMANCE_ENDPOINT;
export async function startTestCloud(options = {}) {
  const local = externalEndpoint ? undefined : await startLocalCloud({ port: 0, ...options });
  const endpoint = externalEndpoint ?? local.endpoint;
  const clients = createAwsClients({
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint,
    // Against a real endpoint the default credential chain applies.
    ...(externalEndpoint ? {} : { credentials: LOCAL_CREDENTIALS }),
  });
  return {
    endpoint,
    clients,
    local,
    prefix: `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`,
    async stop() {
      clients.destroy();
      await local?.stop();
    },
  };
}
