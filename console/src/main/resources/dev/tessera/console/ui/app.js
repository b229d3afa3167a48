// The Workloads view: sign-in, then the table (live or deleted), a workload's details, and the
// New workload form. Everything shown comes from the Workloads API, as the signed-in user.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson, session } from './api.js';
import { html, ErrorBanner } from './widgets.js';
import { WorkloadTable } from './table.js';
import { DetailsPane } from './details.js';
import { WorkloadForm } from './form.js';

function SignIn({ config, problem, onSignedIn }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(problem);
  const tryToken = async value => {
    session.signIn(value.trim());
    try {
      onSignedIn(await getJson('/api/v1/session'));
    } catch (e) {
      session.signOut();
      setError(e);
    }
  };
  return html`<form class="signin" onSubmit=${e => { e.preventDefault(); tryToken(token); }}>
    <h1>Tessera · Workloads</h1>
    <p class="muted">Sign in with a bearer token the cluster accepts: your kubeconfig's token
      (<code>kubectl config view --raw -o jsonpath='{.users[0].user.token}'</code>) or an OIDC token.</p>
    <label class="field">Token
      <input type="password" name="token" autocomplete="off" value=${token} onInput=${e => setToken(e.target.value)}
        style="width:100%" autofocus />
    </label>
    <button class="primary" type="submit" disabled=${!token.trim()}>Sign in</button>
    <${ErrorBanner} error=${error} />
    ${config.demoUsers?.length > 0 && html`<div class="users">
      <p class="muted">This is the embedded demo; sign in as one of its users:</p>
      ${config.demoUsers.map(user => html`<button type="button" data-user=${user.name} onClick=${() => tryToken(user.token)}>
        <strong>${user.name}</strong> <span class="muted">— ${user.roles}</span></button>`)}
    </div>`}
  </form>`;
}

function Shell({ config, me, onSignOut }) {
  const [view, setView] = useState('live');
  const [details, setDetails] = useState(null); // {row, deleted}
  const [form, setForm] = useState(null); // null, or {template}
  const [notice, setNotice] = useState(null);
  const openForm = template => {
    setDetails(null);
    setForm({ template });
  };
  return html`
    <header class="top">
      <h1>Tessera</h1>
      <span class="cluster">${config.cluster}</span>
      <nav class="tabs" role="tablist" aria-label="Views">
        <button role="tab" aria-selected=${!form && view === 'live'} data-test="tab-live"
          onClick=${() => { setForm(null); setView('live'); setDetails(null); }}>Workloads</button>
        <button role="tab" aria-selected=${!form && view === 'deleted'} data-test="tab-deleted"
          onClick=${() => { setForm(null); setView('deleted'); setDetails(null); }}>Deleted</button>
      </nav>
      <span class="spacer"></span>
      <span data-test="user">${me.user}</span>
      <button type="button" onClick=${onSignOut}>Sign out</button>
    </header>
    <main>
      ${notice && html`<div class="banner ok" role="status">${notice}
        <button class="icon-button" aria-label="Dismiss" onClick=${() => setNotice(null)}>×</button></div>`}
      ${form
        ? html`<${WorkloadForm} template=${form.template} onCancel=${() => setForm(null)}
            onSubmitted=${message => { setForm(null); setView('live'); setNotice(message); }} />`
        : html`<${WorkloadTable} key=${view} view=${view} selectedDetails=${details}
            onDetails=${row => setDetails({ row, deleted: view === 'deleted' })}
            onNew=${() => openForm(null)} onCopy=${template => openForm(template)} onNotice=${setNotice} />`}
    </main>
    ${details && !form && html`<${DetailsPane} key=${details.row.uid} row=${details.row} deleted=${details.deleted}
      onClose=${() => setDetails(null)} />`}`;
}

function App() {
  const [config, setConfig] = useState(null);
  const [me, setMe] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    session.onExpired = error => {
      session.signOut();
      setMe(null);
      setProblem(error);
    };
    getJson('/ui/config.json').then(setConfig, setProblem);
    if (session.token()) {
      getJson('/api/v1/session').then(setMe, () => session.signOut());
    }
  }, []);
  if (!config) return html`<${ErrorBanner} error=${problem} />`;
  if (!me) return html`<${SignIn} config=${config} problem=${problem} onSignedIn=${user => { setProblem(null); setMe(user); }} />`;
  return html`<${Shell} config=${config} me=${me} onSignOut=${() => { session.signOut(); setMe(null); }} />`;
}

document.getElementById('app').textContent = '';
render(html`<${App} />`, document.getElementById('app'));
