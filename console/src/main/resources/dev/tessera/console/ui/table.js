// The Workloads table: search, filters as chips, sort by header, a column picker, CSV of what is
// shown, live changes streamed from the API, and an action bar for the selected row. Rows are
// paged from the server as the table scrolls and only the visible ones are rendered, so ten
// thousand workloads scroll as smoothly as ten.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, deleteJson, download, getJson, postJson, readEvents, workloadPath } from './api.js';
import { BY_KEY, COLUMNS, FILTER_COLUMNS, cell, csvColumns, operatorsOf, placeholderOf, storeColumns,
  storedColumns } from './columns.js';
import { formatBytes, formatNumber } from './format.js';
import { Dialog, ErrorBanner, Popover, html, useDebounced } from './widgets.js';

const ROW_HEIGHT = 36;
const PAGE = 100;
/** Rows rendered above and below the visible ones, so a quick scroll shows no blank rows. */
const OVERSCAN = 12;
const MAX_LIMIT = 10000;

function queryString({ view, search, filters, sort }) {
  const params = new URLSearchParams();
  if (view === 'deleted') params.set('view', 'deleted');
  if (search) params.set('search', search);
  for (const f of filters) params.append('filterBy', `${f.column}${f.op}${f.value}`);
  params.set('sortBy', sort.by);
  params.set('sortOrder', sort.order);
  return params.toString();
}

export function WorkloadTable({ view, onDetails, onNew, onCopy, onNotice }) {
  const [searchText, setSearchText] = useState('');
  const search = useDebounced(searchText.trim(), 250);
  const [filters, setFilters] = useState([]);
  const [sort, setSort] = useState({ by: view === 'deleted' ? 'deletedAt' : 'createdAt', order: 'desc' });
  const [columns, setColumns] = useState(storedColumns);
  const query = useMemo(() => queryString({ view, search, filters, sort }), [view, search, filters, sort]);

  // `query` is the query the rows and version were listed for: a watch resumes only from its own list.
  const [list, setList] = useState({ rows: [], total: 0, next: null, version: null, query: null, loaded: false });
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null); // uid
  const [listDialog, setListDialog] = useState(null); // {row, list}
  const generation = useRef(0);
  const loading = useRef(false);
  const frame = useRef(null);

  /** Lists again; `keep` lists as many rows as are loaded now, so a refresh moves nothing. */
  const load = useCallback(async keep => {
    const mine = ++generation.current;
    loading.current = true;
    try {
      const limit = keep ? Math.min(MAX_LIMIT, Math.max(PAGE, list.rows.length)) : PAGE;
      const answer = await getJson(`/api/v1/workloads?${query}&limit=${limit}`);
      if (mine !== generation.current) return;
      setList({ rows: answer.items, total: answer.total, next: answer.metadata.continue || null,
        version: answer.metadata.resourceVersion, query, loaded: true });
      setError(null);
    } catch (e) {
      if (mine === generation.current) setError(e);
    } finally {
      if (mine === generation.current) loading.current = false;
    }
  }, [query, list.rows.length]);

  const loadMore = useCallback(async wanted => {
    if (loading.current || !list.next) return;
    const mine = generation.current;
    loading.current = true;
    try {
      const limit = Math.min(MAX_LIMIT, Math.max(PAGE * 2, wanted));
      const answer = await getJson(`/api/v1/workloads?${query}&limit=${limit}&continue=${encodeURIComponent(list.next)}`);
      if (mine !== generation.current) return;
      setList(now => ({ ...now, rows: now.rows.concat(answer.items), total: answer.total,
        next: answer.metadata.continue || null }));
    } catch (e) {
      if (mine === generation.current) setError(e);
    } finally {
      if (mine === generation.current) loading.current = false;
    }
  }, [query, list.next]);

  useEffect(() => {
    frame.current && (frame.current.scrollTop = 0);
    load(false);
  }, [query]);

  // Live changes: a changed row is replaced where it stands; a row added or removed lists again
  // (the server knows where it sorts), at most every half second.
  const reloadSoon = useRef(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  // The Deleted view has no stream of its own: it lists again when the live one says a workload went.
  const loadedUids = useRef(new Set());
  loadedUids.current = new Set(list.rows.map(r => r.uid));
  useEffect(() => {
    // Not from the last query's version with a new query's filters: the changes since then would
    // arrive as DELETED for rows the new list holds (they did not pass the filters then), and the
    // list that follows would cancel the reload meant to bring them back.
    if (!list.version || list.query !== query) return undefined;
    const abort = new AbortController();
    const later = () => {
      clearTimeout(reloadSoon.current);
      reloadSoon.current = setTimeout(() => loadRef.current(true), 500);
    };
    const params = new URLSearchParams(view === 'live' ? query : '');
    params.delete('sortBy');
    params.delete('sortOrder');
    params.set('watch', 'true');
    if (view === 'live') params.set('resourceVersion', list.version);
    readEvents(`/api/v1/workloads?${params}`, abort.signal, event => {
      const row = event.data.object;
      if (view !== 'live') {
        if (event.type === 'DELETED') later();
      } else if (event.type === 'MODIFIED' && loadedUids.current.has(row.uid)) {
        setList(now => ({ ...now, rows: now.rows.map(r => (r.uid === row.uid ? row : r)) }));
      } else if (event.type === 'DELETED' && loadedUids.current.has(row.uid)) {
        // Gone, or no longer passing the filters: out at once, and the page refilled.
        setList(now => ({ ...now, rows: now.rows.filter(r => r.uid !== row.uid), total: Math.max(0, now.total - 1) }));
        later();
      } else if (event.type !== 'DELETED') {
        later(); // added, an error, or a row that now passes the filters: only the server knows where it sorts
      }
    }).then(() => !abort.signal.aborted && later(), e => {
      if (abort.signal.aborted) return;
      if (e instanceof ApiError && e.code !== 0) setError(e);
      setTimeout(() => !abort.signal.aborted && loadRef.current(true), 3000);
    });
    return () => {
      abort.abort();
      clearTimeout(reloadSoon.current);
    };
  }, [view, query, list.version, list.query]);

  const rows = list.rows;
  const selectedRow = rows.find(r => r.uid === selected) || null;
  const shown = columns.map(key => BY_KEY[key]).filter(Boolean);
  const openList = view === 'live' ? (row, which) => setListDialog({ row, list: which }) : null;

  const sortBy = key => setSort(now => (now.by === key
    ? { by: key, order: now.order === 'asc' ? 'desc' : 'asc' }
    : { by: key, order: key.endsWith('At') ? 'desc' : 'asc' }));

  const csv = () => download(`/api/v1/workloads?${query}&format=csv&limit=${MAX_LIMIT}&columns=${csvColumns(columns).join(',')}`,
    view === 'deleted' ? 'deleted-workloads.csv' : 'workloads.csv', 'text/csv').catch(setError);

  return html`
    <div class="toolbar">
      <input class="search" type="search" placeholder="Search" aria-label="Search workloads" data-test="search"
        value=${searchText} onInput=${e => setSearchText(e.target.value)} />
      <${AddFilter} onAdd=${f => setFilters(now => now.concat([f]))} />
      <${ColumnPicker} columns=${columns} onChange=${keys => { setColumns(keys); storeColumns(keys); }} />
      <span class="spacer"></span>
      <span class="total" data-test="total" aria-live="polite">${list.loaded ? `${list.total} workloads` : 'Loading…'}</span>
      <button type="button" onClick=${() => load(true)} data-test="refresh">Refresh</button>
      <button type="button" onClick=${csv} data-test="csv">Download CSV</button>
      ${view === 'live' && html`<button type="button" class="primary" onClick=${onNew} data-test="new">New workload</button>`}
    </div>
    ${filters.length > 0 && html`<div class="chips" aria-label="Filters">
      ${filters.map((f, i) => html`<span class="chip" data-test="chip">
        ${(FILTER_COLUMNS.find(c => c.key === f.column) || { label: f.column }).label}
        ${' '}${(operatorsOf(BY_KEY[f.column] || FILTER_COLUMNS.find(c => c.key === f.column)).find(o => o[0] === f.op) || [f.op, f.op])[1]}
        ${' '}<strong>${f.value}</strong>
        <button type="button" aria-label=${`Remove filter ${f.column} ${f.op} ${f.value}`}
          onClick=${() => setFilters(now => now.filter((_, j) => j !== i))}>×</button>
      </span>`)}
      <button type="button" class="link" onClick=${() => setFilters([])}>Clear filters</button>
    </div>`}
    <${ActionBar} row=${selectedRow} view=${view} onDetails=${onDetails} onCopy=${onCopy} onNotice=${onNotice}
      onError=${setError} />
    <${ErrorBanner} error=${error} />
    <${Grid} frame=${frame} rows=${rows} total=${list.total} shown=${shown} sort=${sort} onSort=${sortBy}
      selected=${selected} onSelect=${setSelected} onOpen=${onDetails} onNeed=${loadMore} openList=${openList}
      loaded=${list.loaded} />
    ${listDialog && html`<${CountDialog} ...${listDialog} onClose=${() => setListDialog(null)} />`}`;
}

/** The rows, rendered only where the viewport is; the scrollbar spans every matching row. */
function Grid({ frame, rows, total, shown, sort, onSort, selected, onSelect, onOpen, onNeed, openList, loaded }) {
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useLayoutEffect(() => {
    const element = frame.current;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const lastWanted = Math.min(total, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const last = Math.min(rows.length, lastWanted);
  useEffect(() => {
    if (lastWanted > rows.length - OVERSCAN && rows.length < total) onNeed(lastWanted - rows.length + PAGE);
  }, [lastWanted, rows.length, total]);

  const index = rows.findIndex(r => r.uid === selected);
  const move = step => {
    const next = Math.max(0, Math.min(rows.length - 1, (index < 0 ? -1 : index) + step));
    if (!rows[next]) return;
    onSelect(rows[next].uid);
    const top = next * ROW_HEIGHT, element = frame.current;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + 2 * ROW_HEIGHT > element.scrollTop + element.clientHeight) element.scrollTop = top + 2 * ROW_HEIGHT - element.clientHeight;
  };
  const keys = e => {
    if (e.target !== e.currentTarget) return;
    if (e.key === 'ArrowDown') { e.preventDefault(); move(1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
    else if (e.key === 'Enter' && index >= 0) onOpen(rows[index]);
  };
  const width = shown.reduce((sum, c) => sum + c.width, 0);

  return html`<div class="table-frame" ref=${frame} tabindex="0" aria-label="Workloads; arrow keys select, Enter opens details"
      onScroll=${e => setScrollTop(e.currentTarget.scrollTop)} onKeyDown=${keys}>
    <table class="grid" style=${`width:${width}px`} role="grid" aria-rowcount=${total}>
      <colgroup>${shown.map(c => html`<col style=${`width:${c.width}px`} />`)}</colgroup>
      <thead><tr>${shown.map(c => html`<th scope="col" aria-sort=${sort.by === c.key ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" data-column=${c.key} onClick=${() => onSort(c.key)} title=${`${c.title || c.label}: sort`}>${c.label}${sort.by === c.key
          && html`<span class="arrow" aria-hidden="true">${sort.order === 'asc' ? '▲' : '▼'}</span>`}</button>
      </th>`)}</tr></thead>
      <tbody>
        ${first > 0 && html`<tr class="spacer"><td colspan=${shown.length} style=${`height:${first * ROW_HEIGHT}px`}></td></tr>`}
        ${rows.slice(first, last).map((row, i) => html`<tr key=${row.uid} data-uid=${row.uid} data-name=${row.name}
            aria-rowindex=${first + i + 1} aria-selected=${row.uid === selected}
            onClick=${() => onSelect(row.uid)} onDblClick=${() => onOpen(row)}>
          ${shown.map(c => html`<td data-column=${c.key}>${cell(c, row, openList)}</td>`)}
        </tr>`)}
        ${total > last && html`<tr class="spacer"><td colspan=${shown.length} style=${`height:${(total - last) * ROW_HEIGHT}px`}></td></tr>`}
      </tbody>
    </table>
    ${loaded && total === 0 && html`<div class="empty-table">No workloads match. Clear the search and filters, or create one.</div>`}
  </div>`;
}

function AddFilter({ onAdd }) {
  const [column, setColumn] = useState('project');
  const [op, setOp] = useState('==');
  const [value, setValue] = useState('');
  const chosen = FILTER_COLUMNS.find(c => c.key === column);
  const operators = operatorsOf(chosen);
  const problem = value.includes(',') ? 'a value cannot hold a comma' : '';
  return html`<${Popover} label="Add filter" testId="add-filter">${close => html`
    <form onSubmit=${e => {
      e.preventDefault();
      if (!value.trim() || problem) return;
      onAdd({ column, op, value: value.trim() });
      setValue('');
      close();
    }} style="display:flex;flex-direction:column;gap:8px">
      <label>Column <select data-test="filter-column" value=${column} onChange=${e => {
        setColumn(e.target.value);
        const next = operatorsOf(FILTER_COLUMNS.find(c => c.key === e.target.value));
        if (!next.some(o => o[0] === op)) setOp(next[0][0]);
      }}>${FILTER_COLUMNS.map(c => html`<option value=${c.key}>${c.label}</option>`)}</select></label>
      <label>Operator <select data-test="filter-operator" value=${op} onChange=${e => setOp(e.target.value)}>
        ${operators.map(([symbol, words]) => html`<option value=${symbol}>${words}</option>`)}</select></label>
      <label>Value <input data-test="filter-value" value=${value} placeholder=${placeholderOf(chosen)}
        onInput=${e => setValue(e.target.value)} /></label>
      ${problem && html`<span class="field-error">${problem}</span>`}
      <button type="submit" class="primary" data-test="filter-add" disabled=${!value.trim() || problem}>Add</button>
    </form>`}<//>`;
}

function ColumnPicker({ columns, onChange }) {
  const toggle = key => {
    const next = columns.includes(key) ? columns.filter(k => k !== key) : COLUMNS.map(c => c.key)
      .filter(k => k === key || columns.includes(k));
    if (next.length) onChange(next);
  };
  return html`<${Popover} label="Columns" testId="columns">${() => html`
    <div class="columns" role="group" aria-label="Columns shown">
      ${COLUMNS.map(c => html`<label><input type="checkbox" data-column=${c.key} checked=${columns.includes(c.key)}
        disabled=${columns.length === 1 && columns.includes(c.key)} onChange=${() => toggle(c.key)} />${c.label}</label>`)}
    </div>`}<//>`;
}

const FINISHED = { Stopped: 'it is stopped', Completed: 'it has completed', Failed: 'it has failed', Deleting: 'it is being deleted' };

/** The action bar's actions on the workload itself, by the names rows and details give them. */
const LIFECYCLE = [['Stop', 'stop'], ['Run', 'run'], ['Delete', 'delete'], ['Copy & edit', 'copy']];

/**
 * Why the row's kind does not support an action (the row's `actions` leaves it out: an external
 * workload, run by its owner's controller), in the API's words once the details say them; null
 * when it does.
 */
function unsupported(row, name, details) {
  if (!row.actions || row.actions.includes(name)) return null;
  const said = details?.actions?.[name];
  if (said && !said.allowed && said.reason) return said.reason;
  return `${runBy(row)}, not by Tessera`;
}

const runBy = row => (row.ownerKind ? `run by ${row.ownerKind} ${row.ownerName}'s own controller` : "run by its owner's controller");

/**
 * What the selected row allows: each action disabled with the reason when its kind does not
 * support it, the role forbids it, or its state does.
 */
function ActionBar({ row, view, onDetails, onCopy, onNotice, onError }) {
  const [details, setDetails] = useState(null);
  const [confirm, setConfirm] = useState(false);
  const uid = row?.uid;
  useEffect(() => {
    setDetails(null);
    if (!row || view !== 'live') return undefined;
    const abort = new AbortController();
    getJson(workloadPath(row), { signal: abort.signal }).then(setDetails, e => e.name !== 'AbortError' && onError(e));
    return () => abort.abort();
  }, [uid]);
  if (!row) return html`<div class="action-bar empty" data-test="actions">Select a workload to act on it.</div>`;
  if (view !== 'live') {
    return html`<div class="action-bar" data-test="actions"><span class="what">${row.name}</span>
      <button type="button" onClick=${() => onDetails(row)}>Show details</button></div>`;
  }
  const allowed = name => details?.actions?.[name] || { allowed: false, reason: 'checking what you may do…' };
  // What the kind does not support is known from the row at once, and said before the role or the state.
  const gate = (name, stateReason) => {
    const notHere = unsupported(row, name, details);
    if (notHere) return { why: notHere, always: true };
    const permission = allowed(name);
    if (!permission.allowed) return { why: permission.reason || `your role does not allow ${name}` };
    return { why: stateReason || '' };
  };
  const act = async (verb, done) => {
    try {
      if (verb === 'delete') await deleteJson(workloadPath(row));
      else await postJson(`${workloadPath(row)}/${verb}`, {});
      onNotice(`${row.name}: ${done}`);
    } catch (e) {
      onError(e);
    }
  };
  const stopWhy = gate('stop', FINISHED[row.status]);
  const runWhy = gate('run', row.status === 'Stopped' ? '' : 'it is not stopped');
  const deleteWhy = gate('delete', row.status === 'Deleting' ? 'it is being deleted' : '');
  const copyWhy = gate('copy', '');
  const connections = details?.connections || [];
  const connectWhy = !details ? 'checking its connections…' : connections.length === 0 ? 'it has no connections'
    : connections.every(c => !c.address) ? 'its connections have no address yet' : '';
  // What the kind does not support or the role forbids, said once in the bar too: a disabled
  // button's tooltip is out of reach of the keyboard.
  const notSupported = LIFECYCLE.filter(([, name]) => unsupported(row, name, details));
  const notSupportedText = notSupported.length === 0 ? ''
    : `${notSupported.map(([label]) => label).join(', ')}: not here, ${runBy(row)}; act on the ${row.ownerKind || 'owner'} instead`;
  const denied = LIFECYCLE.filter(([, name]) => details && !unsupported(row, name, details) && !allowed(name).allowed);
  const deniedText = denied.length === 0 ? '' : `${denied.map(([label]) => label).join(', ')}: ${
    [...new Set(denied.map(([, name]) => allowed(name).reason || `your role does not allow ${name}`))].join('; ')}`;
  // A refusal of the kind is for good ("Stop: ExternalWorkload … is run by …"); the role's or the
  // state's is for now.
  const button = (label, { why, always }, onClick, extra = '') => html`<button type="button" class=${extra} disabled=${!!why}
      title=${!why ? label : always ? `${label}: ${why}` : `${label}: not now, because ${why}`}
      data-action=${label} data-unsupported=${always ? 'true' : undefined} onClick=${onClick}>${label}</button>`;
  return html`<div class="action-bar" data-test="actions" role="toolbar" aria-label=${`Actions on ${row.name}`}>
    <span class="what">${row.name}</span>
    ${button('Stop', stopWhy, () => act('stop', 'stopping'))}
    ${button('Run', runWhy, () => act('run', 'running again'))}
    ${button('Delete', deleteWhy, () => setConfirm(true), 'danger')}
    <${Popover} label="Connect ▾" disabled=${!!connectWhy} title=${connectWhy ? `Connect: not now, because ${connectWhy}` : 'Connect'}
      testId="connect">${close => html`<div class="menu">
      ${connections.filter(c => c.address).map(c => html`<button type="button" onClick=${() => {
        window.open(href(c.address), '_blank', 'noopener');
        close();
      }}>${c.name} <span class="muted">${c.type} · ${c.address}</span></button>`)}</div>`}<//>
    ${button('Copy & edit', copyWhy, async () => {
      try { onCopy(await getJson(`${workloadPath(row)}/template`)); } catch (e) { onError(e); }
    })}
    ${button('Show details', { why: '' }, () => onDetails(row))}
    ${notSupported.length > 0 && html`<span class="denied muted" data-test="unsupported"
      title=${unsupported(row, 'stop', details) || notSupportedText}>${notSupportedText}</span>`}
    ${denied.length > 0 && html`<span class="denied muted" data-test="denied" title=${deniedText}>${deniedText}</span>`}
    ${confirm && html`<${Dialog} title=${`Delete ${row.name}?`} onClose=${() => setConfirm(false)}>
      <p>Its pods stop and the workload goes. Its last status and history stay in the Deleted view.</p>
      <div class="buttons">
        <button type="button" onClick=${() => setConfirm(false)}>Cancel</button>
        <button type="button" class="danger primary" data-test="confirm-delete"
          onClick=${() => { setConfirm(false); act('delete', 'deleting'); }}>Delete</button>
      </div><//>`}
  </div>`;
}

/** A connection's address as a link: a bare host:port is opened over http. */
// Only http(s) is opened: another scheme's address (javascript:, file:) becomes an http one.
const href = address => (/^https?:\/\//i.test(address) ? address : `http://${address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')}`);

/** The pods, connections or data sources a count stands for. */
function CountDialog({ row, list, onClose }) {
  const [details, setDetails] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { getJson(workloadPath(row)).then(setDetails, setError); }, []);
  const title = `${list[0].toUpperCase()}${list.slice(1)} of ${row.name}`;
  let body = html`<p class="muted">Loading…</p>`;
  if (details && list === 'pods') {
    body = details.pods.length === 0 ? html`<p class="muted">No pods now.</p>` : html`<table data-test="pods">
      <thead><tr><th>Pod</th><th>Status</th><th>Node</th><th>Node pool</th><th>Image</th><th>GPU allocation</th></tr></thead>
      <tbody>${details.pods.map(p => html`<tr><td>${p.name}</td><td>${p.status}</td><td>${p.node || '—'}</td>
        <td>${(p.nodePools || []).join(', ') || '—'}</td><td>${p.image}</td>
        <td>${formatNumber(p.gpuComputeAllocation)} GPU${p.gpuMemoryAllocation ? ` · ${formatBytes(p.gpuMemoryAllocation)}` : ''}${
          p.gpus?.length ? ` (GPU ${p.gpus.join(', ')})` : ''}</td></tr>`)}</tbody></table>`;
  } else if (details && list === 'connections') {
    body = details.connections.length === 0 ? html`<p class="muted">No connections.</p>` : html`<table data-test="connections">
      <thead><tr><th>Name</th><th>Type</th><th>Access</th><th>Address</th></tr></thead>
      <tbody>${details.connections.map(c => html`<tr><td>${c.name}</td><td>${c.type}</td><td>${c.access}</td>
        <td>${c.address ? html`<code>${c.address}</code> <${CopyButton} text=${c.address} />` : html`<span class="muted">not yet</span>`}</td>
      </tr>`)}</tbody></table>`;
  } else if (details) {
    body = details.dataSources.length === 0 ? html`<p class="muted">No data sources.</p>` : html`<table data-test="data-sources">
      <thead><tr><th>Name</th><th>Type</th><th>Claim</th><th>Mounted at</th><th>Read-only</th></tr></thead>
      <tbody>${details.dataSources.map(d => html`<tr><td>${d.name}</td><td>${d.type}</td><td>${d.claimName}</td>
        <td>${d.mountPath}</td><td>${d.readOnly ? 'yes' : 'no'}</td></tr>`)}</tbody></table>`;
  }
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <${ErrorBanner} error=${error} />${body}
    <div class="buttons"><button type="button" onClick=${onClose}>Close</button></div><//>`;
}

function CopyButton({ text }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      // Pages served over plain http off localhost have no clipboard API: copy through a selection.
      const area = Object.assign(document.createElement('textarea'), { value: text });
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return html`<button type="button" class="icon-button" onClick=${copy} aria-label=${`Copy ${text}`}>${copied ? 'Copied' : 'Copy'}</button>`;
}
