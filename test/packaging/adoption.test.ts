/**
 * Oncely as a team adopts it, from outside this repository: every package is packed with
 * `npm pack`, a project is laid out by `cdk init app --language typescript` (CommonJS, TypeScript
 * checked by tsc, run by tsx), the tarballs are installed into it, and the project's own ten-line
 * handler and stack (an `OncelyPipeline` around the handler, plus the project's own table) run
 * through `cdk synth` unchanged and on `oncely local --app`. Events go in with the AWS SDK.
 *
 * Installing the project's dependencies needs the npm registry (the npm cache serves what the
 * repository's own install already fetched).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const PACKAGES = ['packages/runtime', 'packages/cdk', 'packages/local-cloud', 'packages/cli'] as const;
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'oncely',
  AWS_SECRET_ACCESS_KEY: 'oncely-local',
  AWS_REGION: 'us-east-1',
};
const MINUTES = 60_000;

/** The versions this repository tested with, so the project installs from the npm cache. */
function installedVersion(name: string): string {
  return (
    JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

interface Packed {
  readonly name: string;
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { path: string }[];
}

let work: string;
let project: string;
let packed: Packed[];
let local: ChildProcess | undefined;
let localOutput = '';

async function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await run(command, args, {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 8 * MINUTES,
    });
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`,
    );
  }
}

const HANDLER = `import { defineHandler, RejectedError } from '@oncely/runtime';
import { lambdaConsumer } from '@oncely/runtime/lambda';
import { z } from 'zod';

const reserve = defineHandler({
  type: 'inventory.reserve',
  schema: z.object({ sku: z.string(), quantity: z.number().int().positive(), orderId: z.string() }),
  handle: ({ sku, quantity }) => {
    if (quantity > 1000) throw new RejectedError('too-many');
    return { writes: [{ Update: { TableName: process.env.STOCK_TABLE!, Key: { pk: sku },
      UpdateExpression: 'ADD reserved :q', ExpressionAttributeValues: { ':q': quantity } } }] };
  },
});

export const handler = lambdaConsumer({ handlers: [reserve] });
`;

const STACK = (className: string) => `import * as cdk from 'aws-cdk-lib/core';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { OncelyPipeline } from '@oncely/cdk';
import { Construct } from 'constructs';
import { join } from 'node:path';

export class ${className} extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const stock = new dynamodb.Table(this, 'Stock', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    new OncelyPipeline(this, 'Reservations', {
      consumer: { entry: join(__dirname, '../src/consumer.ts') },
      grantWrite: [stock],
      environment: { STOCK_TABLE: stock.tableName },
      settings: { queueType: 'standard', maxReceiveCount: 2, removalPolicy: 'destroy' },
    });
    new cdk.CfnOutput(this, 'StockTableName', { value: stock.tableName });
  }
}
`;

beforeAll(async () => {
  for (const dir of PACKAGES)
    if (!existsSync(join(REPO, dir, 'dist')))
      throw new Error(`${dir}/dist is missing: run \`npm run build\` first (npm test does)`);
  work = mkdtempSync(join(tmpdir(), 'oncely-adoption-'));
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const { stdout } = await sh(
    'npm',
    ['pack', '--json', '--pack-destination', tarballs, ...PACKAGES.flatMap((dir) => ['--workspace', dir])],
    REPO,
  );
  packed = JSON.parse(stdout) as Packed[];

  project = join(work, 'inventory');
  mkdirSync(project);
  await sh(
    join(REPO, 'node_modules/.bin/cdk'),
    ['init', 'app', '--language', 'typescript', '--generate-only'],
    project,
  );
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  // The project's test runner is not under test here; everything else stays as cdk init wrote it.
  for (const name of ['jest', '@swc/core', '@swc/jest']) delete manifest.devDependencies[name];
  for (const name of ['aws-cdk', 'typescript', '@types/node'])
    manifest.devDependencies[name] = installedVersion(name);
  manifest.dependencies['aws-cdk-lib'] = installedVersion('aws-cdk-lib');
  manifest.dependencies.constructs = installedVersion('constructs');
  manifest.dependencies.zod = installedVersion('zod');
  for (const name of ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-sqs'])
    manifest.dependencies[name] = installedVersion(name);
  for (const tarball of packed)
    manifest.dependencies[tarball.name] = `file:${join(tarballs, tarball.filename)}`;
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(join(project, 'test'), { recursive: true, force: true });
  mkdirSync(join(project, 'src'));
  writeFileSync(join(project, 'src/consumer.ts'), HANDLER);
  writeFileSync(join(project, 'lib/inventory-stack.ts'), STACK('InventoryStack'));
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], project);
}, 10 * MINUTES);

afterAll(async () => {
  if (local && local.exitCode === null) {
    const exited = new Promise((done) => local!.once('exit', done));
    local.kill('SIGINT');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 10_000).unref())]);
    local.kill('SIGKILL');
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Oncely installed from its tarballs into a cdk init project', () => {
  it('ships compiled code, type declarations and READMEs, and no sources, tests or docs', () => {
    expect(packed.map((tarball) => tarball.name).sort()).toEqual(
      ['@oncely/cdk', '@oncely/local-cloud', '@oncely/runtime', 'oncely'].sort(),
    );
    for (const tarball of packed) {
      const paths = tarball.files.map((file) => file.path);
      expect(paths, tarball.name).toContain('README.md');
      expect(
        paths.some((path) => path.endsWith('.d.ts')),
        tarball.name,
      ).toBe(true);
      expect(
        paths.filter(
          (path) =>
            /(^|\/)(src|test|bench|docs)\//.test(path) || (path.endsWith('.ts') && !path.endsWith('.d.ts')),
        ),
        tarball.name,
      ).toEqual([]);
      console.info(
        `${tarball.filename}: ${(tarball.size / 1024).toFixed(0)} KiB packed, ${(tarball.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${paths.length} files`,
      );
    }
  });

  it(
    'imports every public entry from CommonJS and from an ES module',
    async () => {
      const entries = [
        '@oncely/runtime',
        '@oncely/runtime/aws',
        '@oncely/runtime/lambda',
        '@oncely/runtime/contract',
        '@oncely/cdk',
      ];
      writeFileSync(
        join(project, 'check.cjs'),
        `for (const name of ${JSON.stringify(entries)}) { const m = require(name); if (Object.keys(m).length === 0) throw new Error(name + ' is empty'); }\nconsole.log('cjs ok');\n`,
      );
      writeFileSync(
        join(project, 'check.mjs'),
        `for (const name of ${JSON.stringify([...entries, '@oncely/local-cloud', 'oncely'])}) { const m = await import(name); if (Object.keys(m).length === 0) throw new Error(name + ' is empty'); }\nconsole.log('esm ok');\n`,
      );
      expect((await sh(process.execPath, ['check.cjs'], project)).stdout).toContain('cjs ok');
      expect((await sh(process.execPath, ['check.mjs'], project)).stdout).toContain('esm ok');
    },
    5 * MINUTES,
  );

  it(
    'type-checks the project under node16, nodenext and bundler module resolution',
    async () => {
      for (const [module, moduleResolution] of [
        ['node16', 'node16'],
        ['nodenext', 'nodenext'],
        ['preserve', 'bundler'],
      ]) {
        const config = join(project, `tsconfig.${moduleResolution}.json`);
        writeFileSync(
          config,
          JSON.stringify({
            extends: './tsconfig.json',
            compilerOptions: { module, moduleResolution, noEmit: true },
          }),
        );
        await sh(join(project, 'node_modules/.bin/tsc'), ['-p', config], project);
      }
    },
    5 * MINUTES,
  );

  it(
    'synthesizes with cdk synth, unchanged',
    async () => {
      await sh(join(project, 'node_modules/.bin/cdk'), ['synth', '--quiet'], project);
      const template = JSON.parse(
        readFileSync(join(project, 'cdk.out/InventoryStack.template.json'), 'utf8'),
      ) as {
        Resources: Record<string, { Type: string }>;
      };
      const types = Object.values(template.Resources).map((resource) => resource.Type);
      expect(types.filter((type) => type === 'AWS::Lambda::EventSourceMapping')).toHaveLength(1);
      expect(types.filter((type) => type === 'AWS::DynamoDB::Table').length).toBeGreaterThanOrEqual(4);
    },
    5 * MINUTES,
  );

  describe('on oncely local --app', () => {
    let outputs: Record<string, string>;
    let sqs: SQSClient;
    let documents: DynamoDBDocumentClient;

    beforeAll(async () => {
      const cdkJson = JSON.parse(readFileSync(join(project, 'cdk.json'), 'utf8')) as { app: string };
      local = spawn(
        join(project, 'node_modules/.bin/oncely'),
        ['local', '--app', cdkJson.app, '--port', '0', '--outputs-file', join(work, 'outputs.json')],
        { cwd: project, env: { ...process.env, ...CREDENTIALS }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      local.stdout!.on('data', (chunk) => (localOutput += chunk));
      local.stderr!.on('data', (chunk) => (localOutput += chunk));
      await waitFor('oncely local to deploy the app and print its endpoint', 5 * MINUTES, () => {
        if (local!.exitCode !== null)
          throw new Error(`oncely local exited ${local!.exitCode}:\n${localOutput}`);
        return existsSync(join(work, 'outputs.json')) && /ready at http:/.test(localOutput);
      });
      // `cdk deploy --outputs-file` form: { "<stack>": { "<OutputKey>": "<value>" } }.
      const written = JSON.parse(readFileSync(join(work, 'outputs.json'), 'utf8')) as Record<
        string,
        Record<string, string>
      >;
      outputs = { ...written.InventoryStack };
      const endpoint = /ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(localOutput)?.[1];
      if (!endpoint) throw new Error(`no endpoint in the output of oncely local:\n${localOutput}`);
      outputs.endpoint = endpoint;
      const config = {
        region: 'us-east-1',
        endpoint,
        credentials: { accessKeyId: 'oncely', secretAccessKey: 'oncely-local' },
      };
      sqs = new SQSClient(config);
      documents = DynamoDBDocumentClient.from(new DynamoDBClient(config));
    }, 6 * MINUTES);

    afterAll(() => {
      sqs?.destroy();
      documents?.destroy();
    });

    const send = (body: string) =>
      sqs.send(new SendMessageCommand({ QueueUrl: outputs.QueueUrl!, MessageBody: body }));
    const reserved = async (sku: string) =>
      (await documents.send(new GetCommand({ TableName: outputs.StockTableName!, Key: { pk: sku } }))).Item
        ?.reserved as number | undefined;

    it(
      'applies each event once: envelopes, a repeated envelope, a plain JSON body',
      async () => {
        const envelope = (id: string, sku: string, quantity: number) =>
          JSON.stringify({
            id,
            type: 'inventory.reserve',
            producer: 'test-stream',
            seq: Number(id.slice(-1)),
            key: sku,
            occurredAt: new Date(0).toISOString(),
            payload: { sku, quantity, orderId: `order-${id}` },
          });
        await send(envelope('1000000000000000001', 'sku-a', 3));
        // The same envelope delivered three times: one effect.
        for (let copy = 0; copy < 3; copy++) await send(envelope('1000000000000000002', 'sku-b', 5));
        // A producer that does not use Oncely: the claim is keyed by the SQS message id.
        await send(JSON.stringify({ sku: 'sku-c', quantity: 7, orderId: 'plain-1' }));
        await waitFor(
          'the three effects',
          2 * MINUTES,
          async () =>
            (await reserved('sku-a')) === 3 &&
            (await reserved('sku-b')) === 5 &&
            (await reserved('sku-c')) === 7,
        );
        expect([await reserved('sku-a'), await reserved('sku-b'), await reserved('sku-c')]).toEqual([
          3, 5, 7,
        ]);
      },
      3 * MINUTES,
    );

    it(
      'sends a poison message to the DLQ with its reason, and the log shows the consumer at work',
      async () => {
        await send('not json at all');
        let reason: string | undefined;
        await waitFor('the poison message in the DLQ', 2 * MINUTES, async () => {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: outputs.DeadLetterQueueUrl!,
              MessageAttributeNames: ['All'],
              VisibilityTimeout: 0,
            }),
          );
          reason = Messages.flatMap((message) => Object.entries(message.MessageAttributes ?? {})).find(
            ([name]) => /reason/i.test(name),
          )?.[1].StringValue;
          return reason !== undefined;
        });
        expect(reason).toMatch(/json|envelope|invalid/i);
      },
      3 * MINUTES,
    );

    it(
      'answers oncely status --stack NAME --json through the CloudFormation API',
      async () => {
        const { stdout } = await sh(
          join(project, 'node_modules/.bin/oncely'),
          ['status', '--stack', 'InventoryStack', '--endpoint', outputs.endpoint!, '--json'],
          project,
          CREDENTIALS,
        );
        const status = JSON.parse(stdout) as Record<string, unknown>;
        expect(JSON.stringify(status)).toContain(outputs.QueueUrl!);
      },
      2 * MINUTES,
    );
  });
});
