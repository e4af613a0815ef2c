/**
 * The files a workload run leaves behind: a JSON report (figures, verdict, timeline) and an SVG
 * chart of backlog and consumer concurrency over time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allPassed, type InvariantCheck } from './invariants.js';
import type { WorkloadResult } from './points-workload.js';
import { renderLineChart } from './svg-chart.js';

/** The JSON report: every measured figure, the checks, and the timeline. */
function workloadReport(
  result: WorkloadResult,
  checks: readonly InvariantCheck[],
  extra: Record<string, unknown> = {},
) {
  return {
    verdict: allPassed(checks) ? 'PASS' : 'FAIL',
    ...extra,
    ...result,
    invariants: checks,
  };
}

/** Backlog (left axis) and the mapping's maximum concurrency (right axis) over time. */
function workloadChart(result: WorkloadResult): string {
  return renderLineChart({
    title: `Oncely demo: ${result.produced.toLocaleString('en-US')} orders, backlog and consumer concurrency`,
    times: result.timeline.map((sample) => sample.t),
    series: [
      {
        label: 'backlog (messages)',
        color: '#1f77b4',
        values: result.timeline.map((sample) => sample.backlog),
      },
      {
        label: 'maximum concurrency',
        color: '#d62728',
        values: result.timeline.map((sample) => sample.concurrency),
      },
    ],
  });
}

/** Writes `<name>.json` and `<name>.svg` into `dir`; returns their paths. */
export async function writeWorkloadReport(
  dir: string,
  name: string,
  result: WorkloadResult,
  checks: readonly InvariantCheck[],
  extra: Record<string, unknown> = {},
): Promise<{ json: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const svg = join(dir, `${name}.svg`);
  await writeFile(json, `${JSON.stringify(workloadReport(result, checks, extra), null, 2)}\n`);
  await writeFile(svg, workloadChart(result));
  return { json, svg };
}
