/**
 * The console during a short `oncely demo` run (the points stack, 200 orders with duplicates,
 * poison messages and a transient outage): its numbers are `oncely status --json`'s and `oncely dlq
 * list`'s, its dashboard is the stack's own, and - in headless Chromium (Debian's, driven by
 * playwright-core) - its charts and counts appear and update while the burst flows, a DLQ message
 * opens with its hostile body shown as text, and a redrive takes it out of the DLQ. Screenshots are
 * saved in a temporary directory (its path is printed). Without Chromium the browser test is skipped, saying so; the rest runs.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetDashboardCommand } from '@aws-sdk/client-cloudwatch';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath as projectPath } from '../../examples/points/src/paths.js';
import {
  runPointsWorkload,
  type WorkloadResult,
  type WorkloadStage,
} from '../../examples/points/src/workload/points-workload.js';
import { attachConsole } from '../../packages/cli/src/index.js';
import { waitFor } from '../support/wait.js';
import { runCli } from './audit-pipeline.js';

const EVENTS = 200;
const CHROMIUM = process.env.ONCELY_CHROMIUM ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
/** Flags known to work for Debian's Chromium here: no sandbox as root, no calls home. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** A body that would run script if the page ever rendered it as HTML. */
const HOSTILE_BODY = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>&amp;';

let result: WorkloadResult;
let stage: WorkloadStage;
let consoleUrl: string;
let dlqUrl: string;
let workload: Promise<WorkloadResult>;
let release: () => void = () => {};
const released = new Promise<void>((resolve) => {
  release = resolve;
});
let browser: Browser | undefined;
let page: Page | undefined;
let screenshots: string;
const pageErrors: string[] = [];
/** What the page showed while the burst flowed (browser runs only). */
let duringRun: Promise<{ samplesAtOpen: number; samplesLater: number; chartPoints: number; visible: string }>;

async function getJson(path: string) {
  const response = await fetch(new URL(`api/${path}`, consoleUrl));
  expect(response.status, path).toBe(200);
  return JSON.parse(await response.text());
}

async function launch(): Promise<Page> {
  const { chromium } = await import('playwright-core');
  // Playwright starts every launch with a new, empty profile directory.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const opened = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  opened.on('pageerror', (error) => pageErrors.push(String(error)));
  return opened;
}

/** Opens the console while the burst flows and watches its sample counter move. */
async function watchDuringRun(url: string) {
  page = await launch();
  await page.goto(url);
  const samples = async () => Number((await page!.getAttribute('#live', 'data-samples')) ?? 0);
  await waitFor('the page to draw its first samples', 30_000, async () => (await samples()) >= 2, 200);
  const samplesAtOpen = await samples();
  await waitFor(
    'the page to receive new samples live',
    30_000,
    async () => (await samples()) >= samplesAtOpen + 4,
    200,
  );
  await page.screenshot({ path: join(screenshots, 'during-run.png'), fullPage: true });
  return {
    samplesAtOpen,
    samplesLater: await samples(),
    chartPoints: Number(await page.getAttribute('[data-chart="queue-messages"]', 'data-points')),
    visible: (await page.textContent('[data-field="visible"]')) ?? '',
  };
}

beforeAll(async () => {
  screenshots = mkdtempSync(join(tmpdir(), 'oncely-console-'));
  await new Promise<void>((finished, failed) => {
    workload = runPointsWorkload({
      events: EVENTS,
      seed: 7,
      // Bounded: a batch whose invocation fails stays invisible for the queue's visibility timeout
      // (3 minutes); on a loaded machine that can happen, and these tests do not need it drained.
      drainTimeoutMs: 100_000,
      scaleDownTimeoutMs: 30_000,
      // Its own stack cache, as the other workload tests have: two synthesizing into one directory
      // at once would trip over each other's asset directories.
      stackCacheDir: projectPath('.oncely/test-console-cdk.out'),
      // Lower backlog steps than cdk.json's, so a small burst scales.
      settings: {
        backlogSteps: {
          elevated: { visibleMessages: 40, maximumConcurrency: 6, degradation: 'normal' },
          high: { visibleMessages: 150, maximumConcurrency: 10, degradation: 'elevated' },
          critical: { visibleMessages: 5_000, maximumConcurrency: 20, degradation: 'critical' },
        },
      },
      afterDeploy: async (deployed) => {
        stage = deployed;
        dlqUrl = String(deployed.outputs.DeadLetterQueueUrl);
        consoleUrl = (await attachConsole(deployed.cloud, { sampleEveryMs: 500 })).url;
        if (HAS_CHROMIUM) {
          duringRun = watchDuringRun(consoleUrl);
          // Failures are reported by the test that awaits it.
          duringRun.catch(() => {});
        }
      },
      // The run is measured; the cloud stays up (with the console) until the tests are done.
      beforeStop: async (_stage, measured) => {
        result = measured;
        finished();
        await released;
      },
    });
    workload.catch(failed);
  });
}, 240_000);

afterAll(async () => {
  release();
  await workload?.catch(() => {});
  await browser?.close();
  // The screenshots stay for a person to look at; an empty directory does not.
  if (!HAS_CHROMIUM) rmSync(screenshots, { recursive: true, force: true });
}, 60_000);

describe('the console during a demo run', () => {
  it('shows what `oncely status --json` shows', async () => {
    const cli = await runCli([
      'status',
      '--json',
      '--no-peek',
      '--stack',
      'Oncely',
      '--endpoint',
      stage.cloud.endpoint,
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const fromCli = JSON.parse(cli.stdout);
    const fromConsole = await getJson('stacks/Oncely/status');
    const counts = (queue: { visible: number; inFlight: number; delayed: number }) => ({
      visible: queue.visible,
      inFlight: queue.inFlight,
      delayed: queue.delayed,
    });
    expect(counts(fromConsole.queue)).toEqual(counts(fromCli.queue));
    expect(counts(fromConsole.deadLetterQueue)).toEqual(counts(fromCli.deadLetterQueue));
    expect(fromConsole.eventSourceMapping).toEqual(fromCli.eventSourceMapping);
    expect(fromConsole.degradationLevel).toBe(fromCli.degradationLevel);
    expect(fromConsole.lastAudit).toEqual(fromCli.lastAudit);
    expect(fromConsole.lastAudit.missing).toBe(0);
    // The poison messages stay in the DLQ; the sampled status counts them too.
    expect(fromCli.deadLetterQueue.visible).toBe(result.inDlq);
    const { samples } = await getJson('stacks/Oncely/samples');
    expect(counts(samples.at(-1).status.deadLetterQueue)).toEqual(counts(fromCli.deadLetterQueue));
  });

  it('charts the run: the backlog rising and the scaler stepping concurrency up', async () => {
    const { samples } = await getJson('stacks/Oncely/samples');
    const peak = (pick: (sample: never) => number | undefined) =>
      Math.max(...samples.map((sample: never) => pick(sample) ?? 0));
    expect(
      peak((sample: { status: { queue: { visible: number } } }) => sample.status.queue.visible),
    ).toBeGreaterThan(0);
    expect(
      peak(
        (sample: { mappings: Array<{ maximumConcurrency?: number }> }) =>
          sample.mappings[0]?.maximumConcurrency,
      ),
    ).toBeGreaterThan(result.initialConcurrency);
  });

  it('lists the DLQ as `oncely dlq list --json` does, with the reasons', async () => {
    const cli = await runCli([
      'dlq',
      'list',
      '--json',
      '--stack',
      'Oncely',
      '--endpoint',
      stage.cloud.endpoint,
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    // Every field but the receive count, which each peek (the CLI's and the console's) raises.
    const comparable = (letters: Array<{ messageId: string; receiveCount?: number }>) =>
      letters
        .map(({ receiveCount: _receives, ...letter }) => letter)
        .sort((a, b) => a.messageId.localeCompare(b.messageId));
    const listed = await getJson('stacks/Oncely/dlq');
    expect(comparable(listed.messages)).toEqual(comparable(JSON.parse(cli.stdout)));
    expect(listed.messages.map((message: { reason: string }) => message.reason).sort()).toEqual(
      result.poisons.map((poison) => poison.expectedReason).sort(),
    );
  });

  it("renders the stack's own dashboard: the template's widget titles, with local metrics", async () => {
    const { dashboards } = await getJson('stacks/Oncely/dashboard');
    const name = String(stage.outputs.DashboardName);
    const { DashboardBody: body } = await stage.clients.cloudwatch.send(
      new GetDashboardCommand({ DashboardName: name }),
    );
    const titles = (JSON.parse(body!).widgets as Array<{ properties: { title?: string } }>).map(
      (widget) => widget.properties.title ?? '',
    );
    expect(dashboards[0].name).toBe(name);
    expect(dashboards[0].widgets.map((widget: { title: string }) => widget.title)).toEqual(titles);
    const depth = dashboards[0].widgets.find((widget: { title: string }) => widget.title === 'Queue depth');
    expect(Math.max(...depth.series[0].values)).toBeGreaterThan(0);
  });

  it('shows alarms with their history, functions with metrics and logs, and the audit', async () => {
    const { alarms } = await getJson('stacks/Oncely/alarms');
    const elevated = alarms.find((alarm: { label: string }) => alarm.label.includes('ElevatedBacklog'));
    // It fired on the burst and cleared when the queue drained.
    expect(elevated.history.map((item: { summary: string }) => item.summary).join('\n')).toMatch(/to ALARM/);
    expect(
      alarms.find((alarm: { label: string }) => alarm.label.includes('DeadLetterQueueNotEmpty')),
    ).toBeDefined();

    const { functions } = await getJson('stacks/Oncely/functions');
    const consumer = functions.find((fn: { name: string }) => fn.name === stage.consumerFunctionName);
    expect(consumer.invocations).toBeGreaterThan(0);
    expect(consumer.averageDurationMs).toBeGreaterThan(0);
    const { lines } = await getJson(
      `stacks/Oncely/logs?function=${encodeURIComponent(stage.consumerFunctionName)}`,
    );
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.fn).toBe(stage.consumerFunctionName);

    const audit = await getJson('stacks/Oncely/audit');
    expect(audit.report.verdict).toBe('nothing lost');
    expect(audit.streams.length).toBeGreaterThan(0);
    for (const stream of audit.streams) expect(stream.missing).toBe(0);
    expect(
      Math.max(...audit.streams.map((stream: { highWater?: number }) => stream.highWater ?? 0)),
    ).toBeGreaterThan(0);
  });

  it('in Chromium: charts and counts update live; a DLQ message opens as text and leaves the DLQ on redrive', async (context) => {
    if (!HAS_CHROMIUM) {
      console.warn(
        `SKIPPED the console's browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)`,
      );
      context.skip(
        `no Chromium at ${CHROMIUM} (apt-get install chromium, or set ONCELY_CHROMIUM): browser test not run`,
      );
      return;
    }
    const seen = await duringRun;
    expect(seen.samplesLater).toBeGreaterThanOrEqual(seen.samplesAtOpen + 4);
    expect(seen.chartPoints).toBeGreaterThanOrEqual(2);
    expect(seen.visible).toMatch(/^[\d,]+$/);
    const view = page!;
    for (const chart of ['queue-messages', 'queue-age', 'dlq-depth', 'concurrency'])
      expect(
        Number(await view.getAttribute(`[data-chart="${chart}"]`, 'data-points')),
        chart,
      ).toBeGreaterThan(1);
    await view.waitForSelector('[data-widget="Queue depth"] svg path.line', { timeout: 15_000 });
    // The audit ran at the end of the run; the page shows its verdict on its next refresh.
    await waitFor(
      "the page's audit verdict",
      15_000,
      async () => (await view.textContent('#audit-view [data-field="verdict"]')) === 'nothing lost',
      200,
    );

    // A new dead letter: the page's DLQ count goes up by itself.
    const before = Number((await view.textContent('[data-field="dlq"]'))?.replace(/,/g, ''));
    const { MessageId: hostileId } = await stage.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: HOSTILE_BODY,
        MessageGroupId: 'hostile',
        MessageDeduplicationId: 'hostile-1',
      }),
    );
    await waitFor(
      `the page's DLQ depth to go from ${before} to ${before + 1}`,
      15_000,
      async () => (await view.textContent('[data-field="dlq"]')) === String(before + 1),
      200,
    );
    const row = `tr[data-message-id="${hostileId}"]`;
    await view.waitForSelector(row, { timeout: 15_000 });
    await view.click(`${row} td:nth-child(3)`);
    await view.waitForSelector('#dlq-message [data-field="body"]');
    expect(await view.textContent('#dlq-message [data-field="body"]')).toBe(HOSTILE_BODY);
    expect(await view.evaluate('window.__pwned')).toBeUndefined();
    expect(await view.$$('#dlq-message img, #dlq-message script')).toHaveLength(0);
    await view.screenshot({ path: join(screenshots, 'dlq-message.png'), fullPage: true });

    await view.click('#dlq-message button[data-action="redrive-one"]');
    await view.waitForSelector('#dlq-progress[data-status="COMPLETED"][data-moved="1"]', { timeout: 30_000 });
    await view.waitForSelector(row, { state: 'detached', timeout: 15_000 });
    const left = await getJson('stacks/Oncely/dlq');
    expect(left.messages.map((message: { messageId: string }) => message.messageId)).not.toContain(hostileId);
    await view.screenshot({ path: join(screenshots, 'after-redrive.png'), fullPage: true });
    for (const file of ['during-run.png', 'dlq-message.png', 'after-redrive.png'])
      expect(existsSync(join(screenshots, file)), file).toBe(true);
    expect(pageErrors).toEqual([]);
    console.info(`console screenshots: ${screenshots}`);
  });
});
