/**
 * GETs a route of the observability server (observability/server.ts) as JSON, with Node's global
 * fetch. Every way of getting no answer (unreachable, no reply within the timeout, 401/403, another
 * HTTP error, a body that is not JSON) is an UnreachableError with one line that says which.
 * (Aborting through `signal` rejects with that too.)
 */
import { UnreachableError, type Endpoint } from './args.js';

/** How long a request waits for its answer. */
export const REQUEST_TIMEOUT_MS = 5_000;

/**
 * The JSON of `GET <url><path>`. `ok` lists the statuses that carry the route's answer (`/health`
 * answers 503 when the system is critical, with the same body).
 */
export async function getJson<T>(ep: Endpoint, path: string, ok: readonly number[] = [200], signal?: AbortSignal): Promise<T> {
  const where = `${ep.url}${path}`;
  let res: Response;
  try {
    res = await fetch(where, {
      headers: { accept: 'application/json', ...(ep.token !== undefined ? { authorization: `Bearer ${ep.token}` } : {}) },
      signal: signal !== undefined ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new UnreachableError(`cannot reach ${where}: ${reason(err)}`);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw new UnreachableError(ep.token === undefined
      ? `${where}: HTTP ${res.status}: the server wants a token (pass --token or set TROUPE_TOKEN)`
      : `${where}: HTTP ${res.status}: the server refused the token`);
  }
  const text = await res.text().catch((err: unknown) => {
    throw new UnreachableError(`${where}: the answer broke off: ${reason(err)}`);
  });
  if (!ok.includes(res.status)) throw new UnreachableError(`${where}: HTTP ${res.status} ${res.statusText}${text ? `: ${oneLine(text)}` : ''}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UnreachableError(`${where}: the answer is not JSON: ${oneLine(text)}`);
  }
}

/** Why a fetch failed, in a few words: undici hides the socket's error code in `cause`. */
function reason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${REQUEST_TIMEOUT_MS} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code !== undefined) return cause.code;
  if (cause?.message !== undefined) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 120)}…` : t;
}
