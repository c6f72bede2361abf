// Accessibility of every page of the console, checked by axe-core in Debian's Chromium: no serious
// or critical violation on the project list, a project's detail page (with a breakdown open), the
// Pricing calculator, the Usage popup (each tab) and the ledger loader, in light and dark, at the
// desktop and phone widths. axe walks open shadow roots, so the Lit components are checked inside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, gotoConsole, launchBrowser, openPage, openUsage, seriousViolations, startConsoleServer } from './helpers.mjs';

let server;
let origin;
let browser;

before(async () => {
  ({ server, url: origin } = await startConsoleServer());
  origin = origin.replace(/\/$/, '');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
});

const STATES = [
  { name: 'projects', hash: '#/projects' },
  {
    name: 'project detail', hash: '#/projects/prj_shop/settings',
    async prepare(page) {
      await page.locator('[data-testid=tasks]').waitFor();
      // A cancelled session and an open breakdown show every kind of row the page has.
      await page.locator('tr[data-session]').first().getByRole('button', { name: /^Breakdown of session/ }).click();
      await page.locator('[data-testid=breakdown]').first().waitFor();
    },
  },
  {
    name: 'pricing calculator', hash: '#/pricing',
    async prepare(page) {
      await page.locator('[data-testid=quote-options]').waitFor();
      // A mix of packs and an invalid converter amount: the notes and the error state are checked too.
      await page.locator('[data-testid=calc-output]').fill('5000000');
      await page.locator('[data-testid=calc-input]').fill('60000000');
      await page.locator('[data-testid=calc-rate]').fill('85');
      await page.locator('[data-testid=pack-mix]').waitFor();
      await page.locator('[data-testid=conv-credits]').fill('1.23456');
    },
  },
  ...['Balance', 'Usage', 'Ledger'].map((tab) => ({
    name: `usage popup, ${tab} tab`, hash: '#/projects',
    async prepare(page) {
      await openUsage(page);
      await page.getByRole('tab', { name: tab }).click();
      if (tab === 'Usage') await page.locator('[data-testid=usage-figures]').waitFor();
      if (tab === 'Ledger') await page.locator('[data-testid=ledger] li').first().waitFor();
    },
  })),
  {
    name: 'ledger loader', hash: '#/projects',
    async prepare(page) {
      await page.locator('[data-testid=avatar] button.trigger').click();
      await page.locator('[data-testid=menu-load]').click();
      await page.locator('[data-testid=loader-dialog]').waitFor({ state: 'visible' });
    },
  },
];

for (const [viewportName, viewport] of Object.entries(VIEWPORTS)) {
  for (const colorScheme of ['light', 'dark']) {
    test(`axe finds no serious or critical violation: ${viewportName}, ${colorScheme}`, async () => {
      const { page, context, collect } = await openPage(browser, origin, { viewport, colorScheme });
      const found = [];
      try {
        for (const state of STATES) {
          await gotoConsole(page, origin, state.hash);
          await state.prepare?.(page);
          // The menu (opened for the loader) has closed; the page has settled on what a reader sees.
          await page.waitForTimeout(50);
          const violations = await seriousViolations(page);
          for (const v of violations) found.push({ state: state.name, ...v });
        }
        assert.deepEqual(found, [], `${viewportName} ${colorScheme}:\n${JSON.stringify(found, null, 2)}`);
        const problems = await collect();
        assert.deepEqual(problems.errors, [], 'uncaught errors');
        assert.deepEqual(problems.csp, [], 'CSP violations');
      } finally {
        await context.close();
      }
    });
  }
}

test('the axe check itself fails on a page with a known violation (canary)', async () => {
  const { page, context } = await openPage(browser, origin);
  try {
    await gotoConsole(page, origin, '#/projects');
    // An unnamed button and a low-contrast label added to the page: axe must report both.
    await page.evaluate(() => {
      const button = document.createElement('button');
      button.className = 'canary';
      document.body.append(button);
      const faint = document.createElement('p');
      faint.textContent = 'faint text';
      faint.style.color = '#f0f0f0';
      faint.style.background = '#ffffff';
      document.body.append(faint);
    });
    const ids = (await seriousViolations(page)).map((v) => v.id).sort();
    assert.ok(ids.includes('button-name'), `button-name reported: ${ids}`);
    assert.ok(ids.includes('color-contrast'), `color-contrast reported: ${ids}`);
  } finally {
    await context.close();
  }
});
