/**
 * Renders a small time-series chart as a standalone SVG: one line per series, each scaled to its
 * own maximum (left axis for the first series, right axis for the second), no dependencies.
 */

export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

export interface ChartOptions {
  readonly title: string;
  /** Seconds since the start, one per sample. */
  readonly times: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { top: 40, right: 70, bottom: 40, left: 70 };

export function renderLineChart(options: ChartOptions): string {
  const width = options.width ?? 800;
  const height = options.height ?? 360;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const lastTime = Math.max(1, ...options.times);
  const x = (time: number) => MARGIN.left + (time / lastTime) * plotWidth;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${MARGIN.left + plotWidth}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">seconds</text>`,
  ];
  for (let tick = 0; tick <= 4; tick++) {
    const time = (lastTime * tick) / 4;
    parts.push(
      `<text x="${x(time)}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatNumber(time)}</text>`,
    );
  }

  options.series.forEach((series, index) => {
    const maximum = Math.max(1, ...series.values);
    const y = (value: number) => MARGIN.top + plotHeight - (value / maximum) * plotHeight;
    const points = series.values.map(
      (value, i) => `${x(options.times[i] ?? 0).toFixed(1)},${y(value).toFixed(1)}`,
    );
    parts.push(
      `<polyline fill="none" stroke="${series.color}" stroke-width="2" points="${points.join(' ')}"/>`,
    );
    const axisX = index === 0 ? MARGIN.left : MARGIN.left + plotWidth;
    const anchor = index === 0 ? 'end' : 'start';
    const offset = index === 0 ? -6 : 6;
    parts.push(
      `<line x1="${axisX}" y1="${MARGIN.top}" x2="${axisX}" y2="${MARGIN.top + plotHeight}" stroke="${series.color}"/>`,
    );
    for (let tick = 0; tick <= 4; tick++) {
      const value = (maximum * tick) / 4;
      parts.push(
        `<text x="${axisX + offset}" y="${y(value) + 4}" text-anchor="${anchor}" fill="${series.color}">${formatNumber(value)}</text>`,
      );
    }
    parts.push(
      `<text x="${MARGIN.left + 10 + index * 200}" y="${MARGIN.top - 8}" fill="${series.color}">&#9632; ${escapeXml(series.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function formatNumber(value: number): string {
  if (value >= 10_000) return `${Math.round(value / 1000)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
