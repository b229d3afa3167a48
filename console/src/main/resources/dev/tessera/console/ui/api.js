// The Workloads API as the page uses it: every call carries the signed-in user's bearer token,
// and every error becomes an ApiError carrying the Kubernetes Status the API answered.

const TOKEN_KEY = 'tessera.token';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: token => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
  /** Called with the error when the API no longer accepts the token. */
  onExpired: () => {},
};

export class ApiError extends Error {
  constructor(code, status) {
    super(status?.message || `the API answered ${code}`);
    this.code = code;
    this.reason = status?.reason || '';
    this.causes = status?.details?.causes || [];
    this.status = status;
  }
}

function headers(extra = {}) {
  const token = session.token();
  return token ? { Authorization: `Bearer ${token}`, ...extra } : extra;
}

async function failure(response) {
  let status = null;
  try {
    status = await response.json();
  } catch (_) {
    status = { message: `${response.status} ${response.statusText}` };
  }
  const error = new ApiError(response.status, status);
  if (response.status === 401) {
    session.onExpired(error);
  }
  return error;
}

async function send(method, path, { body, signal, accept } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: headers({
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(accept ? { Accept: accept } : {}),
      }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { message: `cannot reach the Workloads API (${e.message}); is the console running?` });
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export const getJson = async (path, options) => (await send('GET', path, options)).json();
export const postJson = async (path, body, options) => (await send('POST', path, { ...options, body })).json();
export const deleteJson = async (path, options) => (await send('DELETE', path, options)).json();
export const getText = async (path, options) => (await send('GET', path, options)).text();

/** Fetches a file with the token and hands it to the browser as a download. */
export async function download(path, filename, accept) {
  const blob = await (await send('GET', path, { accept })).blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/**
 * Reads a streamed answer (a followed log, or server-sent events) chunk by chunk until it ends or
 * `signal` aborts. EventSource cannot send the Authorization header, so streams are read with fetch.
 */
export async function readStream(path, signal, onText) {
  const response = await send('GET', path, { signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onText(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** Server-sent events from `path`: onEvent({type, data, id}) for each, data parsed as JSON. */
export function readEvents(path, signal, onEvent) {
  let buffer = '';
  return readStream(path, signal, text => {
    buffer += text;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = 'message', data = '', id = null;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue; // keep-alive
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = value;
        else if (field === 'data') data += (data ? '\n' : '') + value;
        else if (field === 'id') id = value;
      }
      if (data) onEvent({ type, id, data: JSON.parse(data) });
    }
  });
}

/** The path of a workload, from its row. */
export const PLURALS = {
  workspace: 'workspaces',
  training: 'trainings',
  'distributed-training': 'distributedtrainings',
  inference: 'inferences',
  external: 'externalworkloads',
};

export const workloadPath = row =>
  `/api/v1/namespaces/${encodeURIComponent(row.namespace)}/${PLURALS[row.type]}/${encodeURIComponent(row.name)}`;
