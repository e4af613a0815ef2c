/**
 * Time-series line charts drawn as SVG with the DOM API: enough for a few series of a few hundred
 * points each, which is what a local run produces. No chart library: see docs/console.md.
 */
import { clock, h, s } from './dom.js';

export const COLORS = [
  '#2563eb',
  '#ea580c',
  '#16a34a',
  '#9333ea',
  '#dc2626',
  '#0891b2',
  '#ca8a04',
  '#db2777',
];

const WIDTH = 600;
const PAD = { left: 44, right: 10, top: 8, bottom: 22 };

/** A rounded-up axis maximum: 1, 2, 5 x 10^n. */
function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function shortNumber(value) {
  if (Math.abs(value) >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (Math.abs(value) >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(value < 10 ? 1 : 0)}`;
}

/**
 * @param {object} options
 * @param {Array<{label: string, points: Array<[number, number]>, color?: string}>} options.series
 * @param {string} options.name   a stable name for tests and styles (`data-chart`)
 * @param {number} [options.start] epoch ms of the x axis' start (default: the first point)
 * @param {number} [options.end]   epoch ms of its end (default: the last point)
 * @param {boolean} [options.step] draw steps (a level) instead of lines
 * @param {number} [options.height]
 * @param {(value: number) => string} [options.format] the legend's value format
 */
export function lineChart(options) {
  const height = options.height ?? 150;
  const series = options.series.filter((entry) => entry.visible !== false);
  const times = series.flatMap((entry) => entry.points.map((point) => point[0]));
  const start = options.start ?? Math.min(...times);
  const end = Math.max(options.end ?? Math.max(...times), start + 1000);
  const values = series.flatMap((entry) => entry.points.map((point) => point[1]));
  const max = niceMax(Math.max(0, ...values.filter(Number.isFinite)));
  const x = (time) => PAD.left + ((time - start) / (end - start)) * (WIDTH - PAD.left - PAD.right);
  const y = (value) => PAD.top + (1 - value / max) * (height - PAD.top - PAD.bottom);
  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    class: 'chart-svg',
    role: 'img',
    'aria-label': options.title ?? options.name,
  });
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    svg.append(
      s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: 'grid' }),
      s(
        'text',
        { x: PAD.left - 6, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' },
        shortNumber(value),
      ),
    );
  }
  if (Number.isFinite(start)) {
    for (const [time, anchor] of [
      [start, 'start'],
      [(start + end) / 2, 'middle'],
      [end, 'end'],
    ]) {
      svg.append(s('text', { x: x(time), y: height - 6, class: 'axis', 'text-anchor': anchor }, clock(time)));
    }
  }
  series.forEach((entry, index) => {
    const color = entry.color ?? COLORS[index % COLORS.length];
    const points = entry.points.filter((point) => Number.isFinite(point[1]));
    if (points.length === 0) return;
    let path = '';
    points.forEach(([time, value], at) => {
      if (at === 0) path += `M${x(time).toFixed(1)},${y(value).toFixed(1)}`;
      else if (options.step) path += `H${x(time).toFixed(1)}V${y(value).toFixed(1)}`;
      else path += `L${x(time).toFixed(1)},${y(value).toFixed(1)}`;
    });
    svg.append(s('path', { d: path, class: 'line', stroke: color }));
    if (points.length === 1) {
      const [time, value] = points[0];
      svg.append(s('circle', { cx: x(time), cy: y(value), r: 2.5, fill: color }));
    }
  });
  const format = options.format ?? ((value) => shortNumber(value));
  const legend = h(
    'div',
    { class: 'legend' },
    series.map((entry, index) => {
      const last = entry.points.at(-1);
      return h(
        'span',
        { class: 'legend-item' },
        h('span', { class: 'swatch', style: { background: entry.color ?? COLORS[index % COLORS.length] } }),
        entry.label,
        last ? h('b', {}, ` ${format(last[1])}`) : ' -',
      );
    }),
  );
  return h(
    'div',
    { class: 'chart', data: { chart: options.name, points: series[0]?.points.length ?? 0 } },
    options.title ? h('div', { class: 'chart-title' }, options.title) : null,
    svg,
    legend,
  );
}

/** A tiny line without axes, for table cells. */
export function sparkline(points, { width = 120, height = 24, color = COLORS[0] } = {}) {
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'sparkline', width, height });
  if (points.length === 0) return svg;
  const start = points[0][0];
  const end = Math.max(points.at(-1)[0], start + 1);
  const max = Math.max(1, ...points.map((point) => point[1]));
  const d = points
    .map(([time, value], index) => {
      const px = ((time - start) / (end - start)) * (width - 2) + 1;
      const py = height - 1 - (value / max) * (height - 2);
      return `${index === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`;
    })
    .join('');
  svg.append(s('path', { d, class: 'line', stroke: color }));
  return svg;
}
