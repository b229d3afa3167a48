// A workload's details pane: a summary, then its event history (the status over time and notable
// events, filterable), its metrics (one period for every chart, zoom together), and its pods' logs.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { download, getJson, getText, readStream, workloadPath } from './api.js';
import { Chart } from './charts.js';
import { Status, TypeLabel } from './icons.js';
import { formatBytes, formatNumber, formatTime, timeZone, toLocalInput } from './format.js';
import { ErrorBanner, html, useDebounced } from './widgets.js';

const REFRESH_MS = 10_000;

export function DetailsPane({ row: opened, deleted, onClose }) {
  const [details, setDetails] = useState(null);
  const [error, setError] = useState(null);
  const [tab, setTab] = useState('history');
  const path = workloadPath(opened);
  useEffect(() => {
    if (deleted) return undefined;
    const fetchDetails = () => getJson(path).then(d => { setDetails(d); setError(null); }, setError);
    fetchDetails();
    const timer = setInterval(fetchDetails, REFRESH_MS);
    return () => clearInterval(timer);
  }, [path, deleted]);
  useEffect(() => {
    const key = e => e.key === 'Escape' && !document.querySelector('.backdrop') && onClose();
    document.addEventListener('keydown', key);
    return () => document.removeEventListener('keydown', key);
  }, []);
  const row = details?.row || opened;
  const base = deleted ? `/api/v1/deleted/${encodeURIComponent(row.uid)}` : path;
  const tabs = deleted ? [['history', 'Event history']]
    : [['history', 'Event history'], ['metrics', 'Metrics'], ['logs', 'Logs']];
  return html`<aside class="details" aria-label=${`Details of ${row.name}`} data-test="details">
    <header>
      <div style="flex:1">
        <h2>${row.name}</h2>
        <div class="muted"><${TypeLabel} row=${row} /> · ${row.project} · ${row.namespace}</div>
      </div>
      <${Status} row=${row} />
      <button type="button" onClick=${onClose} aria-label="Close details">×</button>
    </header>
    <dl class="summary">
      <div><dt>Created by</dt><dd>${row.createdBy || '—'}</dd></div>
      <div><dt>Created</dt><dd>${formatTime(row.createdAt)}</dd></div>
      <div><dt>${deleted ? 'Deleted' : 'Completed'}</dt><dd>${formatTime(deleted ? row.deletedAt : row.completedAt) || '—'}</dd></div>
      ${row.type === 'external' ? html`<${Owner} row=${row} spec=${details?.spec} />`
        : html`<div><dt>Image</dt><dd title=${row.image}>${row.image}</dd></div>`}
      <div><dt>GPU (requested / allocated)</dt><dd>${formatNumber(row.gpuComputeRequest) || 0} / ${formatNumber(row.gpuComputeAllocation) || 0}</dd></div>
      <div><dt>Pods (running / requested)</dt><dd>${row.runningPods ?? 0} / ${row.requestedPods ?? 0}</dd></div>
      ${row.statusMessage && html`<div style="grid-column:1/-1"><dt>Why ${row.status}</dt><dd style="white-space:normal">${row.statusMessage}</dd></div>`}
    </dl>
    <nav class="tabs" role="tablist" aria-label="Details">
      ${tabs.map(([key, label]) => html`<button role="tab" aria-selected=${tab === key} data-tab=${key}
        onClick=${() => setTab(key)}>${label}</button>`)}
    </nav>
    <div class="body">
      <${ErrorBanner} error=${error} />
      ${tab === 'history' && html`<${History} base=${base} until=${deleted ? row.deletedAt : null} />`}
      ${tab === 'metrics' && html`<${Metrics} path=${path} createdAt=${row.createdAt} />`}
      ${tab === 'logs' && html`<${Logs} path=${path} pods=${details?.pods || []} allowed=${details?.actions?.logs} />`}
    </div>
  </aside>`;
}

/**
 * What an external workload is: the object whose controller runs it, and how Tessera grouped its
 * pods into one workload (a gang of minMember, by its PodGroup).
 */
function Owner({ row, spec }) {
  const owner = spec?.owner;
  const gang = spec?.minMember > 1 ? `${spec.minMember} pods together${spec.podGroup ? ` (PodGroup ${spec.podGroup})` : ''}`
    : 'each pod alone';
  return html`
    <div data-test="owner"><dt>Run by</dt><dd title=${owner ? `${owner.apiVersion} ${owner.kind} ${owner.name}` : ''}>${
      row.ownerKind ? `${row.ownerKind} ${row.ownerName}` : '—'}${owner ? html` <span class="muted">${owner.apiVersion}</span>` : ''}</dd></div>
    <div><dt>Placed</dt><dd>${spec ? gang : '—'}</dd></div>
    ${spec?.grouping && html`<div style="grid-column:1/-1"><dt>Grouped by</dt><dd style="white-space:normal">${spec.grouping}</dd></div>`}`;
}

const CATEGORIES = [['status', 'Status'], ['scheduling', 'Scheduling'], ['reclaim', 'Reclaim'], ['gpu_oom', 'GPU out of memory'],
  ['policy', 'Policy'], ['other', 'Other']];

/** The phase a status entry moved to: its message starts with it ("Pending: gang needs…"). */
const phaseOf = entry => (entry.message || entry.reason || '').split(':')[0].trim();

function History({ base, until }) {
  const [category, setCategory] = useState('');
  const [type, setType] = useState('');
  const [searchText, setSearchText] = useState('');
  const search = useDebounced(searchText.trim(), 250);
  const [page, setPage] = useState({ items: [], next: null });
  const [statuses, setStatuses] = useState([]);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  const params = useMemo(() => {
    const p = new URLSearchParams({ limit: '100' });
    if (category) p.set('category', category);
    if (type) p.set('type', type);
    if (search) p.set('search', search);
    return p.toString();
  }, [category, type, search]);
  useEffect(() => {
    getJson(`${base}/history?${params}`).then(answer => {
      // A refresh keeps the pages already loaded below the first.
      setPage(now => (tick > 0 && now.items.length > answer.items.length ? now
        : { items: answer.items, next: answer.metadata?.continue || null }));
      setError(null);
    }, setError);
    getJson(`${base}/history?category=status&limit=1000`).then(answer => setStatuses(answer.items), () => {});
  }, [base, params, tick]);
  useEffect(() => {
    if (until) return undefined;
    const timer = setInterval(() => setTick(t => t + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, [until]);
  const more = () => getJson(`${base}/history?${params}&continue=${encodeURIComponent(page.next)}`).then(answer =>
    setPage(now => ({ items: now.items.concat(answer.items), next: answer.metadata?.continue || null })), setError);

  return html`
    <${Timeline} entries=${statuses} until=${until} />
    <div class="toolbar">
      <label>Category <select value=${category} onChange=${e => setCategory(e.target.value)} data-test="history-category">
        <option value="">All</option>${CATEGORIES.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select></label>
      <label>Type <select value=${type} onChange=${e => setType(e.target.value)}>
        <option value="">All</option><option>Normal</option><option>Warning</option></select></label>
      <input type="search" placeholder="Search events" aria-label="Search events" value=${searchText}
        onInput=${e => setSearchText(e.target.value)} />
    </div>
    <${ErrorBanner} error=${error} />
    <table class="events" data-test="events">
      <colgroup><col style="width:150px" /><col style="width:95px" /><col style="width:130px" /><col /></colgroup>
      <thead><tr><th>Time (${timeZone})</th><th>Category</th><th>Reason</th><th>Message</th></tr></thead>
      <tbody>${page.items.map(e => html`<tr>
        <td>${formatTime(e.time)}</td><td>${e.category.toLowerCase()}</td>
        <td class=${e.type === 'Warning' ? 'warning-type' : ''}>${e.reason}</td>
        <td class="message">${e.message}${e.pod ? html` <span class="muted">(${e.pod})</span>` : ''}</td>
      </tr>`)}</tbody>
    </table>
    ${page.items.length === 0 && html`<p class="muted">No events match.</p>`}
    ${page.next && html`<button type="button" onClick=${more}>Load more</button>`}`;
}

/** The status over time: one coloured band per phase, as long as the workload stayed in it. */
function Timeline({ entries, until }) {
  if (entries.length === 0) return null;
  const ordered = [...entries].sort((a, b) => new Date(a.time) - new Date(b.time));
  const start = new Date(ordered[0].time).getTime();
  const end = until ? new Date(until).getTime() : Date.now();
  const span = Math.max(1, end - start);
  return html`<div>
    <div class="timeline" role="img" aria-label="Status over time" data-test="timeline">
      ${ordered.map((entry, i) => {
        const from = new Date(entry.time).getTime();
        const to = i + 1 < ordered.length ? new Date(ordered[i + 1].time).getTime() : end;
        const phase = phaseOf(entry);
        return html`<span class=${`phase-${phase.toLowerCase()}`} style=${`flex:${Math.max(0.01, (to - from) / span)}`}
          title=${`${phase} from ${formatTime(entry.time)}`}></span>`;
      })}
    </div>
    <div class="muted" style="display:flex;justify-content:space-between;font-size:12px">
      <span>${formatTime(ordered[0].time)}</span><span>${until ? formatTime(until) : 'now'}</span></div>
  </div>`;
}

const PERIODS = [['15m', 'Last 15 minutes', 15 * 60], ['1h', 'Last hour', 3600], ['24h', 'Last day', 86400], ['custom', 'Custom…', 0]];
const percent = v => `${formatNumber(v)} %`;
const CHARTS = [
  ['gpu_utilization_percent', 'GPU utilization', percent],
  ['gpu_memory_used_bytes', 'GPU memory used', formatBytes],
  ['cpu_utilization_percent', 'CPU utilization', percent],
  ['cpu_memory_usage_bytes', 'CPU memory usage', formatBytes],
  ['cpu_memory_utilization_percent', 'CPU memory utilization', percent],
];

function seriesLabel(labels) {
  if (labels.aggregate) return labels.aggregate === 'average' ? 'Average' : labels.aggregate;
  if (labels.gpu !== undefined) return `GPU ${labels.gpu}${labels.node ? ` · ${labels.node}` : ''}`;
  return labels.pod || labels.container || 'value';
}

/** Per-GPU lines and their average; the average is computed here when the source gave none. */
function chartSeries(all, metric) {
  const mine = all.filter(s => s.metric === metric).map(s => ({
    label: seriesLabel(s.labels || {}), points: s.points, emphasis: !!s.labels?.aggregate,
  }));
  if (metric === 'gpu_utilization_percent' && mine.length > 1 && !mine.some(s => s.emphasis)) {
    const sums = new Map();
    for (const s of mine) for (const p of s.points) {
      const sum = sums.get(p.time) || [0, 0];
      sums.set(p.time, [sum[0] + p.value, sum[1] + 1]);
    }
    mine.push({ label: 'Average', emphasis: true,
      points: [...sums].sort((a, b) => a[0] - b[0]).map(([time, [sum, n]]) => ({ time, value: sum / n })) });
  }
  return mine.sort((a, b) => Number(a.emphasis) - Number(b.emphasis) || a.label.localeCompare(b.label, undefined, { numeric: true }));
}

function Metrics({ path, createdAt }) {
  const [period, setPeriod] = useState('1h');
  const [custom, setCustom] = useState(() => {
    const now = new Date();
    return { from: toLocalInput(new Date(now - 3600_000)), to: toLocalInput(now) };
  });
  const [applied, setApplied] = useState(null);
  const [zoom, setZoom] = useState(null);
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  const window_ = useMemo(() => {
    if (period === 'custom') {
      return applied && { start: new Date(applied.from).getTime() / 1000, end: new Date(applied.to).getTime() / 1000 };
    }
    const end = Date.now() / 1000;
    return { start: end - PERIODS.find(p => p[0] === period)[2], end };
  }, [period, applied, tick]);
  useEffect(() => {
    if (!window_) return;
    const iso = s => new Date(s * 1000).toISOString();
    getJson(`${path}/metrics?start=${iso(window_.start)}&end=${iso(window_.end)}`)
      .then(a => { setAnswer(a); setError(null); }, setError);
  }, [path, window_]);
  // A relative period moves with the clock; a zoomed or custom one holds still.
  useEffect(() => {
    if (period === 'custom' || zoom) return undefined;
    const timer = setInterval(() => setTick(t => t + 1), 15_000);
    return () => clearInterval(timer);
  }, [period, zoom]);
  // A workload younger than the period is drawn from its creation, not squeezed into a corner.
  const born = period === 'custom' || !createdAt ? 0 : new Date(createdAt).getTime() / 1000;
  const range = zoom || (window_ ? { min: Math.max(window_.start, born), max: window_.end } : { min: 0, max: 1 });
  return html`
    <div class="toolbar">
      <label>Period <select value=${period} data-test="period" onChange=${e => { setPeriod(e.target.value); setZoom(null); }}>
        ${PERIODS.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select></label>
      ${period === 'custom' && html`
        <label>From <input type="datetime-local" value=${custom.from} onInput=${e => setCustom({ ...custom, from: e.target.value })} /></label>
        <label>To <input type="datetime-local" value=${custom.to} onInput=${e => setCustom({ ...custom, to: e.target.value })} /></label>
        <button type="button" onClick=${() => { setZoom(null); setApplied({ ...custom }); }}>Apply</button>`}
      <span class="spacer"></span>
      <span class="muted">${answer ? `from ${answer.source}` : ''} · drag across a chart to zoom</span>
      <button type="button" disabled=${!zoom} onClick=${() => setZoom(null)} data-test="reset-zoom">Reset zoom</button>
    </div>
    <${ErrorBanner} error=${error} />
    ${period === 'custom' && !applied && html`<p class="muted">Choose a period and Apply.</p>`}
    ${answer && html`<div class="charts">${CHARTS.map(([metric, title, format]) => {
      const series = chartSeries(answer.series, metric);
      const why = answer.unavailable?.[metric];
      return html`<section class="chart" data-metric=${metric}>
        <h3>${title}</h3>
        ${series.length > 0
          ? html`<${Chart} title=${title} series=${series} format=${format} range=${range} onZoom=${setZoom} testId=${`chart-${metric}`} />`
          : html`<p class="unavailable">${why || 'No data in this period.'}</p>`}
      </section>`;
    })}</div>`}`;
}

const LOG_LINES_KEPT = 5000;

function Logs({ path, pods, allowed }) {
  const [pod, setPod] = useState('');
  const [follow, setFollow] = useState(false);
  const [text, setText] = useState('');
  const [searchText, setSearchText] = useState('');
  const [error, setError] = useState(null);
  const pre = useRef(null);
  const chosen = pod || pods[0]?.name || '';
  const logPath = chosen && `${path}/pods/${encodeURIComponent(chosen)}/log`;
  useEffect(() => {
    if (!logPath || allowed?.allowed === false) return undefined;
    const abort = new AbortController();
    setText('');
    setError(null);
    if (follow) {
      readStream(`${logPath}?follow=true&tailLines=500`, abort.signal, chunk => setText(now => {
        const all = now + chunk;
        const lines = all.split('\n');
        return lines.length > LOG_LINES_KEPT ? lines.slice(-LOG_LINES_KEPT).join('\n') : all;
      })).catch(e => e.name !== 'AbortError' && setError(e));
    } else {
      getText(`${logPath}?tailLines=${LOG_LINES_KEPT}`, { signal: abort.signal }).then(setText, e => e.name !== 'AbortError' && setError(e));
    }
    return () => abort.abort();
  }, [logPath, follow]);
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  if (allowed && !allowed.allowed) return html`<p class="muted">${allowed.reason || 'Your role does not allow reading logs here.'}</p>`;
  if (pods.length === 0) return html`<p class="muted">No pods now, so no logs to show.</p>`;
  const needle = searchText.trim().toLowerCase();
  const lines = text.split('\n');
  const matching = needle ? lines.filter(l => l.toLowerCase().includes(needle)) : lines;
  const mark = line => {
    if (!needle) return line + '\n';
    const parts = [];
    let at = 0, found;
    const lower = line.toLowerCase();
    while ((found = lower.indexOf(needle, at)) >= 0) {
      parts.push(line.slice(at, found), html`<mark>${line.slice(found, found + needle.length)}</mark>`);
      at = found + needle.length;
    }
    parts.push(line.slice(at), '\n');
    return parts;
  };
  return html`
    <div class="toolbar">
      <label>Pod <select value=${chosen} onChange=${e => setPod(e.target.value)}>
        ${pods.map(p => html`<option value=${p.name}>${p.name}</option>`)}</select></label>
      <label><input type="checkbox" checked=${follow} onChange=${e => setFollow(e.target.checked)} data-test="follow" /> Follow</label>
      <input type="search" placeholder="Search the log" aria-label="Search the log" value=${searchText}
        onInput=${e => setSearchText(e.target.value)} />
      ${needle && html`<span class="muted">${matching.length} matching lines</span>`}
      <span class="spacer"></span>
      <button type="button" onClick=${() => download(`${logPath}?download=true`, `${chosen}.log`).catch(setError)}>Download</button>
    </div>
    <${ErrorBanner} error=${error} />
    <pre class="log" ref=${pre} data-test="log">${matching.map(mark)}</pre>`;
}

