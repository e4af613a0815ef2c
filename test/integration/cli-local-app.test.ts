/**
 * `oncely local --app` end to end, as a person runs it: the compiled CLI in a child process runs a
 * small plain-JavaScript CDK app (test/fixtures/local-cdk-app), deploys what it synthesized, prints
 * the outputs and a ready line, and streams the function's log lines prefixed with its name. Then
 * the AWS SDK and `oncely status --stack` work against it as against AWS, and Ctrl-C stops it.
 * The CLI runs from packages/cli/dist: `npm test` builds before it runs the tests.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'packages/cli/bin/oncely.mjs');
const BUILT = ['packages/cli/dist/esm/main.js', 'packages/local-cloud/dist/esm/index.js'];
const APP = 'node test/fixtures/local-cdk-app/app.mjs';
const STACK = 'OncelyLocalFixture';
/** Synthesis loads aws-cdk-lib, which takes a while on a busy two-core machine. */
const READY_DEADLINE_MS = 150_000;
const LINE_DEADLINE_MS = 20_000;

/** The child's output, line by line, with waits that end at a deadline or when the child exits. */
class ChildOutput {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private readonly waiters = new Set<() => void>();
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(readonly child: ChildProcess) {
    for (const [stream, lines] of [
      [child.stdout!, this.stdout],
      [child.stderr!, this.stderr],
    ] as const) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        this.wake();
      });
    }
    child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      this.wake();
    });
  }

  /** The first stdout line matching `pattern`, waiting for it until the deadline. */
  async line(pattern: RegExp, deadlineMs = LINE_DEADLINE_MS): Promise<RegExpExecArray> {
    return this.until(() => this.find(pattern), deadlineMs, `a stdout line matching ${pattern}`);
  }

  async exited(deadlineMs = LINE_DEADLINE_MS) {
    return this.until(() => this.exit, deadlineMs, 'the CLI to exit', true);
  }

  private find(pattern: RegExp): RegExpExecArray | undefined {
    for (const line of this.stdout) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    return undefined;
  }

  private until<T>(check: () => T | undefined, deadlineMs: number, what: string, exitOk = false): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const found = check();
        if (found !== undefined) return finish(() => resolve(found));
        if (this.exit && !exitOk) {
          return finish(() =>
            reject(
              new Error(`the CLI exited (${JSON.stringify(this.exit)}) before ${what}\n${this.transcript()}`),
            ),
          );
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} within ${deadlineMs} ms\n${this.transcript()}`))),
        deadlineMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
        settle();
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  transcript(): string {
    return `--- stdout\n${this.stdout.join('\n')}\n--- stderr\n${this.stderr.join('\n')}`;
  }
}

/** Fails with a clear message when the compiled CLI this file runs is missing. */
function requireBuild(): void {
  const missing = BUILT.filter((file) => !existsSync(join(ROOT, file)));
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} missing: this test runs the compiled CLI; run \`npm run build\` first ` +
        '(`npm test` builds before it runs the tests)',
    );
  }
}

/** Starts `oncely local ARGS` and waits for its ready line; returns the output and the endpoint. */
async function startLocal(args: string[], cwd = ROOT): Promise<{ output: ChildOutput; endpoint: string }> {
  requireBuild();
  const child = spawn(process.execPath, [CLI, 'local', '--port', '0', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new ChildOutput(child);
  started.push(output);
  const endpoint = (await output.line(/ready at (http:\/\/127\.0\.0\.1:\d+)/, READY_DEADLINE_MS))[1]!;
  return { output, endpoint };
}

/** Every child started, so none outlives this file, whatever failed. */
const started: ChildOutput[] = [];
afterAll(async () => {
  for (const output of started) {
    if (output.exit) continue;
    output.child.kill('SIGKILL');
    await output.exited();
  }
});

/** Ctrl-C, then the exit status, within a deadline. */
async function interrupt(output: ChildOutput) {
  output.child.kill('SIGINT');
  return output.exited();
}

describe('oncely local --app (compiled CLI in a child process)', () => {
  let scratch: string;
  let output: ChildOutput;
  let endpoint: string;
  let cloudformation: CloudFormationClient;
  let lambda: LambdaClient;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'oncely-local-app-'));
    ({ output, endpoint } = await startLocal([
      '--app',
      APP,
      '--output',
      join(scratch, 'cdk.out'),
      '--outputs-file',
      join(scratch, 'outputs.json'),
      '-c',
      'fixture:greeting=bonjour',
    ]));
    const config = { region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS };
    cloudformation = new CloudFormationClient(config);
    lambda = new LambdaClient(config);
  }, READY_DEADLINE_MS + 10_000);

  afterAll(async () => {
    cloudformation?.destroy();
    lambda?.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('prints the outputs, which DescribeStacks returns too, and writes the outputs file', async () => {
    const { Stacks = [] } = await cloudformation.send(new DescribeStacksCommand({ StackName: STACK }));
    expect(Stacks[0]?.StackStatus).toBe('CREATE_COMPLETE');
    const outputs = Object.fromEntries((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs.QueueUrl).toMatch(new RegExp(`^${endpoint}/000000000000/${STACK}-Work`));
    expect(outputs.FunctionName).toMatch(new RegExp(`^${STACK}-Greeter`));
    expect(output.stdout).toContain(`  QueueUrl: ${outputs.QueueUrl}`);
    expect(output.stdout).toContain(`  FunctionName: ${outputs.FunctionName}`);
    expect(JSON.parse(await readFile(join(scratch, 'outputs.json'), 'utf8'))).toEqual({ [STACK]: outputs });
    // Progress goes to stderr, keeping stdout for outputs and logs.
    expect(output.stderr.some((line) => line.startsWith('Running the CDK app: node test/fixtures'))).toBe(
      true,
    );
  });

  it("streams the function's log lines prefixed with its name, a failing handler's error included", async () => {
    const functionName = (await output.line(/^ {2}FunctionName: (\S+)$/))[1]!;
    const invoke = (payload: object) =>
      lambda.send(
        new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }),
      );
    expect((await invoke({ name: 'ada' })).FunctionError).toBeUndefined();
    // The app's context (-c) reached the function's environment.
    const greeting = await output.line(/^\[Greeter\] (\{"greeting":"bonjour ada".*)$/);
    const requestId = (JSON.parse(greeting[1]!) as { requestId: string }).requestId;
    await output.line(new RegExp(`^\\[Greeter\\] REPORT RequestId: ${requestId}\\t`));
    expect(output.stdout).toContain(`[Greeter] START RequestId: ${requestId} Version: $LATEST`);

    expect((await invoke({ name: 'bob', fail: true })).FunctionError).toBe('Unhandled');
    const failure = await output.line(/^\[Greeter\] .*\tERROR\tInvoke Error \t(.*)$/);
    expect(JSON.parse(failure[1]!)).toMatchObject({ errorMessage: 'refusing bob' });
  });

  it('serves `oncely status --stack NAME --json` through DescribeStacks', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CLI, 'status', '--stack', STACK, '--endpoint', endpoint, '--json', '--no-peek'],
      { cwd: ROOT, timeout: LINE_DEADLINE_MS },
    );
    const status = JSON.parse(stdout) as { queue: { url: string; visible: number } };
    expect(status.queue.url).toMatch(new RegExp(`/${STACK}-Work`));
    expect(status.queue.visible).toBe(0);
  });

  it('stops on Ctrl-C (SIGINT) and exits 0', async () => {
    expect(await interrupt(output)).toEqual({ code: 0, signal: null });
    expect(output.stderr).toContain('Stopping the local cloud...');
  });
});

describe('oncely local in a project with a cdk.json, and with --template', () => {
  const PROJECT = join(ROOT, 'test/fixtures/cdk-json-project');
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'oncely-local-project-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("runs cdk.json's app with its context, and deploys only --stack and what it depends on", async () => {
    const outdir = join(scratch, 'cdk.out');
    const { output } = await startLocal(
      [
        '--stack',
        'FixtureApp',
        '-c',
        'fixture:from=command line',
        '--output',
        outdir,
        '--outputs-file',
        join(scratch, 'outputs.json'),
      ],
      PROJECT,
    );
    const context = JSON.parse(await readFile(join(outdir, 'received-context.json'), 'utf8'));
    expect(context).toEqual({
      'fixture:from': 'command line',
      'fixture:kept': 'yes',
      'aws:cdk:enable-asset-metadata': true,
    });
    const stacks = output.stdout.filter((line) => line.startsWith('Stack '));
    expect(stacks.map((line) => line.split(':')[0])).toEqual(['Stack FixtureShared', 'Stack FixtureApp']);
    expect(output.stdout.some((line) => /^ {2}HandlerName: FixtureApp-Handler/.test(line))).toBe(true);
    expect(await interrupt(output)).toEqual({ code: 0, signal: null });
  });

  it('refuses a --stack the app does not have before it starts listening (exit 2, one line)', async () => {
    requireBuild();
    const child = spawn(
      process.execPath,
      [CLI, 'local', '--port', '0', '--stack', 'Nope', '--output', join(scratch, 'nope.out')],
      { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = new ChildOutput(child);
    started.push(output);
    expect(await output.exited()).toEqual({ code: 2, signal: null });
    expect(output.stdout).toEqual([]);
    expect(output.stderr.filter((line) => line.startsWith('oncely local:'))).toEqual([
      "oncely local: --stack Nope: the cloud assembly has no stack Nope (it has: Shared, App, Dev/Service) (see 'oncely local --help')",
    ]);
  });

  it('deploys --template FILE with its assets looked up next to it', async () => {
    const { output } = await startLocal([
      '--template',
      'test/fixtures/cloud-assembly/Shared.template.json',
      '--outputs-file',
      join(scratch, 'template-outputs.json'),
    ]);
    expect(output.stdout.some((line) => line.startsWith('Stack Shared:'))).toBe(true);
    const written = JSON.parse(await readFile(join(scratch, 'template-outputs.json'), 'utf8'));
    expect(written.Shared.SharedQueueUrl).toMatch(/\/000000000000\/Shared-SharedQueue-/);
    expect(await interrupt(output)).toEqual({ code: 0, signal: null });
  });
});
