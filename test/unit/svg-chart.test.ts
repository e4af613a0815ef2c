import { describe, expect, it } from 'vitest';
import { renderLineChart } from '../../examples/points/src/workload/svg-chart.js';

describe('renderLineChart', () => {
  it('draws one polyline per series with a point per sample', () => {
    const svg = renderLineChart({
      title: 'Backlog & concurrency',
      times: [0, 1, 2, 3],
      series: [
        { label: 'backlog', color: '#c00', values: [0, 500, 200, 0] },
        { label: 'concurrency', color: '#00c', values: [2, 2, 8, 2] },
      ],
    });
    const polylines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((match) => match[1] ?? '');
    expect(polylines).toHaveLength(2);
    for (const points of polylines) expect(points.split(' ')).toHaveLength(4);
    expect(svg).toContain('Backlog &#38; concurrency');
  });

  it('survives empty series', () => {
    expect(
      renderLineChart({ title: 'empty', times: [], series: [{ label: 'x', color: '#000', values: [] }] }),
    ).toContain('</svg>');
  });
});
