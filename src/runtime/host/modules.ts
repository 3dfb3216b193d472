/**
 * Loads actor modules inside a worker: import once per URL, check the default export is a
 * defineActor() result, and turn every way that can fail into a TroupeError with a clear code.
 */
import { TroupeError } from '../../actors/errors.js';
import { isDefinedActor, type DefinedActor } from '../../actors/define.js';

const cache = new Map<string, Promise<DefinedActor>>();
/** The modules loaded, for a spawn that need not wait (the same as `cache` once each resolves). */
const loaded = new Map<string, DefinedActor>();

/** The actor of `url`, if its module is loaded already. */
export function loadedActor(url: string): DefinedActor | undefined {
  return loaded.get(url);
}

export function loadActor(url: string): Promise<DefinedActor> {
  let p = cache.get(url);
  if (p === undefined) {
    p = importActor(url);
    cache.set(url, p);
    // A failed load is not cached: the file may be fixed (or built) later.
    p.then((def) => loaded.set(url, def), () => cache.delete(url));
  }
  return p;
}

async function importActor(url: string): Promise<DefinedActor> {
  let mod: { default?: unknown };
  try {
    mod = await import(url);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ENOENT' || code === 'ERR_UNSUPPORTED_DIR_IMPORT') {
      throw new TroupeError('ERR_TROUPE_MODULE_NOT_FOUND', `actor module not found: ${url}`, { cause: err, details: { url } });
    }
    throw new TroupeError('ERR_TROUPE_MODULE_LOAD_FAILED', `actor module ${url} failed to load: ${(err as Error).message}`,
      { cause: err, details: { url } });
  }
  if (!isDefinedActor(mod.default)) {
    throw new TroupeError('ERR_TROUPE_NOT_AN_ACTOR',
      `${url} has no actor default export; write \`export default defineActor({ receive(state, msg, ctx) { ... } })\``,
      { details: { url } });
  }
  return mod.default;
}
