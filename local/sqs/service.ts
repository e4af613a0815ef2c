import type { LocalService, ServiceContext } from '../protocol.js';

/** Placeholder until the sqs emulator lands. */
export function createSqsService(_context: ServiceContext): LocalService {
  return {
    signingNames: [],
    targetPrefixes: [],
    dispatch: async () => ({ status: 501, headers: {}, body: '' }),
  };
}
