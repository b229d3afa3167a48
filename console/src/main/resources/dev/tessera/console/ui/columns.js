// The table's columns: the API's columns, how each reads, how wide it is, and what a filter on it
// may compare. Widths are fixed so that rows arriving or changing never move the layout.
import { h } from 'preact';
import { Status, TypeLabel } from './icons.js';
import { formatBytes, formatNumber, formatTime } from './format.js';

const TEXT = 'text', NUMBER = 'number', TIME = 'time', BYTES = 'bytes';

export const TEXT_OPERATORS = [
  ['==', 'is'], ['!=', 'is not'], ['=@', 'contains'], ['!@', 'does not contain'], ['=^', 'starts with'], ['=$', 'ends with'],
];
export const NUMBER_OPERATORS = [['==', '='], ['!=', '≠'], ['>', '>'], ['>=', '≥'], ['<', '<'], ['<=', '≤']];

const text = (key, label, width, extra = {}) => ({ key, label, width, kind: TEXT, ...extra });
const num = (key, label, width, extra = {}) => ({ key, label, width, kind: NUMBER, ...extra });
const bytes = (key, label, width) => ({ key, label, width, kind: BYTES });
const time = (key, label, width) => ({ key, label, width, kind: TIME });

/** A count that opens its list: pods, connections, data sources. */
const count = (list, value) => (row, open) =>
  h('button', { class: 'link count', onClick: e => { e.stopPropagation(); open(row, list); },
    'aria-label': `${value(row)}: show the ${list}` }, value(row));

export const COLUMNS = [
  text('name', 'Name', 220),
  text('type', 'Type', 170, { render: row => h(TypeLabel, { row }) }),
  text('status', 'Status', 150, { render: row => h(Status, { row }) }),
  text('project', 'Project', 130),
  text('department', 'Department', 120),
  text('createdBy', 'Created by', 120),
  num('runningPods', 'Pods', 90, {
    title: 'Running / requested pods',
    csv: ['runningPods', 'requestedPods'],
    render: count('pods', row => `${row.runningPods ?? 0}/${row.requestedPods ?? 0}`),
  }),
  num('gpuComputeRequest', 'GPU request', 120, { title: 'GPU compute request (GPUs, fractions included)' }),
  num('gpuComputeAllocation', 'GPU allocation', 130, { title: 'GPU compute allocation (GPUs)' }),
  bytes('gpuMemoryRequest', 'GPU memory request', 170),
  bytes('gpuMemoryAllocation', 'GPU memory allocation', 180),
  num('cpuComputeRequest', 'CPU request', 120, { title: 'CPU compute request (cores)' }),
  num('cpuComputeAllocation', 'CPU allocation', 130, { title: 'CPU compute allocation (cores)' }),
  bytes('cpuMemoryRequest', 'CPU memory request', 170),
  bytes('cpuMemoryAllocation', 'CPU memory allocation', 180),
  time('createdAt', 'Created', 190),
  time('completedAt', 'Completed', 190),
  time('deletedAt', 'Deleted', 190),
  num('connections', 'Connections', 120, { render: count('connections', row => row.connections ?? 0) }),
  num('dataSources', 'Data sources', 120, { render: count('data sources', row => row.dataSources ?? 0) }),
  text('image', 'Image', 220),
  text('nodePools', 'Node pools', 140, { render: row => (row.nodePools || []).join(', ') }),
  text('preemptible', 'Preemptible', 120, { render: row => (row.preemptible ? 'yes' : 'no') }),
  text('architecture', 'Architecture', 110),
  text('ownerKind', 'Owner kind', 130, { title: "An external workload's owner: the kind of object whose controller runs it" }),
  text('ownerName', 'Owner name', 150, { title: "An external workload's owner: its name" }),
  text('namespace', 'Namespace', 130),
  text('statusReason', 'Status reason', 160),
  text('cluster', 'Cluster', 100),
];

export const BY_KEY = Object.fromEntries(COLUMNS.map(c => [c.key, c]));

/** What a new browser shows; the Columns picker's choice is remembered per browser. */
export const DEFAULT_COLUMNS = ['name', 'type', 'status', 'project', 'createdBy', 'runningPods', 'gpuComputeRequest',
  'gpuComputeAllocation', 'createdAt', 'connections', 'dataSources', 'nodePools'];

export function cell(column, row, open) {
  if (column.render) return column.render(row, open);
  const value = row[column.key];
  switch (column.kind) {
    case TIME: return formatTime(value);
    case BYTES: return formatBytes(value);
    case NUMBER: return formatNumber(value);
    default: return value ?? '';
  }
}

/** The filter operators a column takes: numbers, sizes and times compare; text matches. */
export const operatorsOf = column => (column.kind === TEXT ? TEXT_OPERATORS : NUMBER_OPERATORS);

/** Every column a filter may name: the table's, and requested pods (shown inside the pods column). */
export const FILTER_COLUMNS = [...COLUMNS, num('requestedPods', 'Requested pods', 0)];

export const placeholderOf = column => ({
  [TIME]: 'e.g. 2026-12-01 or 2026-12-01T10:00:00Z',
  [BYTES]: 'e.g. 8Gi',
  [NUMBER]: 'e.g. 2',
  [TEXT]: 'text',
}[column.kind]);

/** The CSV's columns for the shown ones, in their order. */
export const csvColumns = keys => keys.flatMap(key => BY_KEY[key]?.csv || [key]);

const STORED = 'tessera.columns';

export function storedColumns() {
  try {
    const keys = JSON.parse(localStorage.getItem(STORED));
    if (Array.isArray(keys) && keys.length && keys.every(k => BY_KEY[k])) return keys;
  } catch (_) { /* a bad stored value falls back to the defaults */ }
  return DEFAULT_COLUMNS;
}

export const storeColumns = keys => localStorage.setItem(STORED, JSON.stringify(keys));
