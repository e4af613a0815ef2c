/**
 * Runs a CDK app the way the CDK CLI does for `cdk synth`: the app command (cdk.json's `app`) in a
 * shell, with `CDK_OUTDIR` naming the assembly directory and `CDK_CONTEXT_JSON` carrying the
 * context, so any app (TypeScript through ts-node or tsx, JavaScript, a built bundle) synthesizes
 * exactly as it would for a deployment. The local cloud then deploys the assembly it wrote.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../protocol.js';
import { type CloudAssembly, readCloudAssembly } from './cloud-assembly.js';

/** Options of {@link synthesizeCdkApp}. */
export interface CdkAppOptions {
  /** The shell command that runs the app, e.g. `npx ts-node --prefer-ts-exts bin/app.ts`. */
  readonly command: string;
  /** Where the app writes its cloud assembly (`CDK_OUTDIR`); created when missing. */
  readonly outdir: string;
  /**
   * Context for the app (`CDK_CONTEXT_JSON`), as cdk.json's `context` and `-c key=value` give it.
   * `aws:cdk:enable-asset-metadata` is always on: the deployer reads asset paths from it.
   */
  readonly context?: Readonly<Record<string, unknown>>;
  /** @default process.cwd() */
  readonly cwd?: string;
  /**
   * Variables over the inherited environment. `CDK_DEFAULT_ACCOUNT` and `CDK_DEFAULT_REGION` default
   * to the local cloud's account and region, as the CDK CLI sets them from the current credentials.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Receives what the app prints on stdout and stderr. @default process.stderr */
  readonly output?: NodeJS.WritableStream;
}

/** The app could not be run, failed, or wrote no cloud assembly. */
export class CdkAppError extends Error {
  /** Always `CdkAppError`. */
  override readonly name = 'CdkAppError';
}

/**
 * Runs the app and reads the cloud assembly it wrote.
 * @example
 * const assembly = await synthesizeCdkApp({ command: 'node bin/app.js', outdir: '.oncely/cdk.out' });
 * await deployCloudAssembly(cloud, assembly);
 */
export async function synthesizeCdkApp(options: CdkAppOptions): Promise<CloudAssembly> {
  const outdir = resolve(options.cwd ?? process.cwd(), options.outdir);
  await mkdir(outdir, { recursive: true });
  // A stale manifest from an earlier run must not pass for the output of an app that wrote none.
  await rm(join(outdir, 'manifest.json'), { force: true });
  const output = options.output ?? process.stderr;
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    const child = spawn(options.command, {
      shell: true,
      cwd: options.cwd ?? process.cwd(),
      env: {
        ...process.env,
        CDK_DEFAULT_ACCOUNT: LOCAL_ACCOUNT_ID,
        CDK_DEFAULT_REGION: DEFAULT_REGION,
        ...options.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({
          ...options.context,
          'aws:cdk:enable-asset-metadata': true,
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(output, { end: false });
    child.stderr.pipe(output, { end: false });
    child.once('error', (error) => reject(new CdkAppError(`cannot run the CDK app: ${error.message}`)));
    child.once('close', (exitCode, signal) => resolvePromise(signal ? null : exitCode));
  });
  if (code !== 0) {
    throw new CdkAppError(
      code === null
        ? `the CDK app (${options.command}) was stopped by a signal`
        : `the CDK app (${options.command}) failed with exit code ${code}; its output is above`,
    );
  }
  try {
    return readCloudAssembly(outdir);
  } catch (error) {
    throw new CdkAppError(
      `the CDK app (${options.command}) wrote no usable cloud assembly to ${outdir}: ${(error as Error).message}`,
    );
  }
}
