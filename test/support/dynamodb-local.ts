/**
 * AWS's own DynamoDB Local as an oracle for the embedded emulator. DynamoDB Local ships inside the
 * npm package `amplify-dynamodb-simulator`; only its emulator folder (DynamoDBLocal.jar and
 * DynamoDBLocal_lib) is taken from the tarball, never the package or its dependencies.
 *
 * - The tarball is fetched with npm's own client (`npm pack`, which checks the registry's
 *   integrity itself) and checked again against the sha512 pinned here.
 * - The emulator folder is cached in node_modules/.cache/oncely/dynamodb-local/<version>.
 * - It runs in memory on a free port of 127.0.0.1 (through a small launcher that binds Jetty's
 *   connector to loopback; DynamoDB Local itself has no host option) without telemetry.
 * - Where Java is absent the oracle tests skip with a notice; where Java is present and the
 *   download fails they fail with a message that says so.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocal.UsageNotes.html
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The pinned oracle: the npm tarball that carries DynamoDB Local, and its published integrity. */
export const DYNAMODB_LOCAL = {
  npmPackage: 'amplify-dynamodb-simulator',
  npmVersion: '2.9.30',
  /** The registry's `dist.integrity` of amplify-dynamodb-simulator@2.9.30. */
  integrity:
    'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==',
  /** The DynamoDB Local release inside it (its README.txt release notes). */
  version: '1.25.1',
} as const;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE_ROOT = join(REPO_ROOT, 'node_modules', '.cache', 'oncely', 'dynamodb-local');
/** How long the first install may take (a ~57 MB download). */
const INSTALL_TIMEOUT_MS = 5 * 60_000;
/** How long DynamoDB Local may take to answer its first request. */
const READY_TIMEOUT_MS = 90_000;
const LOCK_STALE_MS = 10 * 60_000;

/** The access key the oracle's requests carry; DynamoDB Local keeps one database per key and region. */
export const ORACLE_ACCESS_KEY = 'oncelyoracle';

/**
 * Binds DynamoDB Local's Jetty connector to 127.0.0.1 before it starts (its command line has a
 * port option but no host option). Compiled once into the cache with the JDK's javac.
 */
const LAUNCHER_SOURCE = `import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    for (Connector connector : jetty.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    proxy.start();
    proxy.join();
  }
}
`;

/**
 * Whether the conformance suite is running against DynamoDB Local (test/oracle runs it so). A
 * conformance test of a behaviour where DynamoDB Local is known to differ from AWS skips itself
 * there, naming the deviation (test/oracle/dynamodb-local-deviations.ts lists them with evidence).
 */
export function onDynamoDbLocal(): boolean {
  return process.env.CONFORMANCE_TARGET === 'dynamodb-local';
}

/** A free TCP port on 127.0.0.1. */
export async function freeLoopbackPort(): Promise<number> {
  return freePort();
}

/** Whether a Java runtime answers `java -version`. */
export function javaAvailable(): boolean {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore', timeout: 30_000 });
  return result.error === undefined && result.status === 0;
}

/** Why the oracle cannot run here, or undefined when it can. */
export function oracleUnavailableReason(): string | undefined {
  return javaAvailable()
    ? undefined
    : 'SKIPPED: no Java runtime (`java -version` failed), so the DynamoDB Local oracle did not run';
}

function sha512Integrity(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

async function acquireLock(lock: string): Promise<void> {
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      else await new Promise((done) => setTimeout(done, 500));
    }
  }
}

/**
 * Installs DynamoDB Local's emulator folder into the cache (once) and returns its directory.
 * Safe to call from several test workers at once: one installs, the others wait for it.
 */
export async function installDynamoDbLocal(): Promise<string> {
  const target = join(CACHE_ROOT, DYNAMODB_LOCAL.version);
  const marker = join(target, '.installed');
  if (existsSync(marker)) return target;
  await mkdir(CACHE_ROOT, { recursive: true });
  const lock = `${target}.lock`;
  await acquireLock(lock);
  const work = await mkdtemp(join(CACHE_ROOT, 'install-'));
  try {
    if (existsSync(marker)) return target;
    const spec = `${DYNAMODB_LOCAL.npmPackage}@${DYNAMODB_LOCAL.npmVersion}`;
    try {
      await run('npm', ['pack', spec, '--pack-destination', work, '--silent'], {
        cwd: work,
        timeout: INSTALL_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      throw new Error(
        `DynamoDB Local oracle: could not fetch ${spec} from the npm registry with \`npm pack\` (Java is installed, so the oracle tests cannot be skipped): ${(error as Error).message}`,
      );
    }
    const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`DynamoDB Local oracle: \`npm pack ${spec}\` produced no tarball`);
    const integrity = sha512Integrity(await readFile(join(work, tarball)));
    if (integrity !== DYNAMODB_LOCAL.integrity) {
      throw new Error(
        `DynamoDB Local oracle: ${spec} has integrity ${integrity}, not the pinned ${DYNAMODB_LOCAL.integrity}; refusing to run it`,
      );
    }
    const unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    // Only the emulator folder: the jar and its libraries (native sqlite4java included).
    await run(
      'tar',
      [
        '-xzf',
        join(work, tarball),
        '-C',
        unpacked,
        '--strip-components=2',
        'package/emulator/DynamoDBLocal.jar',
        'package/emulator/DynamoDBLocal_lib',
      ],
      { timeout: INSTALL_TIMEOUT_MS },
    );
    await compileLauncher(unpacked);
    await writeFile(join(unpacked, '.installed'), `${spec} ${integrity}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(unpacked, target);
    return target;
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(lock, { recursive: true, force: true });
  }
}

function classPath(home: string, ...extra: string[]): string {
  return [...extra, join(home, 'DynamoDBLocal.jar'), join(home, 'DynamoDBLocal_lib', '*')].join(':');
}

/** Compiles the loopback launcher when a JDK is present; without one the jar runs as shipped. */
async function compileLauncher(home: string): Promise<void> {
  const source = join(home, 'launcher', 'LoopbackDynamoDbLocal.java');
  await mkdir(dirname(source), { recursive: true });
  await writeFile(source, LAUNCHER_SOURCE);
  try {
    await run('javac', ['-nowarn', '-cp', classPath(home), '-d', join(home, 'launcher'), source], {
      timeout: 120_000,
    });
  } catch {
    // No javac: startDynamoDbLocal falls back to `java -jar` and says so.
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/**
 * A free port below Linux's ephemeral range (32768-60999), so that no server another test starts
 * on port 0 can take it between now and DynamoDB Local's start.
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portIsFree(port)) return port;
  }
  throw new Error('DynamoDB Local oracle: no free port found on 127.0.0.1');
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** How long it took to answer its first request. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** A raw AWS JSON 1.0 request to a DynamoDB endpoint; the signature is not checked locally. */
export async function dynamoDbRequest(
  endpoint: string,
  operation: string,
  body: unknown,
  accessKey = ORACLE_ACCESS_KEY,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-target, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/**
 * Installs (if needed) and starts DynamoDB Local in memory on a free loopback port, and waits
 * until it answers ListTables. `port` picks the port (the conformance suite needs it up front).
 */
export async function startDynamoDbLocal(options: { port?: number } = {}): Promise<DynamoDbLocal> {
  const home = await installDynamoDbLocal();
  const port = options.port ?? (await freePort());
  const launcher = join(home, 'launcher', 'LoopbackDynamoDbLocal.class');
  // C1 only and a serial collector: about twice as fast to start on two busy cores.
  const common = [
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-Xmx512m',
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
  ];
  const serverArgs = ['-inMemory', '-port', String(port), '-disableTelemetry'];
  let args: string[];
  if (existsSync(launcher)) {
    args = [
      ...common,
      '-cp',
      classPath(home, join(home, 'launcher')),
      'LoopbackDynamoDbLocal',
      ...serverArgs,
    ];
  } else {
    console.warn(
      'DynamoDB Local oracle: no javac to build the loopback launcher; DynamoDB Local listens on all interfaces for this run',
    );
    args = [...common, '-jar', join(home, 'DynamoDBLocal.jar'), ...serverArgs];
  }
  const started = Date.now();
  const child: ChildProcess = spawn('java', args, { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((done) =>
    child.once('exit', (code) => {
      exited = code;
      done();
    }),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = started + READY_TIMEOUT_MS;
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`DynamoDB Local exited (code ${exited}) before it was ready:\n${output}`);
    }
    try {
      const answer = await dynamoDbRequest(endpoint, 'ListTables', {});
      if (answer.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`DynamoDB Local did not answer within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  return { endpoint, port, startupMs: Date.now() - started, stop };
}
