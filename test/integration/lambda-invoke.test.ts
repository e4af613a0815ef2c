import { fileURLToPath } from 'node:url';

import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LambdaService } from '../../packages/local-cloud/src/lambda/service.js';
import { LOCAL_CREDENTIALS } from '../../packages/runtime/src/adapters/aws-clients.js';
import { storedZip } from '../support/stored-zip.js';
import { useTestCloud } from '../support/test-cloud-hooks.js';

const CJS_BUNDLE = fileURLToPath(new URL('../fixtures/lambda-functions/cjs', import.meta.url));

const cloud = useTestCloud();
let lambda: LambdaService;

beforeAll(() => {
  lambda = cloud.local!.services.lambda as LambdaService;
});

async function invoke(functionName: string, payload: unknown) {
  const output = await cloud.clients.lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }),
  );
  return { ...output, body: JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8')) };
}

describe('Lambda Invoke', () => {
  it('runs the handler with the event, its environment and a Lambda-shaped context', async () => {
    lambda.registerFunction({
      name: 'echo',
      codeDirectory: CJS_BUNDLE,
      handler: 'index.echo',
      timeout: 30,
      memorySize: 256,
      environment: { GREETING: 'hello' },
    });
    const output = await invoke('echo', { n: 1 });
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBeUndefined();
    expect(output.ExecutedVersion).toBe('$LATEST');
    expect(output.body).toMatchObject({
      event: { n: 1 },
      greeting: 'hello',
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      functionName: 'echo',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/echo',
    });
    expect(output.body.remainingMs).toBeGreaterThan(0);
    expect(output.body.remainingMs).toBeLessThanOrEqual(30_000);
  });

  it('reuses a warm environment for sequential invocations', async () => {
    const first = await invoke('echo', {});
    const second = await invoke('echo', {});
    expect(second.body.warmInvocations).toBe(first.body.warmInvocations + 1);
  });

  it('reports a thrown error as an Unhandled function error with its type and message', async () => {
    lambda.registerFunction({ name: 'refuser', codeDirectory: CJS_BUNDLE, handler: 'index.fail' });
    const output = await invoke('refuser', { reason: 'no points' });
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBe('Unhandled');
    expect(output.body).toMatchObject({ errorType: 'RefusedError', errorMessage: 'refused no points' });
  });

  it('fails an invocation that outlives its timeout and serves the next one from a fresh environment', async () => {
    lambda.registerFunction({
      name: 'sleeper',
      codeDirectory: CJS_BUNDLE,
      handler: 'index.sleep',
      timeout: 1,
    });
    const output = await invoke('sleeper', { sleepMs: 60_000 });
    expect(output.FunctionError).toBe('Unhandled');
    expect(output.body.errorType).toBe('Sandbox.Timedout');
    expect(output.body.errorMessage).toContain('Task timed out after 1.00 seconds');
    expect(
      lambda.recentLogs('sleeper').some((line) => / Task timed out after 1\.00 seconds$/.test(line)),
    ).toBe(true);
    expect(lambda.recentLogs('sleeper').at(-1)).toMatch(/^REPORT RequestId: .*Status: timeout$/);
    const next = await invoke('sleeper', { sleepMs: 1 });
    expect(next.FunctionError).toBeUndefined();
    expect(next.body).toEqual({ slept: 1 });
  });

  it('fails an invocation whose environment exits and replaces the environment', async () => {
    lambda.registerFunction({ name: 'exiter', codeDirectory: CJS_BUNDLE, handler: 'index.exit' });
    const output = await invoke('exiter', {});
    expect(output.FunctionError).toBe('Unhandled');
    expect(output.body.errorType).toBe('Runtime.ExitError');
    expect(output.body.errorMessage).toContain('exit status 3');
    await invoke('exiter', {});
    expect(lambda.functionStats('exiter').coldStarts).toBe(2);
    // The closing platform lines of the crashed invocation follow its START line.
    await expect
      .poll(() => lambda.recentLogs('exiter').filter((line) => line.startsWith('REPORT')).length)
      .toBe(2);
    const logs = lambda.recentLogs('exiter');
    const crashedReport = logs.findIndex(
      (line) => line.startsWith('REPORT') && line.endsWith('Status: error'),
    );
    expect(crashedReport).toBeGreaterThan(logs.findIndex((line) => line.startsWith('START')));
    expect(
      logs.some((line) => line.includes('\tERROR\tInvoke Error') && line.includes('Runtime.ExitError')),
    ).toBe(true);
  });

  it('fails an invocation on an uncaught exception and serves the next one from a fresh environment', async () => {
    lambda.registerFunction({ name: 'uncaught', codeDirectory: CJS_BUNDLE, handler: 'index.uncaught' });
    const crashed = await invoke('uncaught', { crash: true });
    expect(crashed.FunctionError).toBe('Unhandled');
    expect(crashed.body.errorMessage).toBe('uncaught in a timer');
    const next = await invoke('uncaught', {});
    expect(next.body).toEqual({ survived: true });
    expect(lambda.functionStats('uncaught').coldStarts).toBe(2);
  });

  it('gives each function its own process.env even when they run at the same time', async () => {
    for (const greeting of ['alpha', 'beta', 'gamma']) {
      lambda.registerFunction({
        name: `isolated-${greeting}`,
        codeDirectory: CJS_BUNDLE,
        handler: 'index.echo',
        environment: { GREETING: greeting },
      });
    }
    const outputs = await Promise.all(
      ['alpha', 'beta', 'gamma', 'alpha', 'beta', 'gamma'].map((greeting) =>
        invoke(`isolated-${greeting}`, {}),
      ),
    );
    expect(outputs.map((output) => output.body.greeting)).toEqual([
      'alpha',
      'beta',
      'gamma',
      'alpha',
      'beta',
      'gamma',
    ]);
  });

  it('supports callback-style handlers', async () => {
    lambda.registerFunction({ name: 'callback', codeDirectory: CJS_BUNDLE, handler: 'index.callback' });
    expect((await invoke('callback', { value: 7 })).body).toEqual({ called: 7 });
  });

  it('reports a missing handler export as Runtime.HandlerNotFound', async () => {
    lambda.registerFunction({ name: 'no-export', codeDirectory: CJS_BUNDLE, handler: 'index.missing' });
    const output = await invoke('no-export', {});
    expect(output.FunctionError).toBe('Unhandled');
    expect(output.body.errorType).toBe('Runtime.HandlerNotFound');
  });

  it('passes every console line to the log hook, EMF lines included', async () => {
    const lines: string[] = [];
    const unsubscribe = lambda.onLogLine((functionName, line) => {
      if (functionName === 'echo') lines.push(line);
    });
    await invoke('echo', {});
    // stdout of a worker arrives asynchronously; wait until both lines are there.
    await expect.poll(() => lines.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    unsubscribe();
    expect(lines.some((line) => line.startsWith('echo '))).toBe(true);
    expect(lines.some((line) => JSON.parse(line.startsWith('{') ? line : 'null')?._aws)).toBe(true);
  });

  it('frames each invocation with START, END and REPORT lines in the function log', async () => {
    lambda.registerFunction({ name: 'framed', codeDirectory: CJS_BUNDLE, handler: 'index.echo' });
    const output = await invoke('framed', {});
    await expect.poll(() => lambda.recentLogs('framed').some((line) => line.startsWith('REPORT'))).toBe(true);
    const echoed = lambda.recentLogs('framed').find((line) => line.startsWith('echo '))!;
    const requestId = echoed.slice('echo '.length);
    expect(output.FunctionError).toBeUndefined();
    const logs = lambda.recentLogs('framed');
    expect(logs.indexOf(`START RequestId: ${requestId} Version: $LATEST`)).toBe(0);
    expect(logs.indexOf(`END RequestId: ${requestId}`)).toBeGreaterThan(logs.indexOf(`echo ${requestId}`));
    expect(logs.at(-1)).toMatch(
      new RegExp(
        `^REPORT RequestId: ${requestId}\tDuration: [\\d.]+ ms\tBilled Duration: \\d+ ms\tMemory Size: 128 MB`,
      ),
    );
  });

  it('reports every invocation outcome for Lambda metrics', async () => {
    const reports: Array<{ functionName: string; outcome: string }> = [];
    const unsubscribe = lambda.onInvocation((report) => reports.push(report));
    await invoke('echo', {});
    await invoke('refuser', { reason: 'x' });
    unsubscribe();
    expect(reports.map(({ functionName, outcome }) => ({ functionName, outcome }))).toEqual([
      { functionName: 'echo', outcome: 'success' },
      { functionName: 'refuser', outcome: 'error' },
    ]);
  });

  it('retries a failed asynchronous invocation twice', async () => {
    const outcomes: string[] = [];
    const unsubscribe = lambda.onInvocation((report) => {
      if (report.functionName === 'refuser') outcomes.push(report.outcome);
    });
    // At this time scale Lambda's one- and two-minute retry delays take milliseconds.
    lambda.setTimeScale(60_000);
    try {
      await cloud.clients.lambda.send(
        new InvokeCommand({ FunctionName: 'refuser', InvocationType: 'Event', Payload: Buffer.from('{}') }),
      );
      await expect.poll(() => outcomes.length).toBe(3);
    } finally {
      lambda.setTimeScale(1);
      unsubscribe();
    }
    expect(outcomes).toEqual(['error', 'error', 'error']);
  });

  it('serves function and mapping statistics at /_oncely/lambda/stats', async () => {
    const response = await fetch(`${cloud.endpoint}/_oncely/lambda/stats`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { functions: Record<string, { invocations: number }> };
    expect(body.functions.echo?.invocations).toBeGreaterThanOrEqual(3);
  });

  it('accepts an asynchronous (Event) invocation with status 202', async () => {
    const output = await cloud.clients.lambda.send(
      new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: Buffer.from('{}') }),
    );
    expect(output.StatusCode).toBe(202);
  });

  it('surfaces ResourceNotFoundException by name for an unknown function', async () => {
    await expect(
      cloud.clients.lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(invoke('nope', {})).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('creates a function from an uploaded zip and lists it', async () => {
    const zip = storedZip({
      'index.mjs':
        "export const handler = async (event) => ({ format: 'esm', greeting: process.env.GREETING, event });",
    });
    const created = await cloud.clients.lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'zipped',
        Runtime: 'nodejs22.x',
        Role: 'arn:aws:iam::000000000000:role/test',
        Handler: 'index.handler',
        Code: { ZipFile: zip },
        Environment: { Variables: { GREETING: 'from zip' } },
      }),
    );
    expect(created.FunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:zipped');
    expect((await invoke('zipped', { a: 1 })).body).toEqual({
      format: 'esm',
      greeting: 'from zip',
      event: { a: 1 },
    });
    const listed = await cloud.clients.lambda.send(new ListFunctionsCommand({}));
    expect(listed.Functions?.map((fn) => fn.FunctionName)).toContain('zipped');
    const fetched = await cloud.clients.lambda.send(
      new GetFunctionCommand({ FunctionName: created.FunctionArn }),
    );
    expect(fetched.Configuration?.Environment?.Variables).toEqual({ GREETING: 'from zip' });
  });

  it('throttles direct invocations beyond the reserved concurrency', async () => {
    lambda.registerFunction({
      name: 'reserved',
      codeDirectory: CJS_BUNDLE,
      handler: 'index.sleep',
      timeout: 30,
    });
    await cloud.clients.lambda.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'reserved', ReservedConcurrentExecutions: 1 }),
    );
    const concurrency = await cloud.clients.lambda.send(
      new GetFunctionConcurrencyCommand({ FunctionName: 'reserved' }),
    );
    expect(concurrency.ReservedConcurrentExecutions).toBe(1);

    // No SDK retries, so the throttle is observed rather than waited out.
    const client = new LambdaClient({
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    const send = (sleepMs: number) =>
      client.send(
        new InvokeCommand({ FunctionName: 'reserved', Payload: Buffer.from(JSON.stringify({ sleepMs })) }),
      );
    const outcomes: string[] = [];
    const unsubscribe = lambda.onInvocation((report) => {
      if (report.functionName === 'reserved') outcomes.push(report.outcome);
    });
    const slow = send(1500);
    await expect.poll(() => lambda.functionStats('reserved').inFlight).toBe(1);
    await expect(send(1)).rejects.toMatchObject({ name: 'TooManyRequestsException' });
    expect((await slow).StatusCode).toBe(200);
    client.destroy();
    unsubscribe();
    expect(outcomes).toEqual(['throttled', 'success']);
    // The throttle reaches CloudWatch as AWS/Lambda Throttles, which no log line could tell.
    const now = Date.now();
    const throttles = await cloud.clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: 'reserved' }],
        StartTime: new Date(now - 600_000),
        EndTime: new Date(now + 60_000),
        Period: 60,
        Statistics: ['Sum'],
      }),
    );
    expect(throttles.Datapoints?.reduce((sum, point) => sum + (point.Sum ?? 0), 0)).toBe(1);
  });
});
