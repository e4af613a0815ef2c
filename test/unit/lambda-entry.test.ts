/**
 * `@oncely/runtime/lambda` is bundled into one file whose exports are separate Lambda functions, so
 * importing it must read nothing and build nothing; each handler wires itself on its first
 * invocation, and a missing variable fails that invocation naming it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** An environment without any of the runtime's variables. */
function emptyEnvironment(): void {
  for (const name of Object.keys(process.env)) if (name.startsWith('ONCELY_')) vi.stubEnv(name, undefined);
}

describe('the lambda entry', () => {
  it('imports with no configuration at all, and builds no handler until it is invoked', async () => {
    emptyEnvironment();
    const entry = await import('../../packages/runtime/src/lambda.js');
    for (const name of [
      'auditorHandler',
      'scalerHandler',
      'outboxRelayHandler',
      'compensationHandler',
    ] as const)
      expect(typeof entry[name]).toBe('function');
    expect(typeof entry.lambdaConsumer({ handlers: [] })).toBe('function');
  });

  it.each([
    ['auditorHandler', 'ONCELY_CLAIMS_TABLE'],
    ['scalerHandler', 'ONCELY_SCALING_POLICY'],
    ['outboxRelayHandler', 'ONCELY_QUEUE_URL'],
    ['compensationHandler', 'ONCELY_QUEUE_URL'],
  ] as const)(
    '%s fails its first invocation naming %s, and wires itself once it is set',
    async (name, variable) => {
      emptyEnvironment();
      const handler = (await import('../../packages/runtime/src/lambda.js'))[name] as (
        event: unknown,
      ) => Promise<unknown>;
      await expect(handler({})).rejects.toThrow(new RegExp(`environment variable ${variable}`));
      // Not cached: the next invocation reads the environment again and now names the next gap.
      vi.stubEnv(variable, variable === 'ONCELY_SCALING_POLICY' ? '{}' : 'set');
      await expect(handler({})).rejects.toThrow(
        variable === 'ONCELY_SCALING_POLICY' ? /Invalid configuration/ : /ONCELY_/,
      );
    },
  );

  it('lambdaConsumer names a missing variable on its first invocation', async () => {
    const { lambdaConsumer } = await import('../../packages/runtime/src/lambda.js');
    const handler = lambdaConsumer({ handlers: [], env: { ONCELY_CLAIMS_TABLE: 'claims' } });
    await expect(handler({ Records: [] })).rejects.toThrow(
      'Missing configuration: environment variable ONCELY_DLQ_URL (deadLetterQueueUrl)',
    );
  });
});
