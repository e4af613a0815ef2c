/**
 * The Oncely console page: plain ES modules, no framework, no build step. Every number on it comes
 * from the console's JSON endpoints (which read the stack as `oncely status`, `oncely dlq` and
 * `oncely audit` do); live updates arrive as server-sent events. All text from the stack (message
 * bodies, log lines, names) is put on the page as text through dom.js, never parsed as HTML.
 */

import { COLORS, lineChart, sparkline } from './charts.js';
import { byId, clock, count, h, milliseconds, replace, seconds } from './dom.js';
import { architectureGraph } from './graph.js';

const TOKEN_HEADER = 'x-oncely-console-token';
const TOKEN = document.querySelector('meta[name="oncely-console-token"]')?.getAttribute('content') ?? '';
const VIEW_REFRESH_MS = 3000;
const MAX_SAMPLES = 3600;
const MAX_LOG_LINES = 500;
const LEVELS = { normal: 0, elevated: 1, critical: 2 };

const state = {
  stack: undefined,
  info: undefined,
  samples: [],
  events: undefined,
  alarmStates: new Map(),
  architectureKey: '',
  logsPaused: false,
  dlq: {
    queue: undefined,
    messages: [],
    selected: new Set(),
    open: undefined,
    depth: undefined,
    loading: false,
  },
  job: undefined,
  busy: new Set(),
  renderQueued: false,
  expandedAlarms: new Set(),
};

// ------------------------------------------------------------------ plumbing

async function api(path, init = {}) {
  const response = await fetch(`api/${path}`, {
    ...init,
    headers: { accept: 'application/json', ...(init.headers ?? {}) },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return body;
}

function stackPath(suffix = '') {
  return `stacks/${encodeURIComponent(state.stack)}${suffix}`;
}

/** Runs `work` unless the same view is still loading; errors are shown in the view. */
async function once(name, work) {
  if (state.busy.has(name)) return;
  state.busy.add(name);
  try {
    await work();
  } catch (error) {
    console.warn(`oncely console: ${name}:`, error);
  } finally {
    state.busy.delete(name);
  }
}

function setLive(status, text) {
  const live = byId('live');
  live.dataset.state = status;
  live.textContent = text;
}

// ------------------------------------------------------------------ start

async function start() {
  byId('stack').addEventListener('change', (event) => selectStack(event.target.value));
  setupLogControls();
  setupDlqControls();
  await loadStacks();
  setInterval(() => {
    if (document.visibilityState === 'visible' && state.stack) refreshViews();
  }, VIEW_REFRESH_MS);
  setInterval(() => once('stacks', loadStacks), 5000);
}

async function loadStacks() {
  const { stacks } = await api('stacks');
  const select = byId('stack');
  const names = stacks.map((stack) => stack.name);
  if ([...select.options].map((option) => option.value).join('\n') !== names.join('\n')) {
    replace(
      select,
      stacks.map((stack) => h('option', { value: stack.name }, stack.name)),
    );
  }
  byId('empty').hidden = stacks.length > 0;
  if (!state.stack && stacks.length) {
    const wanted = new URLSearchParams(location.search).get('stack');
    const chosen =
      stacks.find((stack) => stack.name === wanted) ?? stacks.find((stack) => stack.pipeline) ?? stacks[0];
    select.value = chosen.name;
    await selectStack(chosen.name);
  }
}

async function selectStack(name) {
  state.stack = name;
  state.info = await api(stackPath());
  state.samples = (await api(stackPath('/samples'))).samples;
  state.architectureKey = '';
  state.dlq = {
    queue: state.info.deadLetterQueues[0]?.id,
    messages: [],
    selected: new Set(),
    open: undefined,
    depth: undefined,
    loading: false,
  };
  replace(
    byId('dlq-queue'),
    state.info.deadLetterQueues.map((queue) => h('option', { value: queue.id }, queue.id)),
  );
  replace(
    byId('log-function'),
    h('option', { value: '' }, 'all'),
    state.info.functions.map((fn) => h('option', { value: fn.name }, fn.label)),
  );
  renderSamples();
  renderArchitecture();
  connectEvents();
  refreshViews();
  loadDlq();
}

function refreshViews() {
  once('dashboard', loadDashboard);
  once('alarms', loadAlarms);
  once('functions', loadFunctions);
  once('audit', loadAudit);
}

/** One stream per page: samples of the stack, and its log lines narrowed by the filters. */
function connectEvents() {
  state.events?.close();
  const params = new URLSearchParams({ stack: state.stack });
  for (const [key, id] of [
    ['function', 'log-function'],
    ['request', 'log-request'],
    ['q', 'log-text'],
  ]) {
    const value = byId(id).value.trim();
    if (value) params.set(key, value);
  }
  loadLogTail(params);
  const events = new EventSource(`api/events?${params}`);
  state.events = events;
  events.addEventListener('open', () => setLive('live', 'live'));
  events.addEventListener('error', () => setLive('offline', 'reconnecting…'));
  events.addEventListener('sample', (event) => {
    const sample = JSON.parse(event.data);
    state.samples.push(sample);
    if (state.samples.length > MAX_SAMPLES) state.samples.splice(0, state.samples.length - MAX_SAMPLES);
    scheduleRender();
  });
  events.addEventListener('logs', (event) => {
    if (!state.logsPaused) appendLogs(JSON.parse(event.data));
  });
  events.addEventListener('skipped', (event) => {
    byId('log-status').textContent =
      `${JSON.parse(event.data).lines} lines not shown (too many at once; filter to see them)`;
  });
}

function scheduleRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(() => {
    state.renderQueued = false;
    renderSamples();
  });
}

// ------------------------------------------------------------------ samples: overview and queue charts

/** The pipeline's queue, its DLQ and mapping, as the samples name them. */
function pipelineParts(sample) {
  const info = state.info;
  const queues = sample?.queues ?? [];
  const mainUrl = sample?.status?.queue.url ?? queues.find((queue) => !isDeadLetter(queue.id))?.url;
  const main = queues.find((queue) => queue.url === mainUrl);
  const dlqUrl =
    sample?.status?.deadLetterQueue?.url ?? queues.find((queue) => queue.id === redriveTarget(main?.id))?.url;
  const mapping =
    info.architecture.mappings.find((candidate) => candidate.queue === main?.id) ??
    info.architecture.mappings[0];
  return { mainUrl, dlqUrl, mappingUuid: mapping?.uuid };
}

function isDeadLetter(id) {
  return state.info.architecture.nodes.some((node) => node.id === id && node.deadLetter);
}

function redriveTarget(id) {
  return state.info.architecture.edges.find((edge) => edge.kind === 'redrive' && edge.from === id)?.to;
}

function renderSamples() {
  if (!state.info) return;
  const latest = state.samples.at(-1);
  const parts = pipelineParts(latest);
  renderSummary(latest, parts);
  renderQueueCharts(parts);
  renderQueueTable(latest);
  renderArchitecture();
  if (latest) setLive('live', `live · sampled ${clock(latest.t)}`);
  byId('live').dataset.sampleT = String(latest?.t ?? '');
  byId('live').dataset.samples = String(state.samples.length);
  const dlq = latest?.queues.find((queue) => queue.url === parts.dlqUrl);
  const depth = dlq ? dlq.visible + dlq.inFlight + dlq.delayed : undefined;
  if (depth !== undefined && depth !== state.dlq.depth && state.dlq.queue && !state.job) loadDlq();
}

function card(label, field, value, sub, tone) {
  return h(
    'div',
    { class: `card${tone ? ` ${tone}` : ''}` },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', data: { field } }, value),
    sub ? h('div', { class: 'sub' }, sub) : null,
  );
}

function renderSummary(sample, parts) {
  const queue = sample?.queues.find((candidate) => candidate.url === parts.mainUrl);
  const dlq = sample?.queues.find((candidate) => candidate.url === parts.dlqUrl);
  const mapping = sample?.mappings.find((candidate) => candidate.uuid === parts.mappingUuid);
  const status = sample?.status;
  const dlqDepth = dlq ? dlq.visible + dlq.inFlight + dlq.delayed : undefined;
  const degradation = status?.degradationLevel;
  const audit = status?.lastAudit;
  replace(
    byId('summary'),
    card('Visible', 'visible', count(queue?.visible), queue ? 'waiting in the queue' : 'no queue'),
    card('In flight', 'inFlight', count(queue?.inFlight), 'received, not yet deleted'),
    card('Delayed', 'delayed', count(queue?.delayed)),
    card(
      'Oldest message',
      'age',
      seconds(queue?.ageOfOldestSeconds),
      queue?.ageSource === 'cloudwatch' ? 'from CloudWatch' : undefined,
    ),
    card(
      'DLQ depth',
      'dlq',
      count(dlqDepth),
      dlq ? undefined : 'no dead-letter queue',
      dlqDepth ? 'bad' : 'good',
    ),
    card(
      'Max concurrency',
      'maxConcurrency',
      mapping ? (mapping.maximumConcurrency ?? 'unbounded') : '-',
      mapping ? `${mapping.running} running · ${mapping.state ?? '?'}` : 'no event source mapping',
    ),
    card('Running', 'running', count(mapping?.running), 'consumer invocations now'),
    card(
      'Degradation',
      'degradation',
      degradation ?? '-',
      'set by the scaler',
      degradation === 'critical'
        ? 'bad'
        : degradation === 'elevated'
          ? 'warn'
          : degradation
            ? 'good'
            : undefined,
    ),
    card(
      'Last audit',
      'missing',
      audit ? (audit.missing === 0 ? 'nothing lost' : `${audit.missing} missing`) : 'no audit yet',
      audit ? `finished ${clock(Date.parse(audit.finishedAt))}` : undefined,
      audit ? (audit.missing === 0 ? 'good' : 'bad') : undefined,
    ),
  );
  if (sample?.error)
    byId('summary').append(
      h(
        'div',
        { class: 'card warn' },
        h('div', { class: 'label' }, 'Sampling'),
        h('div', { class: 'sub' }, sample.error),
      ),
    );
}

function seriesOf(pick) {
  const points = [];
  for (const sample of state.samples) {
    const value = pick(sample);
    if (value !== undefined && value !== null && Number.isFinite(value)) points.push([sample.t, value]);
  }
  return points;
}

function renderQueueCharts(parts) {
  const start = state.samples[0]?.t;
  const end = state.samples.at(-1)?.t;
  const queueOf = (sample, url) => sample.queues.find((queue) => queue.url === url);
  const mappingOf = (sample) => sample.mappings.find((mapping) => mapping.uuid === parts.mappingUuid);
  const charts = [
    lineChart({
      name: 'queue-messages',
      title: 'Messages in the queue',
      start,
      end,
      series: [
        { label: 'visible', points: seriesOf((sample) => queueOf(sample, parts.mainUrl)?.visible) },
        { label: 'in flight', points: seriesOf((sample) => queueOf(sample, parts.mainUrl)?.inFlight) },
        { label: 'delayed', points: seriesOf((sample) => queueOf(sample, parts.mainUrl)?.delayed) },
      ],
    }),
    lineChart({
      name: 'queue-age',
      title: 'Age of the oldest message (s)',
      start,
      end,
      series: [
        { label: 'oldest', points: seriesOf((sample) => queueOf(sample, parts.mainUrl)?.ageOfOldestSeconds) },
      ],
    }),
    lineChart({
      name: 'dlq-depth',
      title: 'Dead-letter queue depth',
      start,
      end,
      series: [
        {
          label: 'messages',
          color: COLORS[4],
          points: seriesOf((sample) => {
            const dlq = queueOf(sample, parts.dlqUrl);
            return dlq ? dlq.visible + dlq.inFlight + dlq.delayed : undefined;
          }),
        },
      ],
    }),
    lineChart({
      name: 'concurrency',
      title: 'Consumer concurrency',
      start,
      end,
      step: true,
      series: [
        { label: 'maximum (scaler)', points: seriesOf((sample) => mappingOf(sample)?.maximumConcurrency) },
        { label: 'running', points: seriesOf((sample) => mappingOf(sample)?.running) },
      ],
    }),
    lineChart({
      name: 'degradation',
      title: 'Degradation level (0 normal, 1 elevated, 2 critical)',
      start,
      end,
      step: true,
      format: (value) => Object.keys(LEVELS).find((level) => LEVELS[level] === value) ?? String(value),
      series: [
        {
          label: 'level',
          color: COLORS[6],
          points: seriesOf((sample) => LEVELS[sample.status?.degradationLevel]),
        },
      ],
    }),
  ];
  replace(byId('queue-charts'), charts);
}

function renderQueueTable(sample) {
  if (!sample) return;
  replace(
    byId('queue-table'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Queue'),
          ['Visible', 'In flight', 'Delayed', 'Oldest'].map((name) => h('th', { class: 'num' }, name)),
        ),
      ),
      h(
        'tbody',
        {},
        sample.queues.map((queue) =>
          h(
            'tr',
            { data: { queue: queue.id } },
            h(
              'td',
              {},
              queue.id.replace(/(?<=.)[0-9A-F]{8}$/, ''),
              isDeadLetter(queue.id) ? h('span', { class: 'muted' }, ' (DLQ)') : null,
            ),
            h('td', { class: 'num' }, count(queue.visible)),
            h('td', { class: 'num' }, count(queue.inFlight)),
            h('td', { class: 'num' }, count(queue.delayed)),
            h('td', { class: 'num' }, seconds(queue.ageOfOldestSeconds)),
          ),
        ),
      ),
    ),
  );
}

// ------------------------------------------------------------------ architecture

function renderArchitecture() {
  if (!state.info) return;
  const latest = state.samples.at(-1);
  const mappings = new Map((latest?.mappings ?? []).map((mapping) => [mapping.uuid, mapping]));
  const key = JSON.stringify([
    [...state.alarmStates],
    [...mappings.values()].map((m) => [m.uuid, m.maximumConcurrency, m.running]),
  ]);
  if (key === state.architectureKey) return;
  state.architectureKey = key;
  replace(
    byId('architecture-view'),
    architectureGraph(state.info.architecture, { alarmStates: state.alarmStates, mappings }, showNode),
  );
}

function showNode(node) {
  const details = byId('node-details');
  details.hidden = false;
  replace(
    details,
    h('strong', {}, node.label),
    h('span', { class: 'muted' }, `  ${node.type}`),
    h(
      'dl',
      {},
      h('dt', {}, 'deployed as'),
      h('dd', { class: 'mono' }, node.physicalId ?? '-'),
      node.settings.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]),
    ),
  );
}

// ------------------------------------------------------------------ dashboard

async function loadDashboard() {
  const { dashboards } = await api(stackPath('/dashboard'));
  const view = byId('dashboard-view');
  if (dashboards.length === 0) {
    replace(view, h('p', { class: 'muted' }, 'The stack defines no CloudWatch dashboard.'));
    return;
  }
  const dashboard = dashboards[0];
  byId('dashboard-name').textContent =
    `${dashboard.name}: the stack's own widgets, drawn from the local CloudWatch metrics`;
  replace(view, dashboard.widgets.map(renderWidget));
}

function renderWidget(widget) {
  const element = h('div', {
    class: `widget widget-${widget.type}`,
    data: { widget: widget.title },
    style: {
      gridColumn: `${widget.x + 1} / span ${widget.width}`,
      gridRow: `${widget.y + 1} / span ${widget.height}`,
    },
  });
  if (widget.type === 'metric') {
    const series = (widget.series ?? []).map((entry) => ({
      label: entry.label,
      points: entry.timestamps.map((time, index) => [time, entry.values[index]]),
    }));
    element.append(
      lineChart({
        name: `widget-${widget.title}`,
        title: widget.title,
        series,
        height: Math.max(110, widget.height * 34 - 60),
      }),
      h(
        'div',
        { class: 'widget-note' },
        widget.note ?? `period ${widget.period} s (the dashboard's: ${widget.configuredPeriod} s)`,
      ),
    );
  } else if (widget.type === 'alarm') {
    element.append(
      h('div', { class: 'widget-title' }, widget.title || 'Alarms'),
      h(
        'div',
        { class: 'badges' },
        (widget.alarms ?? []).map((alarm) =>
          h(
            'span',
            { class: `state state-${alarm.state.toLowerCase()}`, title: alarm.name },
            `${shortAlarm(alarm.name)}: ${alarm.state}`,
          ),
        ),
      ),
    );
  } else if (widget.type === 'text') {
    element.append(h('div', { class: 'widget-text' }, widget.text ?? ''));
  } else {
    element.append(
      h('div', { class: 'widget-title' }, widget.title),
      h('div', { class: 'widget-note' }, widget.note ?? ''),
    );
  }
  return element;
}

function shortAlarm(name) {
  return name.replace(/^[^-]+-/, '').replace(/-[A-Z0-9]{8,}$/, '');
}

// ------------------------------------------------------------------ alarms

async function loadAlarms() {
  const { alarms } = await api(stackPath('/alarms'));
  state.alarmStates = new Map(alarms.map((alarm) => [alarm.name, alarm.state]));
  renderArchitecture();
  if (alarms.length === 0) {
    replace(byId('alarms-view'), h('p', { class: 'muted' }, 'The stack defines no alarms.'));
    return;
  }
  replace(
    byId('alarms-view'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['State', 'Alarm', 'Condition', 'Reason', 'Since'].map((name) => h('th', {}, name)),
        ),
      ),
      h(
        'tbody',
        {},
        alarms.map((alarm) => {
          const expanded = state.expandedAlarms.has(alarm.name);
          return h(
            'tr',
            {
              class: 'clickable',
              data: { alarm: alarm.name, state: alarm.state },
              on: {
                click: () => {
                  if (expanded) state.expandedAlarms.delete(alarm.name);
                  else state.expandedAlarms.add(alarm.name);
                  once('alarms', loadAlarms);
                },
              },
            },
            h('td', {}, h('span', { class: `state state-${alarm.state.toLowerCase()}` }, alarm.state)),
            h(
              'td',
              {},
              h('div', {}, alarm.label),
              alarm.description ? h('div', { class: 'muted' }, alarm.description) : null,
              expanded
                ? h(
                    'ul',
                    { class: 'history' },
                    alarm.history.length
                      ? alarm.history.map((item) => h('li', {}, `${clock(item.t)} ${item.summary}`))
                      : h('li', {}, 'no state changes yet'),
                  )
                : h(
                    'div',
                    { class: 'muted' },
                    `${alarm.history.length} state change${alarm.history.length === 1 ? '' : 's'} (click)`,
                  ),
            ),
            h('td', {}, alarm.metric ? h('div', { class: 'mono' }, alarm.metric) : null, alarm.condition),
            h('td', { class: 'muted' }, alarm.reason ?? ''),
            h('td', {}, clock(alarm.since)),
          );
        }),
      ),
    ),
  );
}

// ------------------------------------------------------------------ functions and logs

async function loadFunctions() {
  const { functions } = await api(stackPath('/functions'));
  replace(
    byId('functions-view'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'Function'),
          ['Invocations', 'Errors', 'Throttles', 'Avg duration', 'Max duration', 'Running'].map((name) =>
            h('th', { class: 'num' }, name),
          ),
          h('th', {}, 'Invocations over the run'),
        ),
      ),
      h(
        'tbody',
        {},
        functions.map((fn) =>
          h(
            'tr',
            {
              class: 'clickable',
              data: { function: fn.name },
              title: 'Show only this function’s logs',
              on: {
                click: () => {
                  byId('log-function').value = fn.name;
                  connectEvents();
                },
              },
            },
            h('td', {}, h('div', {}, fn.label), h('div', { class: 'muted mono' }, fn.name)),
            h('td', { class: 'num', data: { field: 'invocations' } }, count(fn.invocations)),
            h('td', { class: 'num' }, count(fn.errors)),
            h('td', { class: 'num' }, count(fn.throttles)),
            h('td', { class: 'num' }, milliseconds(fn.averageDurationMs)),
            h('td', { class: 'num' }, milliseconds(fn.maximumDurationMs)),
            h('td', { class: 'num' }, count(fn.running)),
            h(
              'td',
              {},
              sparkline(
                fn.series.invocations.timestamps.map((time, index) => [
                  time,
                  fn.series.invocations.values[index],
                ]),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function setupLogControls() {
  let timer;
  const reconnect = () => {
    clearTimeout(timer);
    timer = setTimeout(() => state.stack && connectEvents(), 300);
  };
  byId('log-function').addEventListener('change', reconnect);
  byId('log-request').addEventListener('input', reconnect);
  byId('log-text').addEventListener('input', reconnect);
  byId('log-pause').addEventListener('click', () => {
    state.logsPaused = !state.logsPaused;
    byId('log-pause').textContent = state.logsPaused ? 'Resume' : 'Pause';
  });
  byId('log-clear').addEventListener('click', () => replace(byId('logs')));
}

async function loadLogTail(params) {
  const query = new URLSearchParams(params);
  query.delete('stack');
  query.set('limit', '200');
  const { lines } = await api(stackPath(`/logs?${query}`));
  replace(byId('logs'));
  byId('log-status').textContent = '';
  appendLogs(lines);
}

function appendLogs(lines) {
  const logs = byId('logs');
  const atBottom = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 20;
  const labels = new Map(state.info.functions.map((fn) => [fn.name, fn.label]));
  for (const line of lines) {
    logs.append(
      h(
        'div',
        { class: `log-line ${line.source}`, data: { function: line.fn, request: line.requestId ?? '' } },
        h('span', { class: 't' }, `${clock(line.t)} `),
        h('span', { class: 'fn' }, `${labels.get(line.fn) ?? line.fn} `),
        line.requestId
          ? h(
              'span',
              {
                class: 'rid',
                title: 'Show only this request',
                on: {
                  click: () => {
                    byId('log-request').value = line.requestId;
                    connectEvents();
                  },
                },
              },
              `${line.requestId.slice(0, 8)} `,
            )
          : null,
        h('span', { class: 'text' }, line.line),
      ),
    );
  }
  while (logs.childElementCount > MAX_LOG_LINES) logs.firstElementChild.remove();
  if (atBottom) logs.scrollTop = logs.scrollHeight;
}

// ------------------------------------------------------------------ dead-letter queue

function setupDlqControls() {
  byId('dlq-queue').addEventListener('change', (event) => {
    state.dlq = {
      ...state.dlq,
      queue: event.target.value,
      selected: new Set(),
      open: undefined,
      depth: undefined,
    };
    loadDlq();
  });
  byId('dlq-refresh').addEventListener('click', () => loadDlq());
  byId('dlq-redrive-selected').addEventListener('click', () => redrive('selected', [...state.dlq.selected]));
  const all = byId('dlq-redrive-all');
  all.addEventListener('click', () => {
    if (all.dataset.confirm !== 'yes') {
      all.dataset.confirm = 'yes';
      all.classList.add('confirm');
      all.textContent = 'Click again: redrive every message';
      setTimeout(() => {
        all.dataset.confirm = '';
        all.classList.remove('confirm');
        all.textContent = 'Redrive all';
      }, 4000);
      return;
    }
    all.dataset.confirm = '';
    all.classList.remove('confirm');
    all.textContent = 'Redrive all';
    redrive('all', []);
  });
}

function loadDlq() {
  if (!state.dlq.queue) {
    replace(byId('dlq-list'), h('p', { class: 'muted' }, 'The stack has no dead-letter queue.'));
    return Promise.resolve();
  }
  return once('dlq', async () => {
    const result = await api(stackPath(`/dlq?queue=${encodeURIComponent(state.dlq.queue)}`));
    state.dlq.messages = result.messages;
    state.dlq.depth = result.depth;
    const present = new Set(result.messages.map((message) => message.messageId));
    for (const id of state.dlq.selected) if (!present.has(id)) state.dlq.selected.delete(id);
    if (state.dlq.open && !present.has(state.dlq.open)) state.dlq.open = undefined;
    renderDlq();
    if (result.job && !state.job && result.job.status === 'RUNNING') followJob(result.job);
  });
}

function renderDlq() {
  const { messages, depth, selected } = state.dlq;
  const depthText = byId('dlq-depth');
  depthText.textContent = `${count(depth)} message${depth === 1 ? '' : 's'}${depth > messages.length ? `, ${messages.length} shown` : ''}`;
  depthText.dataset.depth = String(depth ?? '');
  const button = byId('dlq-redrive-selected');
  button.disabled = selected.size === 0 || Boolean(state.job);
  button.textContent = `Redrive selected (${selected.size})`;
  byId('dlq-redrive-all').disabled = depth === 0 || Boolean(state.job);
  if (messages.length === 0) {
    replace(
      byId('dlq-list'),
      h(
        'p',
        { class: 'muted' },
        depth ? 'No message could be peeked (in flight or delayed).' : 'The dead-letter queue is empty.',
      ),
    );
  } else {
    replace(
      byId('dlq-list'),
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, ''),
            ['Sent', 'Type', 'Reason', 'Receives', 'Message id'].map((name) => h('th', {}, name)),
          ),
        ),
        h(
          'tbody',
          {},
          messages.map((message) => {
            const checkbox = h('input', {
              type: 'checkbox',
              'aria-label': `select ${message.messageId}`,
              checked: selected.has(message.messageId),
              on: {
                click: (event) => event.stopPropagation(),
                change: (event) => {
                  if (event.target.checked) selected.add(message.messageId);
                  else selected.delete(message.messageId);
                  renderDlq();
                },
              },
            });
            return h(
              'tr',
              {
                class: `clickable${state.dlq.open === message.messageId ? ' selected' : ''}`,
                data: { messageId: message.messageId },
                on: {
                  click: () => openDlqMessage(message.messageId),
                },
              },
              h('td', {}, checkbox),
              h('td', {}, clock(message.sentAt)),
              h('td', {}, message.type ?? '-'),
              h('td', { data: { field: 'reason' } }, message.reason),
              h('td', { class: 'num' }, count(message.receiveCount)),
              h('td', { class: 'mono' }, message.messageId),
            );
          }),
        ),
      ),
    );
  }
  renderDlqMessage();
}

/** Opens a message: its body and attributes are fetched on demand (one peek of the DLQ). */
async function openDlqMessage(id) {
  state.dlq.open = id;
  state.dlq.detail = { messageId: id, loading: true };
  renderDlq();
  let detail;
  try {
    detail = await api(
      stackPath(`/dlq/message?queue=${encodeURIComponent(state.dlq.queue)}&id=${encodeURIComponent(id)}`),
    );
  } catch (error) {
    detail = { messageId: id, error: error.message };
  }
  if (state.dlq.open !== id) return;
  state.dlq.detail = detail;
  renderDlqMessage();
}

function renderDlqMessage() {
  const panel = byId('dlq-message');
  const message = state.dlq.messages.find((candidate) => candidate.messageId === state.dlq.open);
  panel.hidden = !message;
  if (!message) return;
  const detail = state.dlq.detail?.messageId === message.messageId ? state.dlq.detail : { loading: true };
  const attributes = detail.attributes ?? {};
  const field = (name, value, key) => [
    h('dt', {}, name),
    h('dd', { data: key ? { field: key } : {} }, value ?? '-'),
  ];
  replace(
    panel,
    h('strong', {}, 'Message '),
    h('span', { class: 'mono' }, message.messageId),
    h(
      'dl',
      {},
      field('reason', message.reason, 'reason'),
      field('error', message.error, 'error'),
      field('type', message.type),
      field('stream', message.producer ? `${message.producer} #${message.seq}` : undefined),
      field('envelope id', message.envelopeId),
      field('receives', message.receiveCount === undefined ? undefined : String(message.receiveCount)),
      field('source queue', message.sourceArn),
      field('sent', message.sentAt ? new Date(message.sentAt).toISOString() : undefined),
    ),
    Object.keys(attributes).length
      ? h(
          'details',
          {},
          h('summary', {}, `Message attributes (${Object.keys(attributes).length})`),
          h(
            'dl',
            {},
            Object.entries(attributes).map(([name, value]) => [
              h('dt', { class: 'mono' }, name),
              h('dd', { class: 'mono' }, value),
            ]),
          ),
        )
      : null,
    h('div', { class: 'muted' }, `Body${detail.bodyTruncated ? ' (first 16 KiB)' : ''}`),
    detail.body !== undefined
      ? h('pre', { data: { field: 'body' } }, detail.body)
      : h('p', { class: 'muted' }, detail.error ?? 'loading…'),
    h(
      'button',
      {
        type: 'button',
        on: { click: () => redrive('selected', [message.messageId]) },
        disabled: Boolean(state.job),
        data: { action: 'redrive-one' },
      },
      'Redrive this message',
    ),
  );
}

async function redrive(mode, ids) {
  if (state.job) return;
  const body = new URLSearchParams({ queue: state.dlq.queue, mode });
  for (const id of ids) body.append('id', id);
  const progress = byId('dlq-progress');
  try {
    const { job } = await api(stackPath('/dlq/redrive'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', [TOKEN_HEADER]: TOKEN },
      body,
    });
    followJob(job);
  } catch (error) {
    progress.textContent = `Redrive refused: ${error.message}`;
    progress.dataset.status = 'REFUSED';
  }
}

async function followJob(job) {
  state.job = job;
  renderDlq();
  const progress = byId('dlq-progress');
  const show = (current) => {
    const of =
      current.requested !== undefined && current.requested !== null ? ` of ${current.requested}` : '';
    progress.textContent = `Redrive (${current.mode}): ${current.status.toLowerCase()}, moved ${current.moved}${of}${current.failed ? `, ${current.failed} failed` : ''}${current.errors.length ? ` (${current.errors[0]})` : ''}`;
    progress.dataset.status = current.status;
    progress.dataset.moved = String(current.moved);
  };
  show(job);
  let current = job;
  while (current.status === 'RUNNING') {
    await new Promise((resolve) => setTimeout(resolve, 400));
    try {
      current =
        (await api(stackPath(`/dlq/redrive?queue=${encodeURIComponent(state.dlq.queue)}`))).job ?? current;
    } catch {
      // The next poll tries again.
    }
    show(current);
  }
  state.job = undefined;
  state.dlq.selected.clear();
  await loadDlq();
  renderDlq();
}

// ------------------------------------------------------------------ audit

async function loadAudit() {
  const audit = await api(stackPath('/audit'));
  const view = byId('audit-view');
  if (!audit.available) {
    replace(
      view,
      h('p', { class: 'muted' }, 'The stack has no pipeline control and leases tables: nothing to audit.'),
    );
    return;
  }
  const report = audit.report;
  replace(
    view,
    report
      ? h(
          'div',
          {},
          h(
            'span',
            { class: `verdict ${report.counts.missing === 0 ? 'good' : 'bad'}`, data: { field: 'verdict' } },
            report.verdict,
          ),
          h(
            'span',
            { class: 'muted' },
            `  last audit ${new Date(report.finishedAt).toLocaleString('en-GB')} (grace ${report.graceSeconds} s): ` +
              `${report.counts['in-flight']} in flight, ${report.counts.queued} queued, ${report.counts['dead-lettered']} dead-lettered, ` +
              `${report.counts.unsent} unsent; ${report.republished} re-published`,
          ),
        )
      : h(
          'p',
          { class: 'muted', data: { field: 'verdict' } },
          'No audit has run yet (the auditor runs on its schedule, or: oncely audit).',
        ),
    audit.streams.length
      ? h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Producer stream'),
              ['High-water mark', 'Confirmed up to', 'Pending', 'Missing'].map((name) =>
                h('th', { class: 'num' }, name),
              ),
              h('th', {}, 'Gaps (last audit)'),
            ),
          ),
          h(
            'tbody',
            {},
            audit.streams.map((stream) =>
              h(
                'tr',
                { data: { producer: stream.producer } },
                h(
                  'td',
                  { class: 'mono' },
                  stream.producer,
                  stream.closed ? h('span', { class: 'muted' }, ' closed') : null,
                ),
                h('td', { class: 'num' }, count(stream.highWater)),
                h('td', { class: 'num' }, count(stream.confirmedSeq)),
                h('td', { class: 'num' }, count(stream.pending)),
                h('td', { class: 'num' }, count(stream.missing)),
                h(
                  'td',
                  {},
                  stream.gaps.length
                    ? stream.gaps
                        .slice(0, 12)
                        .map((gap) => `#${gap.seq} ${gap.classification}`)
                        .join(', ') + (stream.gaps.length > 12 ? ` … (${stream.gaps.length})` : '')
                    : 'none',
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No producer stream yet.'),
  );
}

start().catch((error) => {
  setLive('offline', 'failed to start');
  document.body.append(h('p', { class: 'notice' }, `The console could not start: ${error.message}`));
});
