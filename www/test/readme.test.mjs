// The README's snippets, pasted as a wallet developer pastes them, in
// headless Debian Chromium (needs `npm run build` first).
//
// Every page here is built ONLY from www/README.md's ```html blocks, read
// at test time (so the docs cannot drift from what is tested), served as an
// integrator's site lays them out (test/support/site.mjs: the package
// under /node_modules/@vigil-ml/web/, the model and its card under
// /models/). Failures (a missing engine file, a model URL that fails, a
// Content-Security-Policy without 'wasm-unsafe-eval') are injected at the
// network level, never by editing the snippet; the two variants that do
// edit it (no import map; the README's exact path instead of the bare
// import) take their text from the README too.
//
// - the widget snippet runs as written: no page error (no ReferenceError),
//   a verdict, the sign button follows it;
// - a safe verdict lists only what lowered the risk, a danger one only what
//   raised it;
// - at 360 px no reason is clipped and no name or value is stacked one
//   character per line (element boxes measured), with the card's labels and
//   with raw snake_case names, for every sample account and all 38 reasons;
// - without an import map the bare import fails visibly (the element's
//   fallback text shows, signing stays blocked); the README's exact path
//   works without one;
// - an engine or model that cannot load shows the error state and fires
//   `vigil-error`, and signing stays blocked;
// - the API snippet runs as written and prints what its comments say.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WWW } from '../scripts/serve.mjs';
import { launch } from './support/browser.mjs';
import { serveSite } from './support/site.mjs';

const ARTIFACTS = join(WWW, 'test-results');
const README = readFileSync(join(WWW, 'README.md'), 'utf8');
const SAMPLES = JSON.parse(readFileSync(join(WWW, 'fixtures/samples.json'), 'utf8'));

const HTML_BLOCKS = [...README.matchAll(/^```html\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
/** The quick start's widget snippet, byte for byte. */
const WIDGET = HTML_BLOCKS.find((b) => b.includes('<vigil-warning id="warning"'));
/** The quick start's API snippet, byte for byte. */
const API = HTML_BLOCKS.find((b) => b.includes("from '@vigil-ml/web'"));
/** The import map of the widget snippet (the API snippet says "with the import map above"). */
const IMPORT_MAP = WIDGET?.match(/<script type="importmap">[\s\S]*?<\/script>\n/)?.[0];
/** The exact path the README gives for pages without a bundler or import map. */
const EXACT_PATH = README.match(/`import '(\/node_modules\/@vigil-ml\/web\/dist\/widget\.js)'`/)?.[1];
const BARE_IMPORT = "import '@vigil-ml/web/widget';";

/** A page made of `body` (README text) and nothing else but the document's frame. */
const html = (body) =>
  `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>README snippet</title></head>\n<body>\n${body}</body>\n</html>\n`;

let site;
let browser;
let pages = 0;

before(async () => {
  if (!existsSync(join(WWW, 'dist/widget.js'))) throw new Error('dist/ missing: run `npm run build` first');
  mkdirSync(ARTIFACTS, { recursive: true });
  site = await serveSite();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

/**
 * Open `body` as a page of the site. Records page errors, console errors
 * and warnings, and every vigil-verdict / vigil-error event (a listener on
 * the document, added before the page's scripts run; the snippet itself is
 * not touched).
 */
async function open(body, { viewport = { width: 1000, height: 900 }, headers = {}, route } = {}) {
  const url = site.add(`/page-${++pages}.html`, html(body), headers);
  const page = await browser.newPage({ viewport });
  const seen = { pageErrors: [], consoleErrors: [], warnings: [] };
  page.on('pageerror', (e) => seen.pageErrors.push(`${e.name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') seen.consoleErrors.push(m.text());
    if (m.type() === 'warning') seen.warnings.push(m.text());
  });
  await page.addInitScript(() => {
    window.vigilEvents = [];
    document.addEventListener('vigil-verdict', (e) => window.vigilEvents.push({ type: e.type, level: e.detail.level }));
    document.addEventListener('vigil-error', (e) =>
      window.vigilEvents.push({ type: e.type, code: e.detail.error.code, message: e.detail.error.message }),
    );
  });
  if (route) await route(page);
  await page.goto(url);
  return { page, ...seen };
}

const events = (page) => page.evaluate(() => window.vigilEvents);
const signDisabled = (page) => page.isDisabled('#sign-button');

/** Wait until `check()` is true (for things the page cannot be asked about, like page errors). */
async function until(check, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Set the widget's figures to a sample account (as a wallet sets them: the `features` property). */
async function showSample(page, id) {
  const sample = SAMPLES.samples.find((s) => s.id === id);
  assert.ok(sample, id);
  await page.evaluate(async (features) => {
    const w = document.getElementById('warning');
    w.features = features;
    await w.updated();
  }, sample.features);
}

/** The widget's reasons, expanded: data and rendered text. */
function reasons(page) {
  return page.evaluate(() => {
    const w = document.getElementById('warning');
    const root = w.shadowRoot;
    const toggle = root.querySelector('button');
    if (toggle.getAttribute('aria-expanded') !== 'true') toggle.click();
    const list = root.querySelector('.reasons');
    return {
      level: w.level,
      bits: w.reasons.map((r) => r.bits),
      effects: [...list.querySelectorAll('.reason-effect')].map((e) => e.textContent),
      listLabel: list.getAttribute('aria-label'),
      hidden: list.hidden,
    };
  });
}

/**
 * Layout problems of the widget's card and reasons at the page's width:
 * sideways scrolling, overflowing boxes, a value on more than one line, a
 * name with fewer than 3 characters on a line (other than its last).
 * Lines are counted from each character's box.
 */
function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const w = document.getElementById('warning');
    const root = w.shadowRoot;
    const card = root.querySelector('.card');
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) problems.push(`the page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
    if (card.scrollWidth > card.clientWidth) problems.push(`the card overflows: ${card.scrollWidth} > ${card.clientWidth}`);
    const cardBox = card.getBoundingClientRect();
    const lines = (el) => {
      const tops = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        for (let i = 0; i < n.data.length; i++) {
          range.setStart(n, i);
          range.setEnd(n, i + 1);
          const r = range.getBoundingClientRect();
          if (r.width === 0 && /\s/.test(n.data[i])) continue;
          const top = Math.round(r.top);
          const line = tops.find((t) => Math.abs(t.top - top) < 3);
          if (line) line.count++;
          else tops.push({ top, count: 1 });
        }
      }
      return tops.sort((a, b) => a.top - b.top).map((t) => t.count);
    };
    const items = [...root.querySelectorAll('.reasons li')];
    if (!items.length) problems.push('no reason shown');
    for (const li of items) {
      const box = li.getBoundingClientRect();
      if (box.left < cardBox.left - 0.5 || box.right > cardBox.right + 0.5) problems.push(`reason box outside the card: ${li.textContent}`);
      if (li.scrollWidth > li.clientWidth) problems.push(`reason clipped: ${li.textContent} (${li.scrollWidth} > ${li.clientWidth})`);
      for (const el of li.children) {
        const r = el.getBoundingClientRect();
        const text = el.textContent;
        if (r.width === 0 || r.height === 0) problems.push(`not rendered: ${el.className} ${text}`);
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5) problems.push(`${el.className} "${text}" outside its reason`);
        if (el.scrollWidth > el.clientWidth) problems.push(`${el.className} "${text}" clipped (${el.scrollWidth} > ${el.clientWidth})`);
        const counts = lines(el);
        if (el.classList.contains('reason-input') && counts.length !== 1) problems.push(`value "${text}" on ${counts.length} lines: ${counts}`);
        if (el.classList.contains('reason-label') && counts.slice(0, -1).some((c) => c < 3)) problems.push(`name "${text}" stacked: ${counts} characters per line`);
        if (el.classList.contains('reason-effect') && counts.length !== 1) problems.push(`"${text}" on ${counts.length} lines`);
      }
    }
    return problems;
  });
}

describe('README quick start: the <vigil-warning> snippet as written', () => {
  test('the snippets are in the README', () => {
    assert.ok(WIDGET, 'an ```html block with <vigil-warning id="warning">');
    assert.ok(WIDGET.includes(BARE_IMPORT), 'the widget snippet imports the bare specifier');
    assert.ok(IMPORT_MAP, 'the widget snippet has an import map');
    assert.ok(API, "an ```html block importing from '@vigil-ml/web'");
    assert.ok(EXACT_PATH, 'the README names the exact path for pages without an import map');
  });

  test('runs without a page error (no ReferenceError), gives a verdict, and the sign button follows it', async () => {
    const { page, pageErrors, consoleErrors, warnings } = await open(WIDGET);
    assert.equal(await signDisabled(page), true, 'signing is blocked before a verdict');
    await page.waitForSelector('#warning[state="ready"]');
    assert.equal(await page.getAttribute('#warning', 'level'), 'safe');
    assert.match(await page.locator('#warning .title').textContent(), /Looks safe/);
    assert.equal(await signDisabled(page), false, 'a safe verdict enables signing');
    assert.deepEqual(await events(page), [{ type: 'vigil-verdict', level: 'safe' }]);

    await showSample(page, 'phishing-drop');
    assert.equal(await page.getAttribute('#warning', 'level'), 'danger');
    assert.equal(await signDisabled(page), true, 'danger blocks signing');
    await page.check('#acknowledge');
    assert.equal(await signDisabled(page), false, 'acknowledging unblocks it');
    await page.uncheck('#acknowledge');
    assert.equal(await signDisabled(page), true);

    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(warnings, []);
    await page.close();
  });

  test('a safe verdict lists what lowered the risk, a danger one what raised it', async () => {
    const { page, pageErrors } = await open(WIDGET);
    await page.waitForSelector('#warning[state="ready"]');
    const safe = await reasons(page);
    assert.equal(safe.level, 'safe');
    assert.ok(safe.bits.length > 0, 'the safe verdict has reasons');
    assert.ok(safe.bits.every((b) => b < 0), `safe: every reason lowers the score: ${safe.bits}`);
    assert.ok(safe.effects.every((t) => /^Lowers the risk/.test(t)), safe.effects.join(' | '));
    assert.equal(safe.listLabel, 'What lowered the risk');
    assert.equal(safe.hidden, false);
    assert.deepEqual(
      safe.bits,
      [...safe.bits].sort((a, b) => a - b),
      'the most lowering first',
    );

    for (const id of ['phishing-drop', 'borderline']) {
      await showSample(page, id);
      const risky = await reasons(page);
      assert.notEqual(risky.level, 'safe', id);
      assert.ok(risky.bits.length > 0, id);
      assert.ok(risky.bits.every((b) => b > 0), `${id} (${risky.level}): every reason raises the score: ${risky.bits}`);
      assert.ok(risky.effects.every((t) => /^Raises the risk/.test(t)), risky.effects.join(' | '));
      assert.equal(risky.listLabel, 'What raised the risk');
    }

    // Every sample: the reasons go the verdict's way.
    for (const { id } of SAMPLES.samples) {
      await showSample(page, id);
      const r = await reasons(page);
      const ok = r.level === 'safe' ? r.bits.every((b) => b < 0) : r.bits.every((b) => b > 0);
      assert.ok(ok, `${id} (${r.level}): ${r.bits}`);
    }
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  test('at 360 px no reason is clipped and no name or value is stacked one character per line', async () => {
    const { page, pageErrors } = await open(WIDGET, { viewport: { width: 360, height: 800 } });
    await page.waitForSelector('#warning[state="ready"]');
    await reasons(page);
    assert.deepEqual(await layoutProblems(page), [], 'as written (the card labels)');
    await page.screenshot({ path: join(ARTIFACTS, 'readme-360-safe.png'), fullPage: true });

    // Raw snake_case names (no labels), all 38 reasons, every sample account.
    await page.evaluate(async () => {
      const w = document.getElementById('warning');
      w.featureLabels = null;
      w.setAttribute('max-reasons', '38');
      await w.updated();
    });
    const all = [];
    for (const { id } of SAMPLES.samples) {
      await showSample(page, id);
      await reasons(page);
      for (const p of await layoutProblems(page)) all.push(`${id}: ${p}`);
      if (id === 'phishing-drop') await page.screenshot({ path: join(ARTIFACTS, 'readme-360-raw-names.png'), fullPage: true });
    }
    assert.deepEqual(all, []);

    // The longest names and values at once: a record of long figures.
    await page.evaluate(async () => {
      const w = document.getElementById('warning');
      w.features = Object.fromEntries(w.featureNames.map((n, i) => [n, i % 2 ? '-15605352.04' : '123456789012.123456']));
      await w.updated();
    });
    await reasons(page);
    assert.deepEqual(await layoutProblems(page), [], 'long values');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});

describe('README quick start: failing visibly, never silently open', () => {
  test('without the import map the bare import cannot load: the fallback text shows and signing stays blocked', async () => {
    const body = WIDGET.replace(IMPORT_MAP, '');
    assert.notEqual(body, WIDGET);
    const { page, pageErrors } = await open(body);
    await until(() => pageErrors.length > 0, 'the module error');
    assert.match(pageErrors.join('\n'), /Failed to resolve module specifier "@vigil-ml\/web\/widget"/);
    // The snippet's own wiring still ran: the model card is applied.
    await page.waitForFunction(() => document.getElementById('warning').featureNames?.length === 38);
    assert.equal(await page.evaluate(() => customElements.get('vigil-warning')), undefined);
    const box = await page.locator('#warning').boundingBox();
    assert.ok(box && box.height >= 10 && box.width >= 100, `the element's text takes room: ${JSON.stringify(box)}`);
    assert.match(await page.locator('#warning').innerText(), /could not load/);
    assert.equal(await page.locator('#warning').isVisible(), true);
    assert.equal(await signDisabled(page), true, 'signing stays blocked');
    await page.check('#acknowledge');
    assert.equal(await signDisabled(page), false, 'the user can acknowledge and go on');
    await page.screenshot({ path: join(ARTIFACTS, 'readme-no-import-map.png') });
    assert.equal(pageErrors.length, 1, pageErrors.join('\n'));
    await page.close();
  });

  test("the README's exact path works without an import map", async () => {
    const body = WIDGET.replace(IMPORT_MAP, '').replace(BARE_IMPORT, `import '${EXACT_PATH}';`);
    const { page, pageErrors, consoleErrors } = await open(body);
    await page.waitForSelector('#warning[state="ready"]');
    assert.equal(await page.getAttribute('#warning', 'level'), 'safe');
    assert.equal(await signDisabled(page), false);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  /** The error state, visible, with the vigil-error event, and signing blocked. */
  async function assertVisibleError(page, warnings, { code, detail }) {
    await page.waitForSelector('#warning[state="error"]');
    assert.equal(await page.getAttribute('#warning', 'level'), null);
    assert.equal(await page.locator('#warning .title').textContent(), 'Could not check this recipient');
    assert.match(await page.locator('#warning .detail').textContent(), detail);
    assert.match(await page.locator('#warning [role="alert"]').textContent(), /Could not check this recipient/);
    const box = await page.locator('#warning .card').boundingBox();
    assert.ok(box && box.height > 40 && box.width > 200, `the error card is visible: ${JSON.stringify(box)}`);
    const fired = (await events(page)).filter((e) => e.type === 'vigil-error');
    assert.ok(fired.length >= 1, 'vigil-error fired');
    assert.ok(fired.every((e) => e.code === code && detail.test(e.message)), JSON.stringify(fired));
    assert.ok(warnings.some((w) => detail.test(w)), "the snippet's vigil-error listener ran");
    assert.equal(await signDisabled(page), true, 'signing stays blocked');
    await page.check('#acknowledge');
    assert.equal(await signDisabled(page), false, 'the user can acknowledge and go on');
  }

  const FAILURES = [
    {
      name: 'the engine module is missing (dist/index.js 404)',
      route: (page) => page.route('**/dist/index.js', (r) => r.fulfill({ status: 404, body: 'not found' })),
      code: 'ENGINE',
      detail: /cannot load the Vigil engine/,
    },
    {
      name: "the engine's wasm module is missing (dist/wasm/inline.js 404)",
      route: (page) => page.route('**/dist/wasm/inline.js', (r) => r.fulfill({ status: 404, body: 'not found' })),
      code: 'ENGINE',
      detail: /cannot load the Vigil engine/,
    },
    {
      name: "a Content-Security-Policy without 'wasm-unsafe-eval'",
      headers: { 'content-security-policy': "script-src 'self' 'unsafe-inline'" },
      code: 'ENGINE',
      detail: /cannot start the Vigil engine/,
    },
    {
      name: 'the model URL fails (404)',
      route: (page) => page.route('**/models/eth-fraud.vgl', (r) => r.fulfill({ status: 404, body: 'not found' })),
      code: 'BAD_ARGUMENT',
      detail: /could not fetch the model from .*HTTP 404/,
    },
    {
      name: 'the model URL serves something else (an HTML page)',
      route: (page) =>
        page.route('**/models/eth-fraud.vgl', (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><p>login</p>' })),
      code: 'MALFORMED_MODEL',
      detail: /malformed model/,
    },
  ];

  for (const f of FAILURES) {
    test(`${f.name}: a visible error state and vigil-error`, async () => {
      const { page, pageErrors, warnings } = await open(WIDGET, { route: f.route, headers: f.headers });
      await assertVisibleError(page, warnings, f);
      assert.deepEqual(pageErrors, [], 'no uncaught error');
      await page.screenshot({ path: join(ARTIFACTS, `readme-error-${f.code.toLowerCase()}.png`) });
      await page.close();
    });
  }
});

describe('README quick start: the API snippet as written', () => {
  test('runs without a page error', async () => {
    const { page, pageErrors, consoleErrors } = await open(IMPORT_MAP + API);
    await page.waitForLoadState('networkidle');
    // Nothing visible to wait for: give the module time to finish, then check.
    await page.waitForTimeout(500);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  test('its comments say what it computes', async () => {
    // The one edit: the snippet's last line hands its values to the test.
    const body = (IMPORT_MAP + API).replace(
      /<\/script>\n$/,
      'globalThis.snippet = { result, info: model.info(), level: riskLevel(result, model.info()), top: topContributions(result, 3), lowers: topContributions(result, 3, { direction: "lowers" }) };\n</script>\n',
    );
    const { page, pageErrors } = await open(body);
    await page.waitForFunction(() => globalThis.snippet);
    const s = await page.evaluate(() => globalThis.snippet);
    const bits = Number(API.match(/result\.scoreBits;\s*\/\/ (\d+)/)[1]);
    assert.equal(s.result.scoreBits, bits);
    assert.equal(s.result.score, bits / 2 ** 31);
    assert.ok(String(s.result.score).startsWith(API.match(/result\.score;\s*\/\/ ([\d.]+)…/)[1]));
    assert.equal(s.result.label, true);
    assert.equal(s.result.contributions.length, 38);
    assert.equal(s.level, API.match(/riskLevel\(result, model\.info\(\)\);\s*\/\/ '(\w+)'/)[1]);
    assert.equal(s.top.length, 3);
    assert.ok(s.top.every((c) => c.bits > 0));
    assert.equal(s.lowers.length, 3);
    assert.ok(s.lowers.every((c) => c.bits < 0));
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});
