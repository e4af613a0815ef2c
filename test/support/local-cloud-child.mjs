/**
 * The built local cloud in a process of its own, for tests that kill it (kill -9 durability).
 * Usage: node local-cloud-child.mjs <data-dir> [module]. Prints `{"port":N}` once listening; stops
 * cleanly on SIGTERM. Runs packages/local-cloud/dist (npm test builds it first) unless given the
 * path of another build.
 */
import { pathToFileURL } from 'node:url';

const [dataDir, module = new URL('../../packages/local-cloud/dist/esm/index.js', import.meta.url).href] =
  process.argv.slice(2);
if (!dataDir) throw new Error('usage: node local-cloud-child.mjs <data-dir> [module]');
const { startLocalCloud } = await import(module.startsWith('file:') ? module : pathToFileURL(module).href);
// No timers of the monitoring services: only the test's requests change state.
const cloud = await startLocalCloud({ port: 0, dataDir, monitoring: { tickMs: 0, queueStats: false } });
process.stdout.write(`${JSON.stringify({ port: cloud.port })}\n`);
process.once('SIGTERM', () => {
  cloud.stop().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
