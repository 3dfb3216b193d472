// The runtime never loads the NATS bridge (nor a NATS client) for a system without NATS: the
// bridge is imported only when a system is given NATS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'troupe-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dist = new URL('../../dist/index.js', import.meta.url).href;

describe('the NATS bridge is loaded only with NATS', () => {
  it('a local system loads no NATS client and no bridge connection code', () => {
    writeFileSync(join(dir, 'hooks.mjs'), `export async function resolve(s, c, next) { const r = await next(s, c); process.stdout.write('RESOLVED ' + r.url + '\\n'); return r; }\n`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    const run = (options: string) => {
      writeFileSync(join(dir, 'run.mjs'), `const { createActorSystem } = await import(${JSON.stringify(dist)});\nconst s = await createActorSystem(${options});\nawait s.shutdown({ timeoutMs: 1000 });\n`);
      return execFileSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, join(dir, 'run.mjs')],
        { encoding: 'utf8', env: { ...process.env, TROUPE_NATS_URL: '' } }).split('\n').filter((l) => l.startsWith('RESOLVED ')).map((l) => l.slice(9));
    };
    const local = run('{ workers: 1, logger: false }');
    expect(local.some((u) => u.includes('/dist/index.js'))).toBe(true);
    expect(local.filter((u) => u.includes('@nats-io'))).toEqual([]);
    // Of bridge/, only the DLQ stream's reader (a public export: it loads no NATS client).
    expect(local.filter((u) => u.includes('/dist/bridge/')).map((u) => u.replace(/.*\/dist\/bridge\//, '')).sort()).toEqual(['dlq.js', 'scan.js']);
    // Given NATS (here unreachable: it starts degraded), the bridge is loaded.
    const withNats = run("{ workers: 1, logger: false, nats: { servers: 'nats://127.0.0.1:1', connectTimeoutMs: 100 } }");
    expect(withNats.some((u) => /\/dist\/bridge\/index\.js$/.test(u))).toBe(true);
    expect(withNats.some((u) => u.includes('@nats-io/transport-node'))).toBe(true);
  });
});
