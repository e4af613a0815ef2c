/**
 * The console on a local cloud with a small deployed stack (the cdk-shaped fixture: a FIFO work
 * queue with a dead-letter queue, a mapping, a function, a table): its data endpoints, its live
 * stream and the redrive action; and that it opens no way in - a cross-origin page can neither read
 * through it nor act through it, and an action needs the page's token. Loopback only.
 */
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachConsole, type LocalConsole } from '../../packages/cli/src/index.js';
import { deployTemplate } from '../../packages/local-cloud/src/deploy/template-deployer.js';
import { type LocalCloud, startLocalCloud } from '../../packages/local-cloud/src/server.js';
import {
  type AwsClients,
  createAwsClients,
  LOCAL_CREDENTIALS,
} from '../../packages/runtime/src/adapters/aws-clients.js';
import { waitFor } from '../support/wait.js';
import { runCli } from './audit-pipeline.js';

const TEMPLATE = fileURLToPath(
  new URL('../fixtures/deploy-stack/FixtureStack.template.json', import.meta.url),
);
const TOKEN_HEADER = 'x-oncely-console-token';
/** A page of another site; and one of an origin the cloud allows for its AWS APIs. */
const EVIL = 'http://evil.example';
const TRUSTED_APP = 'http://localhost:3000';
const HOSTILE_BODY = '{"poison":true,"note":"<img src=x onerror=alert(1)></pre><script>alert(2)</script>"}';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

let cloud: LocalCloud;
let clients: AwsClients;
let liveConsole: LocalConsole;
let origin: string;
let dlqUrl: string;
let workQueueUrl: string;
let token: string;

/** One request with exactly these headers (Host included), as a browser or a tool sends it. */
function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = options.body ?? '';
    const req = request(
      {
        host: '127.0.0.1',
        port: cloud.port,
        method: options.method ?? 'GET',
        path,
        headers: {
          host: `127.0.0.1:${cloud.port}`,
          ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const api = (path: string) => `/_oncely/console/api/${path}`;
const json = async (path: string) => {
  const response = await send(api(path));
  expect(response.status, response.text).toBe(200);
  return JSON.parse(response.text);
};

async function dlqIds(): Promise<string[]> {
  const list = await json('stacks/FixtureStack/dlq');
  return list.messages.map((message: { messageId: string }) => message.messageId);
}

async function putInDlq(body: string, group: string): Promise<string> {
  const sent = await clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: `${group}-${body.length}`,
    }),
  );
  return sent.MessageId!;
}

function redriveForm(ids: readonly string[], mode = 'selected'): string {
  const form = new URLSearchParams({ queue: 'DeadLetterQueue', mode });
  for (const id of ids) form.append('id', id);
  return form.toString();
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, allowedOrigins: [TRUSTED_APP] });
  origin = `http://127.0.0.1:${cloud.port}`;
  clients = createAwsClients({
    region: 'us-east-1',
    endpoint: cloud.endpoint,
    credentials: LOCAL_CREDENTIALS,
  });
  liveConsole = await attachConsole(cloud, { sampleEveryMs: 100 });
  const summary = await deployTemplate(cloud, TEMPLATE);
  dlqUrl = summary.resources.DeadLetterQueue!.physicalId!;
  workQueueUrl = summary.resources.WorkQueue!.physicalId!;
  await waitFor('the console to find the deployed stack', 10_000, async () => {
    const { stacks } = JSON.parse((await send(api('stacks'))).text);
    return stacks.some((stack: { name: string }) => stack.name === 'FixtureStack');
  });
  const page = await send('/_oncely/console/');
  token = /<meta name="oncely-console-token" content="([^"]+)"/.exec(page.text)?.[1] ?? '';
});

afterAll(async () => {
  clients?.destroy();
  await cloud?.stop();
});

describe('the console on the local cloud', () => {
  it('serves the page on the cloud origin, with a per-process token, a CSP and no CORS header', async () => {
    expect(liveConsole.url).toBe(`${cloud.endpoint}/_oncely/console/`);
    const redirect = await send('/_oncely/console');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe('/_oncely/console/');
    const page = await send('/_oncely/console/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const script = await send('/_oncely/console/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    for (const path of ['assets/../http.js', 'assets/%2e%2e%2fhttp.js', 'assets/index.ts', 'nothing'])
      expect((await send(`/_oncely/console/${path}`)).status, path).toBe(404);
  });

  it('draws the stack from its template: queues, DLQ, mapping, function, table, key settings', async () => {
    const stack = await json('stacks/FixtureStack');
    const nodes = new Map(stack.architecture.nodes.map((node: { id: string }) => [node.id, node]));
    expect(nodes.get('WorkQueue')).toMatchObject({
      kind: 'queue',
      settings: expect.arrayContaining([
        ['type', 'FIFO'],
        ['maxReceiveCount', '2'],
      ]),
    });
    expect(nodes.get('DeadLetterQueue')).toMatchObject({ kind: 'queue', deadLetter: true });
    expect(nodes.get('ConsumerFunction')).toMatchObject({
      kind: 'function',
      settings: expect.arrayContaining([
        ['memory', '512 MB'],
        ['timeout', '5 s'],
      ]),
    });
    expect(nodes.get('ClaimsTable')).toMatchObject({ kind: 'table' });
    expect(stack.architecture.edges).toEqual(
      expect.arrayContaining([
        { from: 'WorkQueue', to: 'DeadLetterQueue', kind: 'redrive', label: 'after 2 receives' },
        { from: 'WorkQueue', to: 'ConsumerFunction', kind: 'mapping', label: 'batch 5 · max 2' },
        { from: 'ConsumerFunction', to: 'ClaimsTable', kind: 'uses' },
      ]),
    );
    expect(stack.architecture.mappings[0]).toMatchObject({ batchSize: 5, maximumConcurrency: 2 });
    expect(stack.deadLetterQueues).toEqual([{ id: 'DeadLetterQueue', url: dlqUrl }]);
  });

  it('reads the pipeline as `oncely status --json` does, and samples every queue and mapping', async () => {
    await putInDlq('{"poison":true}', 'status');
    const cli = await runCli([
      'status',
      '--json',
      '--no-peek',
      '--stack',
      'FixtureStack',
      '--endpoint',
      cloud.endpoint,
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const fromCli = JSON.parse(cli.stdout);
    const fromConsole = await json('stacks/FixtureStack/status');
    expect(fromConsole.queue).toEqual(fromCli.queue);
    await waitFor('a sample that counts the DLQ message', 10_000, async () => {
      const { samples } = await json('stacks/FixtureStack/samples');
      const dlq = samples.at(-1)?.queues.find((queue: { id: string }) => queue.id === 'DeadLetterQueue');
      return dlq !== undefined && dlq.visible + dlq.inFlight >= 1;
    });
    const { samples } = await json('stacks/FixtureStack/samples');
    const latest = samples.at(-1);
    expect(latest.status.queue.url).toBe(workQueueUrl);
    expect(latest.mappings).toEqual([
      expect.objectContaining({ id: 'ConsumerMapping', maximumConcurrency: 2, running: expect.any(Number) }),
    ]);
  });

  it('streams samples and the function log lines, narrowed by function and request id', async () => {
    const events = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: cloud.port, path: api('events?stack=FixtureStack&q=RequestId') },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (text.includes('event: sample') && text.includes('event: logs')) {
              req.destroy();
              resolve(text);
            }
          });
        },
      );
      req.on('error', reject);
      req.end();
      // A message for the consumer: its START/END/REPORT lines carry "RequestId".
      void clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: workQueueUrl,
          MessageBody: '{"id":"log-1"}',
          MessageGroupId: 'logs',
        }),
      );
      setTimeout(
        () => reject(new Error(`no sample and log line within 15 s: ${req.destroyed}`)),
        15_000,
      ).unref();
    });
    const logs = events
      .split('\n\n')
      .filter((block) => block.startsWith('event: logs'))
      .flatMap((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)));
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(line.line).toContain('RequestId');
    const requestId = logs[0].requestId as string;
    const { lines } = await json(`stacks/FixtureStack/logs?request=${requestId.slice(0, 13)}`);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.requestId).toBe(requestId);
  });

  it('lists DLQ messages with their reasons and opens one with its body as data, consuming nothing', async () => {
    const id = await putInDlq(HOSTILE_BODY, 'hostile');
    const list = await json('stacks/FixtureStack/dlq');
    const message = list.messages.find((candidate: { messageId: string }) => candidate.messageId === id);
    expect(message.reason).toBe('maxReceiveCount exceeded');
    expect(list.depth).toBeGreaterThanOrEqual(2);
    const opened = await json(`stacks/FixtureStack/dlq/message?id=${encodeURIComponent(id)}`);
    expect(opened).toMatchObject({ messageId: id, body: HOSTILE_BODY, bodyTruncated: false });
    expect((await send(api('stacks/FixtureStack/dlq/message?id=no-such-message'))).status).toBe(404);
    // Still there: a peek hides nothing.
    expect(await dlqIds()).toContain(id);
  });

  it('redrives a selected message and every message, with progress, back to the work queue', async () => {
    const ids = await dlqIds();
    const [first, ...rest] = ids;
    const selected = await send(api('stacks/FixtureStack/dlq/redrive'), {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded', [TOKEN_HEADER]: token },
      body: redriveForm([first!]),
    });
    expect(selected.status, selected.text).toBe(202);
    expect(JSON.parse(selected.text).job).toMatchObject({
      mode: 'selected',
      requested: 1,
      status: 'RUNNING',
    });
    await waitFor('the selected redrive to finish', 10_000, async () => {
      const { job } = await json('stacks/FixtureStack/dlq/redrive');
      if (job.status === 'FAILED') throw new Error(job.errors.join('; '));
      return job.status === 'COMPLETED' && job.moved === 1;
    });
    const left = await dlqIds();
    expect(left).not.toContain(first);
    expect(left).toEqual(expect.arrayContaining(rest));

    const all = await send(api('stacks/FixtureStack/dlq/redrive'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', [TOKEN_HEADER]: token },
      body: redriveForm([], 'all'),
    });
    expect(all.status, all.text).toBe(202);
    await waitFor('the move task to finish', 15_000, async () => {
      const { job } = await json('stacks/FixtureStack/dlq/redrive');
      if (job.status === 'FAILED') throw new Error(job.errors.join('; '));
      return job.status === 'COMPLETED';
    });
    const { job } = await json('stacks/FixtureStack/dlq/redrive');
    // The first one may be back already (the fixture's consumer fails it twice): at least the rest.
    expect(job.mode).toBe('all');
    expect(job.moved).toBeGreaterThanOrEqual(rest.length);
    const after = await dlqIds();
    for (const id of rest) expect(after).not.toContain(id);
  });
});

describe('the console opens no way in', () => {
  /** Something a redrive would move, so a refused action can be seen to have changed nothing. */
  let bait: string;
  beforeAll(async () => {
    bait = await putInDlq('{"poison":true,"bait":1}', 'bait');
  });

  it('refuses reads from another site, a DNS-rebound name and cross-site fetch metadata, without CORS headers', async () => {
    const refused: Array<[string, Record<string, string>]> = [
      ['foreign Origin', { origin: EVIL }],
      ['null Origin', { origin: 'null' }],
      ['foreign Referer', { referer: `${EVIL}/page` }],
      ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
      ['rebound Host', { host: `evil.example:${cloud.port}` }],
      // Allowed to call the AWS APIs, but another origin than the console's: refused here too.
      ['allowed AWS-API origin', { origin: TRUSTED_APP }],
      ['another name of this server', { origin: `http://localhost:${cloud.port}` }],
    ];
    for (const path of [
      '/_oncely/console/',
      api('stacks'),
      api('stacks/FixtureStack/dlq'),
      api('events?stack=FixtureStack'),
    ]) {
      for (const [what, headers] of refused) {
        const response = await send(path, { headers });
        expect(response.status, `${what} ${path}`).toBe(403);
        expect(response.headers['access-control-allow-origin'], `${what} ${path}`).toBeUndefined();
        expect(response.text, `${what} ${path}`).not.toContain('FixtureStack');
        expect(response.text, `${what} ${path}`).not.toContain(token);
      }
    }
    // The same allowed origin still reaches the AWS APIs, so the console is the stricter one.
    const health = await send('/_oncely/health', { headers: { origin: TRUSTED_APP } });
    expect(health.status).toBe(200);
    expect(health.headers['access-control-allow-origin']).toBe(TRUSTED_APP);
  });

  it('refuses every cross-origin action, a CORS preflight included, and moves nothing', async () => {
    const preflight = await send(api('stacks/FixtureStack/dlq/redrive'), {
      method: 'OPTIONS',
      headers: {
        origin: EVIL,
        'access-control-request-method': 'POST',
        'access-control-request-headers': TOKEN_HEADER,
      },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    // An allowed AWS-API origin's preflight is answered by the guard, but never allows the token header.
    const allowed = await send(api('stacks/FixtureStack/dlq/redrive'), {
      method: 'OPTIONS',
      headers: {
        origin: TRUSTED_APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': TOKEN_HEADER,
      },
    });
    expect(String(allowed.headers['access-control-allow-headers'] ?? '')).not.toContain(TOKEN_HEADER);

    const attempts: Array<[string, Record<string, string>, string]> = [
      // A form post a page of another site can send without a preflight, even knowing the token.
      [
        'cross-origin form',
        { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded', [TOKEN_HEADER]: token },
        redriveForm([bait], 'all'),
      ],
      [
        'cross-origin form from an allowed AWS-API origin',
        { origin: TRUSTED_APP, 'content-type': 'application/x-www-form-urlencoded', [TOKEN_HEADER]: token },
        redriveForm([bait], 'all'),
      ],
      [
        'text/plain, the other preflight-free type, even with the token',
        { 'content-type': 'text/plain', [TOKEN_HEADER]: token },
        redriveForm([bait], 'all'),
      ],
      [
        'rebound Host',
        {
          host: `evil.example:${cloud.port}`,
          'content-type': 'application/x-www-form-urlencoded',
          [TOKEN_HEADER]: token,
        },
        redriveForm([bait], 'all'),
      ],
    ];
    for (const [what, headers, body] of attempts) {
      const response = await send(api('stacks/FixtureStack/dlq/redrive'), { method: 'POST', headers, body });
      expect(response.status, what).toBeGreaterThanOrEqual(400);
      expect(response.status, what).toBeLessThan(500);
      expect(response.headers['access-control-allow-origin'], what).toBeUndefined();
    }
    expect(await dlqIds()).toContain(bait);
  });

  it('refuses an action without the page token, or with a wrong one, even from the same origin', async () => {
    for (const [what, headers] of [
      ['no token', {}],
      ['wrong token', { [TOKEN_HEADER]: `${token.slice(0, -1)}A` }],
      ['token of another length', { [TOKEN_HEADER]: 'x' }],
    ] as const) {
      const response = await send(api('stacks/FixtureStack/dlq/redrive'), {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: redriveForm([bait]),
      });
      expect(response.status, what).toBe(403);
      expect(JSON.parse(response.text).message, what).toContain(TOKEN_HEADER);
    }
    expect(await dlqIds()).toContain(bait);
    // Reads are GET only; actions are POST only.
    expect((await send(api('stacks'), { method: 'POST', headers: { [TOKEN_HEADER]: token } })).status).toBe(
      405,
    );
    expect((await send(api('stacks/FixtureStack/dlq'), { method: 'DELETE' })).status).toBe(405);
  });

  it('answers JSON that a browser cannot take for a script or a page', async () => {
    const response = await send(api('stacks/FixtureStack/dlq'));
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
    // No receive, no delete: the bait is still in the queue for anyone to see.
    const { Messages: messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    expect(messages.map((message) => message.MessageId)).toContain(bait);
  });

  it('mounts only below /_oncely/ and never over the health or Lambda endpoints', () => {
    const route = { handle: () => {} };
    for (const prefix of [
      '/console',
      '/_oncely/health',
      '/_oncely/lambda',
      '/_oncely/console',
      '/_oncely/Upper',
    ])
      expect(() => cloud.mount(prefix, route), prefix).toThrow();
  });
});
