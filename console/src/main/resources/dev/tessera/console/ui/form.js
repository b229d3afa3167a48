// The New workload form: one for each of the four kinds, prefilled with the workload policies'
// defaults for the chosen project, checked as you type by a dry run (the same admission a real
// submission meets), with each violation shown on the field it concerns.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, getJson, postJson } from './api.js';
import { ErrorBanner, html, useDebounced } from './widgets.js';

const KINDS = [
  ['workspaces', 'Workspace', 'Workspace — an interactive environment (Jupyter, an IDE)'],
  ['trainings', 'Training', 'Training — a batch job on one pod'],
  ['distributedtrainings', 'DistributedTraining', 'Distributed training — a gang of pods (PyTorch, TensorFlow, MPI)'],
  ['inferences', 'Inference', 'Inference — a served model with replicas'],
];
const PLURAL_OF = Object.fromEntries(KINDS.map(([plural, kind]) => [kind, plural]));
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const EMPTY = {
  name: '', image: '', command: '', args: '', env: [], gpuMode: 'none', gpuCount: '', gpuFraction: '', gpuMemoryMiB: '',
  gpuDevices: '', gpuLimit: '', cpu: '', cpuLimit: '', memory: '', memoryLimit: '', nodePools: [], connections: [],
  dataSources: [], preemptible: '', framework: 'pytorch', workers: '', minWorkers: '', maxWorkers: '', minReplicas: '',
  maxReplicas: '', autoscalingMetric: '', autoscalingTarget: '',
};

/** Splits a command line as a shell would for plain words and quoted strings. */
function words(line) {
  const out = [];
  const pattern = /"((?:\\.|[^"])*)"|'([^']*)'|(\S+)/g;
  let m;
  while ((m = pattern.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] ?? m[3]);
  return out;
}
const quote = word => (/^[\w@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, '\\$1')}"`);

/** The form's fields from a spec (a policy's defaults, or a workload copied). */
function fromSpec(spec = {}, name = '') {
  const gpu = spec.gpu || {};
  const gpuMode = gpu.count != null ? 'whole' : gpu.fraction != null ? 'fraction' : gpu.memoryMiB != null ? 'memory' : 'none';
  const str = v => (v == null ? '' : String(v));
  return {
    ...EMPTY,
    name,
    image: str(spec.image),
    command: (spec.command || []).map(quote).join(' '),
    args: (spec.args || []).join('\n'),
    env: Object.entries(spec.env || {}).map(([k, v]) => ({ name: k, value: v })),
    gpuMode,
    gpuCount: str(gpu.count), gpuFraction: str(gpu.fraction), gpuMemoryMiB: str(gpu.memoryMiB), gpuDevices: str(gpu.devices),
    gpuLimit: str(gpuMode === 'memory' ? gpu.memoryLimitMiB : gpu.fractionLimit),
    cpu: str(spec.cpu), cpuLimit: str(spec.cpuLimit), memory: str(spec.memory), memoryLimit: str(spec.memoryLimit),
    nodePools: spec.nodePools || [],
    connections: (spec.connections || []).map(c => ({ name: str(c.name), port: str(c.port), exposure: c.exposure || 'ClusterIP' })),
    dataSources: (spec.dataSources || []).map(d => ({ name: str(d.name), claimName: str(d.claimName), mountPath: str(d.mountPath),
      readOnly: !!d.readOnly })),
    preemptible: spec.preemptible == null ? '' : String(spec.preemptible),
    framework: spec.framework || 'pytorch', workers: str(spec.workers), minWorkers: str(spec.minWorkers), maxWorkers: str(spec.maxWorkers),
    minReplicas: str(spec.minReplicas), maxReplicas: str(spec.maxReplicas),
    autoscalingMetric: spec.autoscaling?.metric || '', autoscalingTarget: str(spec.autoscaling?.target),
  };
}

/** The spec the form says, with only what was filled in: what is left out, the policies fill. */
function toSpec(f, plural) {
  const spec = {};
  const num = v => (v === '' ? undefined : Number(v));
  const set = (key, value) => {
    if (value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)) spec[key] = value;
  };
  set('image', f.image.trim());
  set('command', words(f.command));
  set('args', f.args.split('\n').map(a => a.trim()).filter(Boolean));
  if (f.env.some(e => e.name.trim())) spec.env = Object.fromEntries(f.env.filter(e => e.name.trim()).map(e => [e.name.trim(), e.value]));
  const gpu = {};
  if (f.gpuMode === 'whole') gpu.count = num(f.gpuCount);
  if (f.gpuMode === 'fraction') Object.assign(gpu, { fraction: num(f.gpuFraction), fractionLimit: num(f.gpuLimit) });
  if (f.gpuMode === 'memory') Object.assign(gpu, { memoryMiB: num(f.gpuMemoryMiB), memoryLimitMiB: num(f.gpuLimit) });
  if (f.gpuMode === 'fraction' || f.gpuMode === 'memory') gpu.devices = num(f.gpuDevices);
  Object.keys(gpu).forEach(k => gpu[k] === undefined && delete gpu[k]);
  if (Object.keys(gpu).length) spec.gpu = gpu;
  for (const key of ['cpu', 'cpuLimit', 'memory', 'memoryLimit']) set(key, f[key].trim());
  set('nodePools', f.nodePools);
  set('connections', f.connections.filter(c => c.name || c.port).map(c => ({ name: c.name, port: num(c.port), exposure: c.exposure })));
  set('dataSources', f.dataSources.filter(d => d.name || d.claimName)
    .map(d => ({ name: d.name, claimName: d.claimName, mountPath: d.mountPath, readOnly: d.readOnly })));
  if (f.preemptible) spec.preemptible = f.preemptible === 'true';
  if (plural === 'distributedtrainings') {
    set('framework', f.framework);
    for (const key of ['workers', 'minWorkers', 'maxWorkers']) set(key, num(f[key]));
  }
  if (plural === 'inferences') {
    for (const key of ['minReplicas', 'maxReplicas']) set(key, num(f[key]));
    if (f.autoscalingMetric) spec.autoscaling = { metric: f.autoscalingMetric, target: num(f.autoscalingTarget) };
  }
  return spec;
}

/** The causes of a refusal, by the form field they concern; the rest are shown above the buttons. */
function byField(error) {
  const fields = {};
  const general = [];
  for (const cause of error?.causes || []) {
    const field = (cause.field || '').replace(/^spec\.gpu\..*/, 'spec.gpu').replace(/\[\d+\].*$/, '');
    if (field) (fields[field] = fields[field] || []).push(cause.message);
    else general.push(cause.message);
  }
  if (error && !error.causes?.length) general.push(error.message);
  return { fields, general };
}

function Field({ label, path, problems, hint, wide, children }) {
  const mine = problems[path];
  return html`<label class=${`field${wide ? ' wide' : ''}${mine ? ' invalid' : ''}`} data-field=${path}>
    <span class="label">${label}</span>${children}
    ${hint && html`<span class="hint">${hint}</span>`}
    ${mine && mine.map(m => html`<span class="field-error" role="alert">${m}</span>`)}
  </label>`;
}

export function WorkloadForm({ template, onCancel, onSubmitted }) {
  const [projects, setProjects] = useState(null);
  const [plural, setPlural] = useState(template ? PLURAL_OF[template.kind] || 'trainings' : 'trainings');
  const [projectName, setProjectName] = useState('');
  const [form, setForm] = useState(() => (template ? fromSpec(template.spec, template.metadata?.name || '') : EMPTY));
  const [policy, setPolicy] = useState(null);
  // The dry run's refusal; null when it passes; undefined while it is asked.
  const [check, setCheck] = useState(undefined);
  const [submitError, setSubmitError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState(null);

  useEffect(() => {
    getJson('/api/v1/projects').then(answer => {
      const usable = answer.items.filter(p => Object.values(p.canSubmit || {}).some(Boolean));
      setProjects(usable);
      const wanted = template && usable.find(p => p.namespace === template.metadata?.namespace);
      setProjectName((wanted || usable[0])?.name || '');
    }, setLoadError);
  }, []);
  const project = projects?.find(p => p.name === projectName);

  // The policies' defaults for this kind in this project fill the form, unless it is a copy.
  useEffect(() => {
    if (!project) return;
    getJson(`/api/v1/namespaces/${encodeURIComponent(project.namespace)}/effectivepolicies/${plural}`).then(answer => {
      setPolicy(answer);
      if (!template) setForm(now => ({ ...fromSpec(answer.defaults || {}, now.name) }));
    }, e => { setPolicy(null); setLoadError(e); });
  }, [projectName, plural, projects]);

  const set = (key, value) => setForm(now => ({ ...now, [key]: value }));
  const body = useMemo(() => ({ metadata: { name: form.name.trim() }, spec: toSpec(form, plural) }), [form, plural]);
  const nameProblem = !form.name.trim() ? 'a name is required'
    : !NAME.test(form.name.trim()) || form.name.length > 63
      ? 'lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63' : '';

  // Checked as you type: the same request with dryRun=All goes through RBAC, validation and the
  // admission webhook, and nothing is created.
  const settled = useDebounced(JSON.stringify(body), 500);
  // A refusal from submitting stands until the form changes; then the live check takes over.
  useEffect(() => setSubmitError(null), [settled]);
  useEffect(() => {
    if (!project) return undefined;
    const abort = new AbortController();
    const draft = JSON.parse(settled);
    setCheck(undefined);
    if (!draft.metadata.name || nameProblem) draft.metadata.name = 'draft-being-checked';
    postJson(`/api/v1/namespaces/${encodeURIComponent(project.namespace)}/${plural}?dryRun=All`, draft, { signal: abort.signal })
      .then(() => setCheck(null), e => e.name !== 'AbortError' && setCheck(e));
    return () => abort.abort();
  }, [settled, projectName, plural]);

  const submit = async e => {
    e.preventDefault();
    if (nameProblem) {
      setSubmitError(new ApiError(422, { message: `name: ${nameProblem}`, details: { causes: [{ field: 'metadata.name', message: nameProblem }] } }));
      return;
    }
    setBusy(true);
    try {
      await postJson(`/api/v1/namespaces/${encodeURIComponent(project.namespace)}/${plural}`, body);
      onSubmitted(`${body.metadata.name} submitted to ${project.name}`);
    } catch (error) {
      setSubmitError(error);
    } finally {
      setBusy(false);
    }
  };

  const problems = byField(submitError || check || null);
  if (nameProblem && form.name) problems.fields['metadata.name'] = [nameProblem];
  const constraints = policy?.constraints || {};
  const from = policy?.policies?.length ? ` (policy ${policy.policies.join(', ')})` : '';
  const canSubmitHere = project?.canSubmit?.[plural];
  const pools = project?.nodePools || [];
  const update = (key, i, patch) => set(key, form[key].map((item, j) => (j === i ? { ...item, ...patch } : item)));

  if (loadError && !projects) return html`<div class="form-page"><${ErrorBanner} error=${loadError} /></div>`;
  if (projects && projects.length === 0) {
    return html`<div class="form-page"><p class="banner">You may not submit workloads to any project. Ask a project's admin for the researcher role.</p>
      <button type="button" onClick=${onCancel}>Back</button></div>`;
  }
  return html`<div class="form-page"><h2>${template ? `Copy of ${template.metadata?.name?.replace(/-copy$/, '')}` : 'New workload'}</h2>
  <form class="workload" onSubmit=${submit} novalidate data-test="workload-form">
    <fieldset><legend>Workload</legend>
      <${Field} label="Kind" path="kind" problems=${problems.fields}>
        <select value=${plural} name="kind" onChange=${e => setPlural(e.target.value)}>
          ${KINDS.map(([p, , words]) => html`<option value=${p}>${words}</option>`)}</select><//>
      <${Field} label="Project" path="project" problems=${problems.fields}
        hint=${project && !canSubmitHere ? 'your role may not submit this kind here' : project ? `namespace ${project.namespace}` : ''}>
        <select value=${projectName} name="project" onChange=${e => setProjectName(e.target.value)}>
          ${(projects || []).map(p => html`<option value=${p.name}>${p.name}</option>`)}</select><//>
      <${Field} label="Name" path="metadata.name" problems=${problems.fields}>
        <input name="name" value=${form.name} onInput=${e => set('name', e.target.value)} placeholder="e.g. resnet-sweep-3" required /><//>
    </fieldset>
    <fieldset><legend>Container</legend>
      <${Field} label="Image" path="spec.image" problems=${problems.fields} wide
        hint=${constraints.allowedImages ? `allowed: ${constraints.allowedImages.join(', ')}${from}` : ''}>
        <input name="image" value=${form.image} onInput=${e => set('image', e.target.value)} placeholder="e.g. nvcr.io/nvidia/pytorch:24.05-py3" /><//>
      <${Field} label="Command" path="spec.command" problems=${problems.fields} wide hint="leave empty for the image's own">
        <input name="command" value=${form.command} onInput=${e => set('command', e.target.value)} placeholder='e.g. python train.py' /><//>
      <${Field} label="Arguments, one per line" path="spec.args" problems=${problems.fields} wide>
        <textarea name="args" rows="2" value=${form.args} onInput=${e => set('args', e.target.value)}></textarea><//>
      <div class="field wide" data-field="spec.env"><span class="label">Environment</span>
        <div class="rows">${form.env.map((v, i) => html`<div class="row">
          <input aria-label="Variable name" placeholder="NAME" value=${v.name} onInput=${e => update('env', i, { name: e.target.value })} />
          <input aria-label="Variable value" placeholder="value" value=${v.value} onInput=${e => update('env', i, { value: e.target.value })} />
          <button type="button" aria-label="Remove variable" onClick=${() => set('env', form.env.filter((_, j) => j !== i))}>×</button></div>`)}
          <div><button type="button" onClick=${() => set('env', form.env.concat([{ name: '', value: '' }]))}>Add variable</button></div></div>
        ${problems.fields['spec.env']?.map(m => html`<span class="field-error" role="alert">${m}</span>`)}
      </div>
    </fieldset>
    <fieldset><legend>Resources per pod</legend>
      <${Field} label="GPUs" path="spec.gpu" problems=${problems.fields} wide hint=${[
        constraints.maxGpus != null && `at most ${constraints.maxGpus} GPUs`,
        constraints.fractionOnly && 'fractions only',
        constraints.maxGpuFraction != null && `fractions up to ${constraints.maxGpuFraction}`,
        constraints.maxGpuMemoryMiB != null && `GPU memory up to ${constraints.maxGpuMemoryMiB} MiB`,
      ].filter(Boolean).join(', ') + (constraints.maxGpus != null || constraints.fractionOnly ? from : '')}>
        <div class="row" role="radiogroup" aria-label="GPU request">
          ${[['none', 'None'], ['whole', 'Whole GPUs'], ['fraction', 'A fraction'], ['memory', 'GPU memory']].map(([v, l]) =>
            html`<label><input type="radio" name="gpuMode" value=${v} checked=${form.gpuMode === v} onChange=${() => set('gpuMode', v)} /> ${l}</label>`)}
        </div><//>
      ${form.gpuMode === 'whole' && html`<${Field} label="GPU count" path="spec.gpu.count" problems=${{}}>
        <input name="gpuCount" type="number" min="1" step="1" value=${form.gpuCount} onInput=${e => set('gpuCount', e.target.value)} /><//>`}
      ${form.gpuMode === 'fraction' && html`<${Field} label="Fraction of a GPU (0–1)" path="spec.gpu.fraction" problems=${{}}>
        <input name="gpuFraction" type="number" min="0.05" max="1" step="0.05" value=${form.gpuFraction} onInput=${e => set('gpuFraction', e.target.value)} /><//>`}
      ${form.gpuMode === 'memory' && html`<${Field} label="GPU memory (MiB)" path="spec.gpu.memoryMiB" problems=${{}}>
        <input name="gpuMemoryMiB" type="number" min="1" value=${form.gpuMemoryMiB} onInput=${e => set('gpuMemoryMiB', e.target.value)} /><//>`}
      ${(form.gpuMode === 'fraction' || form.gpuMode === 'memory') && html`
        <${Field} label="On how many GPUs" path="spec.gpu.devices" problems=${{}}>
          <input name="gpuDevices" type="number" min="1" placeholder="1" value=${form.gpuDevices} onInput=${e => set('gpuDevices', e.target.value)} /><//>
        <${Field} label=${form.gpuMode === 'memory' ? 'Limit (MiB, optional)' : 'Limit (fraction, optional)'} path="spec.gpu.limit" problems=${{}}
          hint="up to this when the GPU has room">
          <input name="gpuLimit" type="number" value=${form.gpuLimit} onInput=${e => set('gpuLimit', e.target.value)} /><//>`}
      <${Field} label="CPU request (cores)" path="spec.cpu" problems=${problems.fields} hint=${constraints.maxCpu ? `at most ${constraints.maxCpu}` : 'e.g. 4 or 500m'}>
        <input name="cpu" value=${form.cpu} onInput=${e => set('cpu', e.target.value)} /><//>
      <${Field} label="CPU limit" path="spec.cpuLimit" problems=${problems.fields}>
        <input name="cpuLimit" value=${form.cpuLimit} onInput=${e => set('cpuLimit', e.target.value)} /><//>
      <${Field} label="Memory request" path="spec.memory" problems=${problems.fields} hint=${constraints.maxMemory ? `at most ${constraints.maxMemory}` : 'e.g. 16Gi'}>
        <input name="memory" value=${form.memory} onInput=${e => set('memory', e.target.value)} /><//>
      <${Field} label="Memory limit" path="spec.memoryLimit" problems=${problems.fields}>
        <input name="memoryLimit" value=${form.memoryLimit} onInput=${e => set('memoryLimit', e.target.value)} /><//>
    </fieldset>
    ${plural === 'distributedtrainings' && html`<fieldset><legend>Distributed</legend>
      <${Field} label="Framework" path="spec.framework" problems=${problems.fields}>
        <select name="framework" value=${form.framework} onChange=${e => set('framework', e.target.value)}>
          <option value="pytorch">PyTorch</option><option value="tensorflow">TensorFlow</option><option value="mpi">MPI</option></select><//>
      <${Field} label="Workers" path="spec.workers" problems=${problems.fields}>
        <input name="workers" type="number" min="1" value=${form.workers} onInput=${e => set('workers', e.target.value)} /><//>
      <${Field} label="Min workers (elastic)" path="spec.minWorkers" problems=${problems.fields}>
        <input name="minWorkers" type="number" min="1" value=${form.minWorkers} onInput=${e => set('minWorkers', e.target.value)} /><//>
      <${Field} label="Max workers (elastic)" path="spec.maxWorkers" problems=${problems.fields}>
        <input name="maxWorkers" type="number" min="1" value=${form.maxWorkers} onInput=${e => set('maxWorkers', e.target.value)} /><//>
    </fieldset>`}
    ${plural === 'inferences' && html`<fieldset><legend>Replicas</legend>
      <${Field} label="Min replicas" path="spec.minReplicas" problems=${problems.fields}>
        <input name="minReplicas" type="number" min="0" value=${form.minReplicas} onInput=${e => set('minReplicas', e.target.value)} /><//>
      <${Field} label="Max replicas" path="spec.maxReplicas" problems=${problems.fields}>
        <input name="maxReplicas" type="number" min="1" value=${form.maxReplicas} onInput=${e => set('maxReplicas', e.target.value)} /><//>
      <${Field} label="Scale on" path="spec.autoscaling" problems=${problems.fields}>
        <select name="autoscalingMetric" value=${form.autoscalingMetric} onChange=${e => set('autoscalingMetric', e.target.value)}>
          <option value="">No autoscaling</option><option value="gpu-utilization">GPU utilization</option>
          <option value="concurrency">Requests in flight</option><option value="requests-per-second">Requests per second</option></select><//>
      ${form.autoscalingMetric && html`<${Field} label="Target per replica" path="spec.autoscaling.target" problems=${problems.fields}>
        <input name="autoscalingTarget" type="number" min="1" value=${form.autoscalingTarget} onInput=${e => set('autoscalingTarget', e.target.value)} /><//>`}
    </fieldset>`}
    <fieldset><legend>Placement</legend>
      <div class=${`field wide${problems.fields['spec.nodePools'] ? ' invalid' : ''}`} data-field="spec.nodePools">
        <span class="label">Node pools, in order of preference</span>
        <ol class="pools">${form.nodePools.map((pool, i) => html`<li>
          <strong>${i + 1}. ${pool}</strong>
          <button type="button" aria-label=${`Move ${pool} up`} disabled=${i === 0}
            onClick=${() => { const next = [...form.nodePools]; [next[i - 1], next[i]] = [next[i], next[i - 1]]; set('nodePools', next); }}>↑</button>
          <button type="button" aria-label=${`Move ${pool} down`} disabled=${i === form.nodePools.length - 1}
            onClick=${() => { const next = [...form.nodePools]; [next[i + 1], next[i]] = [next[i], next[i + 1]]; set('nodePools', next); }}>↓</button>
          <button type="button" aria-label=${`Remove ${pool}`} onClick=${() => set('nodePools', form.nodePools.filter(p => p !== pool))}>×</button>
        </li>`)}</ol>
        <select aria-label="Add a node pool" value="" onChange=${e => e.target.value && set('nodePools', form.nodePools.concat([e.target.value]))}>
          <option value="">${form.nodePools.length ? 'Add another pool…' : 'Any pool (add one to prefer it)…'}</option>
          ${pools.filter(p => !form.nodePools.includes(p)).map(p => html`<option value=${p}>${p}</option>`)}</select>
        ${constraints.allowedNodePools && html`<span class="hint">allowed: ${constraints.allowedNodePools.join(', ')}${from}</span>`}
        ${problems.fields['spec.nodePools']?.map(m => html`<span class="field-error" role="alert">${m}</span>`)}
      </div>
      <${Field} label="Preemptible" path="spec.preemptible" problems=${problems.fields}
        hint=${constraints.preemptibleRequired ? `must be preemptible${from}` : 'preemptible workloads may run over quota and be reclaimed'}>
        <select name="preemptible" value=${form.preemptible} onChange=${e => set('preemptible', e.target.value)}>
          <option value="">The kind's default</option><option value="true">Yes</option><option value="false">No</option></select><//>
    </fieldset>
    <fieldset><legend>Connections and data</legend>
      <div class="field wide" data-field="spec.connections"><span class="label">Connections (ports it serves)</span>
        <div class="rows">${form.connections.map((c, i) => html`<div class="row">
          <input aria-label="Connection name" placeholder="name, e.g. jupyter" value=${c.name} onInput=${e => update('connections', i, { name: e.target.value })} />
          <input aria-label="Port" type="number" placeholder="port" value=${c.port} onInput=${e => update('connections', i, { port: e.target.value })} />
          <select aria-label="Exposure" value=${c.exposure} onChange=${e => update('connections', i, { exposure: e.target.value })}>
            <option>ClusterIP</option><option>NodePort</option></select>
          <button type="button" aria-label="Remove connection" onClick=${() => set('connections', form.connections.filter((_, j) => j !== i))}>×</button></div>`)}
          <div><button type="button" onClick=${() => set('connections', form.connections.concat([{ name: '', port: '', exposure: 'ClusterIP' }]))}>Add connection</button></div></div>
        ${problems.fields['spec.connections']?.map(m => html`<span class="field-error" role="alert">${m}</span>`)}
      </div>
      <div class="field wide" data-field="spec.dataSources"><span class="label">Data sources (PersistentVolumeClaims)</span>
        <div class="rows">${form.dataSources.map((d, i) => html`<div class="row">
          <input aria-label="Data source name" placeholder="name" value=${d.name} onInput=${e => update('dataSources', i, { name: e.target.value })} />
          <input aria-label="Claim" placeholder="claim name" value=${d.claimName} onInput=${e => update('dataSources', i, { claimName: e.target.value })} />
          <input aria-label="Mount path" placeholder="/data" value=${d.mountPath} onInput=${e => update('dataSources', i, { mountPath: e.target.value })} />
          <label style="flex:none"><input type="checkbox" checked=${d.readOnly} onChange=${e => update('dataSources', i, { readOnly: e.target.checked })} /> read-only</label>
          <button type="button" aria-label="Remove data source" onClick=${() => set('dataSources', form.dataSources.filter((_, j) => j !== i))}>×</button></div>`)}
          <div><button type="button" onClick=${() => set('dataSources', form.dataSources.concat([{ name: '', claimName: '', mountPath: '', readOnly: false }]))}>Add data source</button></div></div>
        ${problems.fields['spec.dataSources']?.map(m => html`<span class="field-error" role="alert">${m}</span>`)}
      </div>
    </fieldset>
    ${problems.general.length > 0 && html`<div class="banner" role="alert" data-test="form-errors">
      ${problems.general.map(m => html`<div>${m}</div>`)}</div>`}
    <div class="submit-bar">
      <button type="submit" class="primary" disabled=${busy || !project || !canSubmitHere} data-test="submit">Submit</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
      <span class="muted" data-test="check" aria-live="polite">${check ? 'The policies would refuse this as it is.'
        : check === null ? 'Checked against the policies: it would be admitted.'
          : project ? 'Checking against the policies…' : ''}</span>
    </div>
  </form></div>`;
}
