import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the `@oncely/source` export condition).
  resolve: { conditions: ['@oncely/source'] },
  ssr: { resolve: { conditions: ['@oncely/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores in CI: keep the worker count small so the local clouds the tests start stay responsive.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
