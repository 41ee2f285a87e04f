// Real-browser tests: Debian's headless Chromium driven by playwright-core.
// Needs `npm run build` first (www/scripts/test.sh builds, then runs these).
//
// - the demo loads and shows a verdict (screenshot: test-results/demo.png);
// - every golden vector (fixtures/golden.json, computed by the NATIVE core)
//   scores bit-identically in the browser: score bits, label, every
//   contribution, and the refused inputs' error codes and messages;
// - the widget shows the right level for every golden vector;
// - malformed models (and a missing model URL) show an error state;
// - keyboard navigation works;
// - the widget makes no request but the model URL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, WWW } from '../scripts/serve.mjs';
import { launch } from './support/browser.mjs';

const ARTIFACTS = join(WWW, 'test-results');
const golden = JSON.parse(readFileSync(join(WWW, 'fixtures/golden.json'), 'utf8'));
const baselineGolden = JSON.parse(readFileSync(join(WWW, 'fixtures/baseline-golden.json'), 'utf8'));

let server;
let browser;

before(async () => {
  if (!existsSync(join(WWW, 'dist/index.js'))) throw new Error('dist/ missing: run `npm run build` first');
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await serve();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that fails the test on any uncaught error or console error. */
async function openPage(path, { viewport = { width: 1200, height: 900 } } = {}) {
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(`${server.url}${path}`);
  return { page, problems };
}

describe('demo page', () => {
  test('loads, shows a verdict, and reacts to another sample', async () => {
    const { page, problems } = await openPage('/demo/');
    await page.waitForSelector('html[data-ready="true"]');
    await page.waitForSelector('vigil-warning[state="ready"]');
    assert.equal(await page.getAttribute('vigil-warning', 'level'), 'danger');
    const title = await page.locator('vigil-warning .title').textContent();
    assert.match(title, /Danger/);
    assert.equal(await page.isDisabled('#sign'), true, 'danger blocks signing');
    await page.check('#ack');
    assert.equal(await page.isDisabled('#sign'), false, 'acknowledging unblocks signing');
    assert.match(await page.locator('#model-info').textContent(), /linear/);
    await page.click('vigil-warning button');
    await page.waitForSelector('vigil-warning .reasons li');
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });

    await page.selectOption('#sample', 'defi-regular');
    await page.waitForSelector('vigil-warning[level="safe"]');
    assert.equal(await page.isDisabled('#sign'), false);
    await page.selectOption('#sample', 'borderline');
    await page.waitForSelector('vigil-warning[level="caution"]');

    // Typing a bad number shows the error state and marks the field.
    await page.fill('#f-sent_tnx', '12a');
    await page.waitForSelector('vigil-warning[state="error"]');
    assert.match(await page.locator('vigil-warning .detail').textContent(), /sent_tnx.*invalid character/);
    assert.equal(await page.getAttribute('#f-sent_tnx', 'aria-invalid'), 'true');
    assert.equal(await page.isDisabled('#sign'), true);
    await page.fill('#f-sent_tnx', '3');
    await page.waitForSelector('vigil-warning[state="ready"]');
    await page.screenshot({ path: join(ARTIFACTS, 'demo-widget.png'), clip: await page.locator('.send').boundingBox() });
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe('bit-exactness against the native core (golden vectors)', () => {
  test('every score, label, contribution and refusal matches', async () => {
    const { page, problems } = await openPage('/test/pages/blank.html');
    const report = await page.evaluate(async (doc) => {
      const { loadModel } = await import('/dist/index.js');
      const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const mismatches = [];
      let compared = 0;
      for (const m of doc.models) {
        const options = m.feature_names ? { featureNames: m.feature_names } : {};
        const model = await loadModel(bytes(m.blob_base64), options);
        const info = model.info();
        if (info.checksum !== m.checksum || info.thresholdBits !== m.threshold_bits || info.family !== m.family) {
          mismatches.push(`${m.name}: info ${JSON.stringify(info)}`);
        }
        for (const [i, c] of m.cases.entries()) {
          const inputs = [c.inputs];
          if (m.feature_names) inputs.push(Object.fromEntries(m.feature_names.map((n, j) => [n, c.inputs[j]])));
          for (const input of inputs) {
            const r = model.score(input);
            const bits = r.contributions.map((x) => x.bits);
            const want = c.contributions_bits ?? [];
            if (
              r.scoreBits !== c.score_bits ||
              r.label !== c.label ||
              r.score !== c.score_bits / 2 ** 31 ||
              bits.length !== want.length ||
              bits.some((b, j) => b !== want[j])
            ) {
              mismatches.push(`${m.name} case ${i}: got ${r.scoreBits} ${r.label} [${bits}], want ${c.score_bits} ${c.label} [${want}]`);
            }
            compared++;
          }
        }
        for (const [i, c] of m.refused.entries()) {
          try {
            model.score(c.inputs);
            mismatches.push(`${m.name} refused ${i}: scored`);
          } catch (e) {
            const ok =
              e.name === 'VigilError' &&
              e.code === c.error.code &&
              (c.error.feature === null || e.feature === c.error.feature) &&
              e.message.endsWith(c.error.message);
            if (!ok) mismatches.push(`${m.name} refused ${i}: ${e.code} ${e.feature} ${e.message} vs ${JSON.stringify(c.error)}`);
          }
          compared++;
        }
        model.free();
      }
      for (const m of doc.malformed) {
        try {
          await loadModel(bytes(m.blob_base64));
          mismatches.push(`malformed ${m.name}: loaded`);
        } catch (e) {
          if (e.code !== 'MALFORMED_MODEL' || e.message !== `malformed model: ${m.message}`) {
            mismatches.push(`malformed ${m.name}: ${e.code} ${e.message}`);
          }
        }
        compared++;
      }
      return { mismatches, compared };
    }, golden);
    assert.deepEqual(report.mismatches, []);
    const expected = golden.models.reduce(
      (n, m) => n + m.cases.length * (m.feature_names ? 2 : 1) + m.refused.length,
      golden.malformed.length,
    );
    assert.equal(report.compared, expected);
    console.log(`# ${report.compared} golden comparisons, all bit-identical`);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe('baselines against the native core (fixtures/baseline-golden.json)', () => {
  test('every derived feature of the golden logs matches, as Q16 and as exact decimals', async () => {
    const { page, problems } = await openPage('/test/pages/blank.html');
    const report = await page.evaluate(async (doc) => {
      const { init } = await import('/dist/index.js');
      await init();
      const { Baselines, DERIVED_NAMES } = await import('/dist/baseline.js');
      const mismatches = [];
      let compared = 0;
      if (JSON.stringify(DERIVED_NAMES) !== JSON.stringify(doc.derived_names)) mismatches.push(`names ${DERIVED_NAMES}`);
      // The exact value of a decimal string, in Q16 (BigInt arithmetic).
      const q16Of = (s) => {
        const m = /^(-?)([0-9]+)(?:\.([0-9]*[1-9]))?$/.exec(s);
        if (!m) return NaN;
        const frac = m[3] ?? '';
        const num = BigInt(m[2] + frac) * 65536n;
        const den = 10n ** BigInt(frac.length);
        if (num % den !== 0n) return NaN;
        return Number(m[1] ? -(num / den) : num / den);
      };
      for (const log of doc.logs) {
        const b = Baselines.fromSettings({ ...log.params, kinds: log.kinds });
        for (const [i, [kind, height, value, total_value, price, caller, paid, want]] of log.actions.entries()) {
          const action = { kind: log.kinds[kind], value, total_value, price, caller: log.callers[caller] };
          const got = b.observe(action, height, paid);
          if (got.q16.some((v, j) => v !== want[j]) || got.values.some((s, j) => q16Of(s) !== want[j])) {
            mismatches.push(`${log.name} action ${i}: got ${got.q16} (${got.values}), want ${want}`);
          }
          compared++;
        }
        b.free();
      }
      return { mismatches, compared };
    }, baselineGolden);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.compared, baselineGolden.logs.reduce((n, l) => n + l.actions.length, 0));
    console.log(`# ${report.compared} golden baseline actions, all bit-identical`);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe('<vigil-warning>', () => {
  test('shows the golden level for every golden vector', async () => {
    const { page, problems } = await openPage('/test/pages/blank.html');
    const wrong = await page.evaluate(async (doc) => {
      await import('/dist/widget.js');
      const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const wrong = [];
      for (const m of doc.models) {
        const el = document.createElement('vigil-warning');
        document.body.append(el);
        el.model = bytes(m.blob_base64);
        for (const [i, c] of m.cases.entries()) {
          el.features = c.inputs;
          await el.updated();
          const level = el.getAttribute('level');
          if (el.state !== 'ready' || level !== c.level || el.result.scoreBits !== c.score_bits) {
            wrong.push(`${m.name} case ${i}: ${el.state} ${level}, want ${c.level}`);
          }
          const title = el.shadowRoot.querySelector('.title').textContent;
          const expect = { safe: /safe/i, caution: /caution/i, danger: /danger/i }[c.level];
          if (!expect.test(title)) wrong.push(`${m.name} case ${i}: title ${title}`);
        }
        el.remove();
      }
      return wrong;
    }, golden);
    assert.deepEqual(wrong, []);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('shows the top reasons of an explainable model, accessibly', async () => {
    const { page } = await openPage('/test/pages/blank.html');
    const state = await page.evaluate(async (doc) => {
      await import('/dist/widget.js');
      const m = doc.models.find((x) => x.name === 'eth-fraud-logistic');
      const c = m.cases.find((x) => x.level === 'danger');
      const el = document.createElement('vigil-warning');
      el.setAttribute('max-reasons', '3');
      el.featureNames = m.feature_names;
      el.featureLabels = { [m.feature_names[6]]: 'Distinct senders' };
      el.model = Uint8Array.from(atob(m.blob_base64), (ch) => ch.charCodeAt(0));
      document.body.append(el);
      el.features = Object.fromEntries(m.feature_names.map((n, j) => [n, c.inputs[j]]));
      await el.updated();
      const root = el.shadowRoot;
      const top = c.contributions_bits
        .map((b, j) => [b, j])
        .filter(([b]) => b > 0)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, 3)
        .map(([, j]) => j);
      return {
        top,
        reasons: el.reasons.map((r) => r.feature),
        items: root.querySelectorAll('.reasons li').length,
        alert: root.querySelector('[role="alert"]').textContent,
        meter: root.querySelector('[role="meter"]').getAttribute('aria-valuetext'),
        toggle: root.querySelector('button').getAttribute('aria-controls'),
        labelled: root.querySelector('section').getAttribute('aria-labelledby'),
      };
    }, golden);
    assert.deepEqual(state.reasons, state.top);
    assert.equal(state.items, 3);
    assert.match(state.alert, /Danger/);
    assert.match(state.meter, /%.*danger/);
    assert.equal(state.toggle, 'reasons');
    assert.equal(state.labelled, 'title');
    await page.close();
  });

  test("takes names, labels and units from the model's metadata section", async () => {
    const { page, problems } = await openPage('/test/pages/blank.html');
    const state = await page.evaluate(async (doc) => {
      await import('/dist/widget.js');
      const m = doc.models.find((x) => x.name === 'eth-fraud-logistic');
      const c = m.cases.find((x) => x.level === 'danger');
      const card = await (await fetch('/fixtures/eth-fraud.json')).json();
      // Units from the card's labels ("Largest amount sent (ETH)" -> ETH).
      const records = card.features.map((f) => ({
        name: f.name,
        label: f.label,
        unit: /\(ETH\)/.test(f.label) ? 'ETH' : /[Mm]inutes/.test(f.label) ? 'min' : '',
      }));
      // The blob with a metadata section (FORMAT.md section 10): flag bit
      // 1, the records, meta_len last; payload length and SHA-256 redone.
      const blob = Uint8Array.from(atob(m.blob_base64), (ch) => ch.charCodeAt(0));
      const enc = new TextEncoder();
      const body = [3, records.length & 255, records.length >> 8];
      const text = (t) => {
        const b = enc.encode(t);
        body.push(b.length, ...b);
      };
      for (const r of records) {
        text(r.name);
        text(r.label);
        text(r.unit);
      }
      const out = new Uint8Array(blob.length + body.length + 4);
      out.set(blob);
      out.set(body, blob.length);
      const view = new DataView(out.buffer);
      view.setUint32(out.length - 4, body.length, true);
      out[7] |= 2;
      view.setUint32(16, out.length - 52, true);
      const signed = new Uint8Array(out.length - 32);
      signed.set(out.subarray(0, 20));
      signed.set(out.subarray(52), 20);
      out.set(new Uint8Array(await crypto.subtle.digest('SHA-256', signed)), 20);

      const el = document.createElement('vigil-warning');
      el.setAttribute('max-reasons', '38');
      el.model = out; // no featureNames, no featureLabels: the model's own
      document.body.append(el);
      // A record by name, in another key order than the model's.
      el.features = Object.fromEntries(records.map((r, j) => [r.name, c.inputs[j]]).reverse());
      await el.updated();
      const root = el.shadowRoot;
      const items = [...root.querySelectorAll('.reasons li')].map((li) => ({
        label: li.querySelector('.reason-label').textContent,
        input: li.querySelector('.reason-input').textContent,
        aria: li.getAttribute('aria-label'),
      }));
      const info = el.loadedModel.info();
      const first = { state: el.state, level: el.getAttribute('level'), bits: el.result.scoreBits, items, info };
      // The page's labels still win over the model's.
      el.featureLabels = { [records[el.reasons[0].feature].name]: 'Page label' };
      await el.updated();
      return { first, records, want: c, override: el.reasons[0].label };
    }, golden);
    const { first, records, want } = state;
    assert.equal(first.state, 'ready');
    assert.equal(first.level, 'danger');
    assert.equal(first.bits, want.score_bits);
    assert.deepEqual(first.info.featureNames, records.map((r) => r.name));
    assert.deepEqual(first.info.featureLabels, records.map((r) => r.label));
    assert.ok(first.items.length > 0);
    for (const item of first.items) {
      const r = records.find((x) => x.label === item.label);
      assert.ok(r, `reason labelled ${item.label}: not a stored label`);
      const value = want.inputs[records.indexOf(r)];
      assert.equal(item.input, r.unit ? `${value} ${r.unit}` : value);
      assert.match(item.aria, new RegExp(`^${item.label.replace(/[()]/g, '\\$&')}: `));
    }
    assert.ok(first.items.some((i) => / ETH$/.test(i.input)), 'some reason shows its unit');
    assert.equal(state.override, 'Page label');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('malformed models show an error state', async () => {
    const { page } = await openPage('/test/pages/blank.html');
    const results = await page.evaluate(async (doc) => {
      await import('/dist/widget.js');
      const out = [];
      for (const m of doc.malformed) {
        const el = document.createElement('vigil-warning');
        document.body.append(el);
        el.model = Uint8Array.from(atob(m.blob_base64), (c) => c.charCodeAt(0));
        el.features = ['1'];
        await el.updated();
        out.push({
          name: m.name,
          want: m.message,
          state: el.getAttribute('state'),
          level: el.getAttribute('level'),
          alert: el.shadowRoot.querySelector('[role="alert"]').textContent,
          code: el.error?.code,
        });
        el.remove();
      }
      // A model URL that does not exist.
      const el = document.createElement('vigil-warning');
      el.setAttribute('model', '/fixtures/no-such-model.vgl');
      el.setAttribute('features', '["1"]');
      document.body.append(el);
      await el.updated();
      out.push({ name: '404', want: 'HTTP 404', state: el.getAttribute('state'), level: el.getAttribute('level'), alert: el.shadowRoot.querySelector('[role="alert"]').textContent });
      return out;
    }, golden);
    for (const r of results) {
      assert.equal(r.state, 'error', r.name);
      assert.equal(r.level, null, r.name);
      assert.ok(r.alert.includes(r.want), `${r.name}: ${r.alert}`);
      if (r.code) assert.equal(r.code, 'MALFORMED_MODEL');
    }
    await page.close();

    // The demo with a malformed model.
    const demo = await browser.newPage();
    await demo.goto(`${server.url}/demo/?model=/fixtures/golden.json`);
    await demo.waitForSelector('vigil-warning[state="error"]');
    assert.match(await demo.locator('vigil-warning [role="alert"]').textContent(), /malformed model: not a Vigil model/);
    assert.equal(await demo.isDisabled('#sign'), true);
    await demo.screenshot({ path: join(ARTIFACTS, 'demo-malformed-model.png') });
    await demo.close();
  });

  test('keyboard: Tab reaches the toggle, Enter/arrows/Home/End/Escape work', async () => {
    const { page, problems } = await openPage('/demo/');
    await page.waitForSelector('vigil-warning[state="ready"]');
    const focused = () =>
      page.evaluate(() => {
        const a = document.activeElement;
        if (a?.tagName !== 'VIGIL-WARNING') return a?.id || a?.tagName || null;
        const inner = a.shadowRoot.activeElement;
        if (!inner) return 'vigil-warning';
        if (inner.tagName === 'BUTTON') return 'toggle';
        return `reason-${[...inner.parentElement.children].indexOf(inner)}`;
      });
    const expanded = () => page.locator('vigil-warning button').getAttribute('aria-expanded');
    const listHidden = () => page.evaluate(() => document.querySelector('vigil-warning').shadowRoot.querySelector('.reasons').hidden);

    // Start sequential navigation just before the widget.
    await page.click('#send-heading');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'toggle');
    assert.equal(await expanded(), 'false');
    await page.keyboard.press('Enter');
    assert.equal(await expanded(), 'true');
    assert.equal(await listHidden(), false);
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'reason-0');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'reason-1');
    await page.keyboard.press('End');
    assert.equal(await focused(), 'reason-2');
    await page.keyboard.press('Home');
    assert.equal(await focused(), 'reason-0');
    await page.keyboard.press('ArrowUp');
    assert.equal(await focused(), 'toggle');
    await page.keyboard.press('Escape');
    assert.equal(await expanded(), 'false');
    assert.equal(await listHidden(), true);
    await page.keyboard.press(' ');
    assert.equal(await expanded(), 'true');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Escape');
    assert.equal(await focused(), 'toggle', 'Escape returns focus to the toggle');
    assert.equal(await expanded(), 'false');
    // Collapsed, ArrowDown on the toggle opens the list at the first reason.
    await page.keyboard.press('ArrowDown');
    assert.equal(await expanded(), 'true');
    assert.equal(await focused(), 'reason-0');
    // Tab leaves the widget to the next control of the page.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'ack');
    assert.deepEqual(problems, []);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-keyboard.png') });
    await page.close();
  });

  test('requests nothing but the page, its modules and the model URL', async () => {
    const page = await browser.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(`${server.url}/test/pages/blank.html`);
    await page.evaluate(async () => {
      await import('/dist/widget.js');
      const el = document.createElement('vigil-warning');
      el.setAttribute('model', '/fixtures/eth-fraud.vgl');
      el.setAttribute('features', JSON.stringify(new Array(38).fill('0')));
      document.body.append(el);
      await el.updated();
      if (el.state !== 'ready') throw new Error(`state ${el.state}: ${el.error?.message}`);
    });
    assert.deepEqual(requests.sort(), [
      '/dist/index.js',
      '/dist/inflate.js',
      '/dist/wasm/inline.js',
      '/dist/wasm/vigil_web.js',
      '/dist/widget.js',
      '/fixtures/eth-fraud.vgl',
      '/test/pages/blank.html',
    ]);
    await page.close();
  });
});

describe('API errors in the browser', () => {
  test('are VigilErrors with codes and clear messages', async () => {
    const { page } = await openPage('/test/pages/blank.html');
    const errors = await page.evaluate(async () => {
      const { loadModel, VigilError } = await import('/dist/index.js');
      const blob = new Uint8Array(await (await fetch('/fixtures/eth-fraud.vgl')).arrayBuffer());
      const card = await (await fetch('/fixtures/eth-fraud.json')).json();
      const names = card.features.map((f) => f.name);
      const model = await loadModel(blob, { featureNames: names });
      const unnamed = await loadModel(blob);
      const row = new Array(38).fill('1');
      const record = Object.fromEntries(names.map((n) => [n, '1']));
      const attempt = (f) => {
        try {
          f();
          return null;
        } catch (e) {
          return { isVigil: e instanceof VigilError, code: e.code, feature: e.feature, featureName: e.featureName, message: e.message };
        }
      };
      return {
        count: attempt(() => model.score(row.slice(1))),
        bad: attempt(() => model.score(row.map((v, i) => (i === 4 ? '1.2.3' : v)))),
        comma: attempt(() => model.score(row.map((v, i) => (i === 2 ? '1,000' : v)))),
        nan: attempt(() => model.score(row.map((v, i) => (i === 0 ? Number.NaN : v)))),
        nul: attempt(() => model.score(row.map((v, i) => (i === 7 ? null : v)))),
        unknown: attempt(() => model.score({ ...record, sent_txn: '1' })),
        missing: attempt(() => {
          const r = { ...record };
          delete r.sent_tnx;
          model.score(r);
        }),
        noNames: attempt(() => unnamed.score(record)),
        notBytes: await loadModel('VGLM').then(() => null, (e) => ({ code: e.code, message: e.message })),
        numbers: model.score(row.map(Number)).scoreBits === model.score(row).scoreBits,
        bigint: model.score(row.map(BigInt)).scoreBits === model.score(row).scoreBits,
      };
    });
    assert.equal(errors.count.code, 'FEATURE_COUNT');
    assert.equal(errors.count.message, 'wrong feature count: model takes 38, got 37');
    assert.equal(errors.bad.code, 'BAD_NUMBER');
    assert.equal(errors.bad.feature, 4);
    assert.equal(errors.bad.featureName, 'received_tnx');
    assert.equal(errors.bad.message, 'feature 4 (received_tnx) = "1.2.3": invalid character at byte 3 of number');
    assert.equal(errors.comma.code, 'BAD_NUMBER');
    assert.equal(errors.comma.feature, 2);
    assert.match(errors.comma.message, /invalid character at byte 1 .*no digit separators/);
    assert.match(errors.nan.message, /feature 0 .* = "NaN": not a finite number/);
    assert.match(errors.nul.message, /feature 7 \(unique_sent_to_addresses\): expected a decimal string, got null/);
    assert.equal(errors.unknown.code, 'UNKNOWN_FEATURE');
    assert.match(errors.unknown.message, /unknown feature name "sent_txn"/);
    assert.equal(errors.missing.code, 'MISSING_FEATURE');
    assert.match(errors.missing.message, /missing 1 of 38 features: "sent_tnx"/);
    assert.equal(errors.noNames.code, 'NO_FEATURE_NAMES');
    assert.equal(errors.notBytes.code, 'BAD_ARGUMENT');
    assert.ok(errors.numbers && errors.bigint);
    for (const e of Object.values(errors)) if (e && typeof e === 'object') assert.ok(e.isVigil !== false);
    await page.close();
  });
});
