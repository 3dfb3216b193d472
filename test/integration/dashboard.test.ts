// The dashboard in a real browser (Debian's chromium through playwright-core): it shows the
// supervision tree, marks a failing actor within about a second, shows its open breaker and the
// alert, and asks for a token when the server wants one. With CI=true a missing chromium fails
// the tests; locally they are skipped with one loud line.
// TROUPE_SCREENSHOT=1 writes the screenshot to docs/dashboard.png (the README shows it);
// otherwise it goes to the OS temp dir, so that a test run changes no tracked file.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActorSystem, type ActorRef, type ActorSystem } from 'troupe';
import { fixture, quiet } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** Playwright's waits; generous, since the page answers within a snapshot (about a second). */
const WAIT_MS = 10_000;

function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is not installed, and CI=true requires the dashboard tests: apt-get install chromium`);
  console.warn(`\n*** SKIPPING DASHBOARD TESTS: ${CHROMIUM} is not installed. Install it with: sudo apt-get install chromium ***\n`);
  return false;
}

const haveChromium = chromiumAvailable();

function screenshotPath(): string {
  return process.env.TROUPE_SCREENSHOT === '1'
    ? fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url))
    : join(tmpdir(), 'troupe-dashboard.png');
}

describe.skipIf(!haveChromium)('the dashboard', () => {
  let system: ActorSystem;
  let server: Awaited<ReturnType<ActorSystem['serve']>>;
  let browser: BrowserContext;
  let profile: string;
  let flaky: ActorRef;
  let stock: ActorRef;
  /** What went wrong inside the pages: uncaught errors, and the dashboard's own console errors. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    system = await createActorSystem({ name: 'shop', workers: 2, logger: quiet });
    const orders = await system.spawn(fixture('parent.actor'), { name: 'orders' });
    await orders.ask({ type: 'spawn-named', names: ['audit', 'billing'] });
    stock = await system.spawn(fixture('counter.actor'), { name: 'stock' });
    for (let i = 0; i < 500; i++) stock.tell({ type: 'inc' });
    flaky = await system.spawn(fixture('worker.actor'), {
      name: 'payments',
      // Open at the third failure, and stay open for the rest of the test.
      circuitBreaker: { failureThreshold: 3, windowMs: 60_000, resetTimeoutMs: 60_000 },
    });
    server = await system.serve({ port: 0 });
    profile = mkdtempSync(join(tmpdir(), 'troupe-chromium-'));
    // A persistent context is how playwright takes a user data dir: a fresh one per run, removed after.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 },
      args: ['--no-sandbox', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.close().catch(() => {});
    await system?.shutdown();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
    pageErrors.length = 0;
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(`the page threw: ${e.message}`));
    page.on('console', (m) => { if (m.text().startsWith('troupe dashboard')) pageErrors.push(m.text()); });
    await page.goto(url);
    return page;
  }

  it('shows the supervision tree, children nested under their parent, and the health', async () => {
    const page = await open(server.url);
    try {
      await page.locator('[data-path="/user/orders"]').waitFor({ timeout: WAIT_MS });
      await page.locator('[data-path="/user/orders/audit"]').waitFor({ timeout: WAIT_MS });
      await page.locator('[data-path="/user/payments"][data-breaker="closed"]').waitFor({ timeout: WAIT_MS });
      expect(await page.locator('#health-status').textContent()).toBe('healthy');
      // Depth-first: a child comes right after its parent.
      const paths = await page.locator('#tree-body tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
      expect(paths.indexOf('/user/orders/audit')).toBe(paths.indexOf('/user/orders') + 1);
      expect(await page.locator('tr.failing').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('marks an actor failing within a second of its failure, then shows its open breaker and the breaker-open alert', async () => {
    const page = await open(server.url);
    try {
      const row = page.locator('[data-path="/user/payments"]');
      // The page has seen the actor before it fails (failing means: failed grew since then).
      await row.waitFor({ timeout: WAIT_MS });
      const started = Date.now();
      // Validation failures are resumed: the actor lives on, and its breaker counts them.
      for (let i = 0; i < 3; i++) flaky.tell({ type: 'fail', category: 'validation' });
      await page.locator('[data-path="/user/payments"].failing').waitFor({ timeout: WAIT_MS });
      const tookMs = Date.now() - started;
      expect(tookMs, `the row turned failing ${tookMs} ms after the failure`).toBeLessThan(1500);
      await page.locator('[data-path="/user/payments"][data-breaker="open"].failing').waitFor({ timeout: WAIT_MS });
      await page.locator('#alerts-active [data-alert="breaker-open"]').waitFor({ timeout: WAIT_MS });
      expect(await page.locator('#health-status').textContent()).toBe('degraded');
      // Mail to the open breaker is dead-lettered: the page lists it by reason.
      for (let i = 0; i < 3; i++) flaky.tell({ type: 'inc' });
      // Some traffic, so that the screenshot shows a throughput.
      for (let i = 0; i < 1000; i++) stock.tell({ type: 'inc' });
      await page.locator('#dl-reasons .chip', { hasText: 'circuit-open' }).waitFor({ timeout: WAIT_MS });
      await page.screenshot({ path: screenshotPath(), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('with a token, asks for it (keeping it out of the URL) and shows the tree once it is typed', async () => {
    const guarded = await system.serve({ port: 0, token: 't0ken' });
    const page = await open(guarded.url);
    try {
      await page.locator('#token-form').waitFor({ state: 'visible', timeout: WAIT_MS });
      expect(await page.locator('[data-path]').count()).toBe(0);
      await page.locator('#token-input').fill('wrong');
      await page.locator('#token-input').press('Enter');
      await page.locator('#token-error', { hasText: 'refused' }).waitFor({ timeout: WAIT_MS });
      await page.locator('#token-input').fill('t0ken');
      await page.locator('#token-input').press('Enter');
      await page.locator('[data-path="/user/orders"]').waitFor({ timeout: WAIT_MS });
      expect(await page.locator('#token-form').isHidden()).toBe(true);
      expect(page.url()).not.toContain('t0ken');
    } finally {
      await page.close();
      await guarded.close();
    }
  });
});
