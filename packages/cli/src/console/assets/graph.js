/**
 * The architecture drawing: one column per kind of resource, left to right in the direction
 * messages flow (alarms, schedules and topics; queues with their dead-letter queues below them;
 * functions; tables), and an edge for each connection the template makes.
 */
import { h, s } from './dom.js';

const COLUMNS = { alarm: 0, rule: 1, schedule: 1, topic: 1, queue: 2, function: 3, table: 4, dashboard: 4 };
const COLUMN_TITLES = ['Alarms', 'Schedules, rules, topics', 'Queues', 'Functions', 'Tables'];
const NODE_WIDTH = 200;
const COLUMN_GAP = 110;
const LINE = 13;
const TITLE = 20;
const GAP = 12;
/** Settings shown inside a node; the rest are in its details. */
const SHOWN = {
  queue: ['type', 'maxReceiveCount', 'visibility timeout'],
  function: ['runtime', 'memory', 'timeout'],
  table: ['keys', 'TTL'],
  alarm: ['condition'],
  rule: ['schedule', 'events'],
  schedule: ['schedule'],
  topic: ['type'],
  dashboard: [],
};

function order(architecture) {
  const columns = [[], [], [], [], []];
  const nodes = architecture.nodes.filter((node) => node.kind !== 'dashboard');
  const deadLetterOf = new Map();
  for (const edge of architecture.edges) if (edge.kind === 'redrive') deadLetterOf.set(edge.from, edge.to);
  const placed = new Set();
  for (const node of nodes) {
    if (placed.has(node.id) || (node.kind === 'queue' && node.deadLetter)) continue;
    const column = columns[COLUMNS[node.kind] ?? 4];
    column.push(node);
    placed.add(node.id);
    const dlq = deadLetterOf.get(node.id);
    const dlqNode = dlq && nodes.find((candidate) => candidate.id === dlq);
    if (dlqNode && !placed.has(dlq)) {
      column.push(dlqNode);
      placed.add(dlq);
    }
  }
  for (const node of nodes) if (!placed.has(node.id)) columns[COLUMNS[node.kind] ?? 4].push(node);
  return columns;
}

function shownSettings(node) {
  const wanted = SHOWN[node.kind] ?? [];
  return node.settings.filter(([name]) => wanted.includes(name)).map(([name, value]) => `${name}: ${value}`);
}

/**
 * @param architecture the stack's architecture (server side: architecture.ts)
 * @param live { alarmStates: Map<name, state>, mappings: Map<uuid, {maximumConcurrency, running}> }
 * @param onSelect called with a node when it is clicked
 */
export function architectureGraph(architecture, live, onSelect) {
  const columns = order(architecture);
  const positions = new Map();
  let height = 0;
  columns.forEach((column, index) => {
    let top = 28;
    for (const node of column) {
      const lines = shownSettings(node).length;
      const nodeHeight = TITLE + lines * LINE + 8;
      positions.set(node.id, {
        x: 10 + index * (NODE_WIDTH + COLUMN_GAP),
        y: top,
        width: NODE_WIDTH,
        height: nodeHeight,
        column: index,
      });
      top += nodeHeight + GAP;
    }
    height = Math.max(height, top);
  });
  const width = 10 + columns.length * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP + 10;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'architecture',
    role: 'img',
    'aria-label': 'Architecture of the stack',
  });
  svg.append(
    s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        s('path', { d: 'M0,0L10,5L0,10z', class: 'arrowhead' }),
      ),
    ),
  );
  COLUMN_TITLES.forEach((title, index) => {
    if (columns[index].length)
      svg.append(
        s('text', { x: 10 + index * (NODE_WIDTH + COLUMN_GAP), y: 16, class: 'column-title' }, title),
      );
  });
  const mappingOf = new Map(
    architecture.mappings
      .filter((mapping) => mapping.queue && mapping.function)
      .map((m) => [`${m.queue}>${m.function}`, m]),
  );
  // A function's environment naming the queue its mapping reads says nothing the mapping does not.
  const mapped = new Set(
    architecture.edges.filter((edge) => edge.kind === 'mapping').map((edge) => `${edge.to}>${edge.from}`),
  );
  const labels = [];
  for (const edge of architecture.edges) {
    if (edge.kind === 'uses' && mapped.has(`${edge.from}>${edge.to}`)) continue;
    const from = positions.get(edge.from);
    const to = positions.get(edge.to);
    if (!from || !to) continue;
    let d;
    let labelAt;
    if (from.column === to.column) {
      const x = from.x + from.width - 16;
      d = `M${x},${from.y + from.height}L${x},${to.y}`;
      labelAt = { x: x - 6, y: (from.y + from.height + to.y) / 2 + 4, anchor: 'end' };
    } else {
      const forward = to.column > from.column;
      const x1 = forward ? from.x + from.width : from.x;
      const x2 = forward ? to.x : to.x + to.width;
      const y1 = from.y + from.height / 2;
      const y2 = to.y + to.height / 2;
      const bend = Math.max(30, Math.abs(x2 - x1) / 2);
      const c1 = forward ? x1 + bend : x1 - bend;
      const c2 = forward ? x2 - bend : x2 + bend;
      d = `M${x1},${y1}C${c1},${y1} ${c2},${y2} ${x2},${y2}`;
      // Mappings are labelled next to the queue, where the edge leaves it; others mid-way.
      labelAt =
        edge.kind === 'mapping'
          ? { x: x1 + 6, y: y1 - 6, anchor: 'start' }
          : { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 5, anchor: 'middle' };
    }
    // A mapping's label: its live maximum concurrency and running invocations above the edge,
    // its batch size below.
    let lines = edge.label ? [edge.label] : [];
    const mapping = edge.kind === 'mapping' ? mappingOf.get(`${edge.from}>${edge.to}`) : undefined;
    const state = mapping?.uuid ? live.mappings.get(mapping.uuid) : undefined;
    if (mapping) {
      const maximum = state ? state.maximumConcurrency : mapping.maximumConcurrency;
      lines = [
        `max ${maximum ?? '∞'}${state ? ` · running ${state.running}` : ''}`,
        `batch ${mapping.batchSize ?? 10}`,
      ];
    }
    svg.append(s('path', { d, class: `edge edge-${edge.kind}`, 'marker-end': 'url(#arrow)' }));
    lines.forEach((line, index) => {
      labels.push(
        s(
          'text',
          {
            x: labelAt.x,
            y: labelAt.y + index * 17,
            class: `edge-label edge-label-${edge.kind}`,
            'text-anchor': labelAt.anchor,
            data: mapping ? { mapping: mapping.uuid ?? '' } : {},
          },
          line,
        ),
      );
    });
  }
  for (const column of columns) {
    for (const node of column) {
      const at = positions.get(node.id);
      const state = node.kind === 'alarm' ? live.alarmStates.get(node.physicalId) : undefined;
      const classes = ['node', `node-${node.kind}`];
      if (node.deadLetter) classes.push('node-dlq');
      if (state) classes.push(`state-${state.toLowerCase()}`);
      const group = s(
        'g',
        {
          class: classes.join(' '),
          tabindex: 0,
          data: { node: node.id },
          on: { click: () => onSelect(node) },
        },
        s('rect', { x: at.x, y: at.y, width: at.width, height: at.height, rx: 6 }),
        s(
          'text',
          { x: at.x + 8, y: at.y + 14, class: 'node-title' },
          clip(`${node.label}${node.deadLetter ? ' (DLQ)' : ''}`, 30),
        ),
        shownSettings(node).map((line, index) =>
          s(
            'text',
            { x: at.x + 8, y: at.y + TITLE + 10 + index * LINE, class: 'node-setting' },
            clip(line, 34),
          ),
        ),
      );
      group.append(s('title', {}, `${node.type}\n${node.physicalId ?? ''}`));
      svg.append(group);
    }
  }
  // Last, so no node covers them.
  svg.append(...labels);
  return h('div', { class: 'architecture-wrap' }, svg);
}

function clip(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
