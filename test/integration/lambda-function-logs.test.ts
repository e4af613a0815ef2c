/**
 * The local Lambda's function logs (`lambda.logs`, which the cloud exposes as `cloud.logs`): every
 * line a handler prints and the lines Lambda writes around an invocation arrive tagged with the
 * invocation's request id and their source, and a failing handler's error is in the stream.
 * Handlers must live inside their code directory.
 */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionLogEvent } from '../../packages/local-cloud/src/lambda/function-logs.js';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const BUNDLE = fileURLToPath(new URL('../fixtures/function-logs', import.meta.url));

const cloud = useTestCloud();
let lambda: LambdaService;
const events: FunctionLogEvent[] = [];
let unsubscribe: () => void;

beforeAll(() => {
  lambda = cloud.local!.services.lambda as LambdaService;
  unsubscribe = lambda.logs.subscribe((event) => events.push(event));
  lambda.registerFunction({ name: 'chatty', codeDirectory: BUNDLE, handler: 'index.chatty' });
  lambda.registerFunction({ name: 'refuses', codeDirectory: BUNDLE, handler: 'index.refuses' });
});
afterAll(() => unsubscribe());

async function invoke(functionName: string, payload: unknown) {
  const output = await cloud.clients.lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }),
  );
  return { ...output, body: JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8')) };
}

/** The invocation's lines once its REPORT line arrived (stdout reaches the host asynchronously). */
async function linesOf(requestId: string): Promise<FunctionLogEvent[]> {
  await expect
    .poll(() => events.some((event) => event.requestId === requestId && event.line.startsWith('REPORT')), {
      timeout: 5000,
    })
    .toBe(true);
  return events.filter((event) => event.requestId === requestId);
}

describe('function logs', () => {
  it("tags the handler's stdout and stderr lines and Lambda's own lines with the request id", async () => {
    const { body } = await invoke('chatty', { n: 1 });
    const requestId = body.requestId as string;
    // stderr is a separate stream: wait for its line too before looking at the whole invocation.
    await expect
      .poll(() => events.some((event) => event.line === `warning from ${requestId}`), { timeout: 5000 })
      .toBe(true);
    const lines = await linesOf(requestId);
    expect(lines.every((event) => event.functionName === 'chatty')).toBe(true);
    expect(lines.find((event) => event.line === `hello from ${requestId}`)?.source).toBe('stdout');
    expect(lines.find((event) => event.line === `warning from ${requestId}`)?.source).toBe('stderr');
    const platform = lines.filter((event) => event.source === 'platform').map((event) => event.line);
    expect(platform[0]).toBe(`START RequestId: ${requestId} Version: $LATEST`);
    expect(platform).toContain(`END RequestId: ${requestId}`);
    expect(platform.at(-1)).toMatch(new RegExp(`^REPORT RequestId: ${requestId}\tDuration: `));
    expect(lines.every((event) => typeof event.timestamp === 'number')).toBe(true);
  });

  it("puts a failing handler's error into the stream", async () => {
    const output = await invoke('refuses', { reason: 'negative balance' });
    expect(output.FunctionError).toBe('Unhandled');
    // The error's request id is not in the response: it is the one this function's START line names.
    const requestId = await waitForStart('refuses');
    const error = (await linesOf(requestId)).find((event) => event.line.includes('Invoke Error'));
    expect(error?.source).toBe('platform');
    expect(error?.line).toContain('RefusedError');
    expect(error?.line).toContain('cannot accept negative balance');
  });

  it('keeps a tail per function and delivers only the subscribed function with a filter', async () => {
    const only: string[] = [];
    const stop = lambda.logs.subscribe((event) => only.push(event.functionName), {
      functionName: 'chatty',
    });
    const { body } = await invoke('chatty', { n: 2 });
    await linesOf(body.requestId as string);
    await invoke('refuses', { reason: 'x' });
    stop();
    expect(new Set(only)).toEqual(new Set(['chatty']));
    const tail = lambda.logs.tail('chatty');
    expect(tail.at(-1)?.line).toMatch(/^REPORT RequestId: /);
    expect(lambda.logs.tail('chatty', 2)).toHaveLength(2);
    expect(lambda.recentLogs('chatty')).toEqual(tail.map((event) => event.line));
  });
});

describe('handler containment', () => {
  let outside: string;
  let code: string;
  beforeAll(async () => {
    outside = await mkdtemp(join(tmpdir(), 'oncely-outside-'));
    code = await mkdtemp(join(tmpdir(), 'oncely-code-'));
    await writeFile(join(outside, 'index.js'), 'exports.handler = async () => "outside";\n');
    await symlink(join(outside, 'index.js'), join(code, 'linked.js'));
  });
  afterAll(async () => {
    await rm(outside, { recursive: true, force: true });
    await rm(code, { recursive: true, force: true });
  });

  it('refuses a handler module outside the code directory', async () => {
    lambda.registerFunction({
      name: 'dotdot',
      codeDirectory: BUNDLE,
      handler: '../lambda-functions/cjs/index.echo',
    });
    const output = await invoke('dotdot', {});
    expect(output.FunctionError).toBe('Unhandled');
    expect(output.body.errorType).toBe('Runtime.MalformedHandlerName');
  });

  it('refuses a handler module that is a symbolic link out of the code directory', async () => {
    lambda.registerFunction({ name: 'linked', codeDirectory: code, handler: 'linked.handler' });
    const output = await invoke('linked', {});
    expect(output.FunctionError).toBe('Unhandled');
    expect(output.body.errorType).toBe('Runtime.ImportModuleError');
    expect(output.body.errorMessage).toContain('outside');
  });
});

async function waitForStart(functionName: string): Promise<string> {
  let found: string | undefined;
  await expect
    .poll(
      () => {
        found = events.findLast(
          (event) => event.functionName === functionName && event.line.startsWith('START'),
        )?.requestId;
        return found;
      },
      { timeout: 5000 },
    )
    .toBeDefined();
  return found!;
}
