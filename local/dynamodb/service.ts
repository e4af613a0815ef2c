import type { LocalService, ServiceContext } from '../protocol.js';

/** Placeholder until the dynamodb emulator lands. */
export function createDynamoDbService(_context: ServiceContext): LocalService {
  return {
    signingNames: [],
    targetPrefixes: [],
    dispatch: async () => ({ status: 501, headers: {}, body: '' }),
  };
}
