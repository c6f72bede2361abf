// Shared set-up for the console's end-to-end tests: the built console served with its real
// headers, Debian's Chromium driven by playwright-core, and monitors for CSP violations,
// page errors and requests that leave the origin.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../serve.mjs';

export const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(webDir, '..');
export const distDir = path.join(webDir, 'dist');
export const fixturesDir = path.join(webDir, 'test', 'fixtures');
export const demoLedgerPath = path.join(webDir, 'public', 'demo', 'ledger.json');
export const screenshotDir = path.join(repoDir, 'test-output', 'screenshots');
export const DEMO_AT = '2026-12-01T00:00:00Z';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 360, height: 740 },
};

/** Formats a report's exact credit string as the console does in the en-US locale. */
const creditsFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
export const fmtCredits = (credits) => creditsFormat.format(credits);
export const fmtTokens = (tokens) => new Intl.NumberFormat('en-US').format(tokens);

export function assertBuilt() {
  if (!fs.existsSync(path.join(distDir, 'index.html'))) {
    throw new Error(`No console build in ${distDir}: run "npm run build:web" before "npm run test:web".`);
  }
}

/** A page that proves the CSP monitor works: its inline script and style must be refused. */
const CANARY_HTML = `<!doctype html><html><head><style>body{color:red}</style></head>
<body><p style="color:blue">canary</p><script>document.title = 'inline ran';</script></body></html>`;

export async function startConsoleServer() {
  assertBuilt();
  const routes = {
    '/__test/csp-canary.html': (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(CANARY_HTML);
    },
  };
  return startServer({ root: distDir, port: 0, routes });
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * A fresh context and page with monitors. `problems` collects what must never happen:
 * CSP violations, uncaught errors, console errors, dialogs (alert), and requests to another origin.
 */
export async function openPage(browser, origin, { viewport = VIEWPORTS.desktop, colorScheme = 'light', timezoneId = 'Europe/Berlin', acceptDownloads = false } = {}) {
  const context = await browser.newContext({
    viewport, colorScheme, locale: 'en-US', timezoneId, acceptDownloads, deviceScaleFactor: 1,
  });
  await context.addInitScript(() => {
    window.__cspViolations = [];
    const record = (e) => window.__cspViolations.push(
      { directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile });
    document.addEventListener('securitypolicyviolation', record, true);
  });
  const page = await context.newPage();
  const problems = { csp: [], errors: [], console: [], dialogs: [], foreignRequests: [], requests: [] };
  const base = new URL(origin).origin;
  page.on('request', (request) => {
    const url = request.url();
    problems.requests.push(url);
    if (!url.startsWith(`${base}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) problems.foreignRequests.push(url);
    if (url.startsWith('data:')) problems.foreignRequests.push(url.slice(0, 60));
  });
  page.on('pageerror', (error) => problems.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content.Security.Policy|Trusted Type/i.test(message.text())) problems.console.push(message.text());
  });
  page.on('dialog', async (dialog) => {
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    await dialog.dismiss();
  });
  const collect = async () => {
    try {
      const seen = await page.evaluate(() => window.__cspViolations.splice(0));
      problems.csp.push(...seen);
    } catch {
      // The page may be navigating; its violations also reach the console monitor.
    }
    return problems;
  };
  return { context, page, problems, collect };
}

export async function gotoConsole(page, origin, hash = '#/projects', search = '') {
  // A full load every time (a hash-only change would keep the previous state).
  await page.goto('about:blank');
  await page.goto(`${origin}${search}${hash}`);
  await page.waitForFunction(() => document.documentElement.dataset.consoleState === 'ready', null, { timeout: 20000 });
}

export async function openUsage(page) {
  await page.locator('[data-testid=avatar] button.trigger').click();
  await page.locator('[data-testid=menu-usage]').click();
  await page.locator('[data-testid=usage-dialog]').waitFor({ state: 'visible' });
  await page.locator('[data-testid=balance]').waitFor();
}

export async function screenshot(page, name, fullPage = false) {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage });
}

/** The credit module the console uses (@easycoda/credits), loaded in Node. */
export async function nodeEngine() {
  const { createCreditEngine } = await import('@easycoda/credits');
  return createCreditEngine();
}

/** The native CLI (build/native/credits, or EASYCODA_CLI), when it has been built. */
export function nativeCli() {
  const cli = process.env.EASYCODA_CLI ?? path.join(repoDir, 'build', 'native', 'credits');
  return fs.existsSync(cli) ? cli : null;
}

/**
 * The reference answer for a ledger file: the native CLI's JSON when it is built (the figures the
 * page shows must equal the server's), else the engine module run in Node (the same WebAssembly).
 * `args` are the CLI's: ['report', '--at', T], ['project', ID, '--at', T] or ['forecast', '--at', T].
 */
export async function reference(ledgerPath, args) {
  const cli = nativeCli();
  if (cli) {
    const text = execFileSync(cli, [...args, ledgerPath], { cwd: repoDir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    return { source: `native CLI (${path.relative(repoDir, cli)})`, report: JSON.parse(text) };
  }
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const query = {
    at: option('--at'), from: option('--from'), to: option('--to'), utc_offset: option('--utc-offset'), utc_offsets: option('--utc-offsets'),
  };
  for (const key of Object.keys(query)) if (query[key] === undefined) delete query[key];
  const engine = await nodeEngine();
  const ledger = engine.load(fs.readFileSync(ledgerPath, 'utf8'));
  try {
    const text = args[0] === 'project' ? ledger.projectJson(args[1], query)
      : args[0] === 'forecast' ? ledger.forecastJson({ at: query.at }) : ledger.reportJson(query);
    return { source: 'engine module in Node', report: JSON.parse(text) };
  } finally {
    ledger.delete();
  }
}

export async function referenceAccountReport(ledgerPath, at) {
  return reference(ledgerPath, ['report', '--at', at]);
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe on the page as it is and returns its serious and critical violations, each with the
 * nodes it found (target and summary), so a failure says what to fix.
 */
export async function seriousViolations(page) {
  // The script is evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    // Every rule axe runs by default, plus "label-content-name-mismatch" (WCAG 2.5.3, off by
    // default as experimental): a control's accessible name must contain its visible text.
    const r = await window.axe.run(document, {
      resultTypes: ['violations'], rules: { 'label-content-name-mismatch': { enabled: true } },
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.flat().join(' >>> '), summary: n.failureSummary })),
    }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

