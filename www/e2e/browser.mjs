// The browser side of the localnet suite: in headless Debian Chromium, the
// package's GuardClient (dist/chain.js) loads the guard's live model through
// `model` and `model_blob` queries, checks its hash, and <vigil-warning>
// (dist/widget.js) scores rows with it. The page reaches the node through a
// function Playwright exposes (`vigilQuery`), which forwards each smart
// query to CosmJS's client in Node: the same `queryContractSmart` a wallet
// gives GuardClient.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve, WWW } from '../scripts/serve.mjs';
import { launch } from '../test/support/browser.mjs';

/**
 * Resolves to { hash, version, verdicts: [{ scoreBits, level, label } | { error }] },
 * one verdict per row (decimal strings in the guard's feature order).
 */
export async function browserScores({ guard, rows, queryContractSmart }) {
  if (!existsSync(join(WWW, 'dist/chain.js'))) throw new Error('www/dist missing: run `npm run build` in www/ first');
  const server = await serve();
  let browser;
  try {
    browser = await launch();
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.exposeFunction('vigilQuery', (address, msg) => queryContractSmart(address, msg));
    await page.goto(`${server.url}/test/pages/blank.html`);
    const out = await page.evaluate(
      async ({ guard, rows }) => {
        const { GuardClient } = await import('/dist/chain.js');
        await import('/dist/widget.js');
        const client = new GuardClient({ queryContractSmart: (a, m) => window.vigilQuery(a, m) }, guard);
        const live = await client.loadModel();
        const verdicts = [];
        for (const features of rows) {
          const el = document.createElement('vigil-warning');
          const verdict = new Promise((resolve) => {
            el.addEventListener('vigil-verdict', (e) => resolve({ scoreBits: e.detail.scoreBits, level: e.detail.level, label: e.detail.label }), { once: true });
            el.addEventListener('vigil-error', (e) => resolve({ error: e.detail.error.message }), { once: true });
          });
          el.model = live.model;
          el.features = features;
          document.body.append(el);
          verdicts.push(await verdict);
          el.remove();
        }
        return { hash: live.info.hash, version: live.info.version, verdicts };
      },
      { guard, rows },
    );
    if (problems.length) throw new Error(problems.join('\n'));
    await page.close();
    return out;
  } finally {
    // Closed also when Chromium does not start: an open server would keep
    // the test process alive.
    await browser?.close();
    await server.close();
  }
}
