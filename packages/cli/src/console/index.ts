/**
 * The live console of a local cloud: a web page on the cloud's own origin
 * (`http://127.0.0.1:4566/_oncely/console/`) that shows every deployed stack while it runs - its
 * architecture, queue charts, its own CloudWatch dashboard, alarms, functions with their logs, the
 * dead-letter queue (with redrive) and the loss audit. It reads everything as the CLI does: the
 * same functions as `oncely status`, `oncely dlq` and `oncely audit`, over SDK clients pointed at
 * the local endpoint. docs/console.md explains the choices.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_REGION, type LocalCloud } from '@oncely/local-cloud';
import { createAwsClients, LOCAL_CREDENTIALS } from '@oncely/runtime/aws';
import { ConsoleApp } from './http.js';
import { RedriveJobs } from './redrive.js';
import { Sampler } from './sampler.js';
import { StackDirectory } from './stacks.js';

/** Where the console is mounted on the local cloud's origin. */
export const CONSOLE_PATH = '/_oncely/console';

/** Options of `attachConsole`. */
export interface ConsoleOptions {
  /** How often the queues, mappings and pipeline status are sampled for the charts. @default 1000 */
  readonly sampleEveryMs?: number;
  /** Samples kept per stack (older ones are thinned). @default 3600 */
  readonly historyLimit?: number;
}

/** A console served on a local cloud, as `attachConsole` resolves it. */
export interface LocalConsole {
  /** The page, e.g. `http://127.0.0.1:4566/_oncely/console/`. */
  readonly url: string;
  /** Unmounts the console and stops sampling (also done when the local cloud stops). */
  close(): Promise<void>;
}

/**
 * Serves the console on `cloud`'s origin and starts sampling its stacks; resolves once the first
 * sample is taken. Stacks deployed later appear on their own.
 *
 * @example
 * const cloud = await startLocalCloud();
 * const { url } = await attachConsole(cloud);
 * console.log(`Console: ${url}`);
 */
export async function attachConsole(cloud: LocalCloud, options: ConsoleOptions = {}): Promise<LocalConsole> {
  const region = DEFAULT_REGION;
  const clients = createAwsClients({ region, endpoint: cloud.endpoint, credentials: LOCAL_CREDENTIALS });
  const directory = new StackDirectory(cloud.endpoint, region);
  const sampler = new Sampler(cloud, directory, clients, options);
  // Per process: a page of this origin reads it from its own HTML; nothing else can.
  const token = randomBytes(32).toString('base64url');
  const app = new ConsoleApp({
    prefix: CONSOLE_PATH,
    token,
    cloud,
    directory,
    sampler,
    clients,
    jobs: new RedriveJobs(clients.sqs),
  });
  let closed = false;
  const shutdown = async () => {
    if (closed) return;
    closed = true;
    app.close();
    await sampler.stop();
    directory.close();
    clients.destroy();
  };
  const unmount = cloud.mount(CONSOLE_PATH, {
    handle: (req, res) => app.handle(req, res),
    close: shutdown,
  });
  try {
    await sampler.start();
  } catch (error) {
    await unmount();
    throw error;
  }
  return { url: `${browsable(cloud.endpoint)}${CONSOLE_PATH}/`, close: unmount };
}

/** A URL a browser on this machine can open: `0.0.0.0` and `[::]` are not addresses to connect to. */
function browsable(endpoint: string): string {
  return endpoint.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}
