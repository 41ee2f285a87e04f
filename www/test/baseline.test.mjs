// The baselines in Node: the browser engine's `Baselines` (the core's
// `baseline` module compiled to wasm) derives exactly the features of the
// golden logs (fixtures/baseline-golden.json, written from the native core
// and held to it by `cargo test -p vigil-web --test baseline_golden`), and
// its decimal strings are the exact values of those Q16 integers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WWW } from '../scripts/serve.mjs';

const golden = JSON.parse(readFileSync(join(WWW, 'fixtures/baseline-golden.json'), 'utf8'));
const { Baselines, DERIVED_NAMES, Q16_ONE, q16ToDecimal, decimalToQ16 } = await import('../dist/baseline.js');
const { VigilError } = await import('../dist/index.js');

/** The exact value of a decimal string as a fraction over 2^16, or null when it is not a multiple of 2^-16. */
function q16Of(s) {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(s);
  assert.ok(m, s);
  const frac = m[3] ?? '';
  const num = BigInt(m[2] + frac) * 65536n;
  const den = 10n ** BigInt(frac.length);
  assert.equal(num % den, 0n, `${s} is not a multiple of 2^-16`);
  assert.ok(!frac.endsWith('0'), `${s}: trailing zero`);
  const v = num / den;
  return Number(m[1] ? -v : v);
}

function row(log, r) {
  const [kind, height, value, total_value, price, caller, paid, derived] = r;
  return { action: { kind: log.kinds[kind], value, total_value, price, caller: log.callers[caller] }, height, paid, derived };
}

test('the golden logs, action by action, in the contract order', () => {
  // The core's names, as the golden file has them.
  assert.deepEqual(golden.derived_names, [...DERIVED_NAMES]);
  let n = 0;
  for (const log of golden.logs) {
    const p = log.params;
    assert.equal(decimalToQ16(p.max_rise), p.max_rise_q16, `${log.name}: max_rise`);
    const b = Baselines.fromSettings({ ...p, kinds: log.kinds });
    // The same parameters in Q16 give the same baselines.
    const q = new Baselines(log.kinds, { windowBlocks: BigInt(p.window_blocks), alphaShift: p.alpha_shift, maxRise: p.max_rise_q16, warmupWindows: p.warmup_windows });
    for (const [i, r] of log.actions.entries()) {
      const { action, height, paid, derived } = row(log, r);
      const preview = b.preview(action, height);
      assert.deepEqual(preview.q16, derived, `${log.name} action ${i}: preview`);
      const got = b.observe(action, height, paid);
      assert.deepEqual(got.q16, derived, `${log.name} action ${i}`);
      assert.deepEqual(got.values.map(q16Of), derived, `${log.name} action ${i}: decimal strings`);
      assert.deepEqual(got.names, DERIVED_NAMES);
      // Amounts as bigints, no price as undefined: the same.
      const big = { ...action, value: BigInt(action.value), total_value: BigInt(action.total_value), price: action.price === null ? undefined : BigInt(action.price) };
      assert.deepEqual(q.observe(big, BigInt(height), paid).q16, derived, `${log.name} action ${i}: bigints`);
      n++;
    }
    for (const kind of log.kinds) {
      assert.equal(b.windows(kind), q.windows(kind));
      assert.ok(b.windows(kind) > p.warmup_windows, `${log.name} ${kind}: ${b.windows(kind)} windows`);
      assert.equal(b.warm(kind), true);
    }
    b.free();
    q.free();
    assert.throws(() => b.windows(log.kinds[0]), { code: 'FREED' });
  }
  assert.equal(n, golden.logs.reduce((k, l) => k + l.actions.length, 0));
  assert.ok(n > 500, `${n} actions`);
});

test('preview records nothing; observe records only paid actions', () => {
  const log = golden.logs.find((l) => l.name === 'vault');
  const settings = { ...log.params, kinds: log.kinds };
  const a = Baselines.fromSettings(settings);
  const b = Baselines.fromSettings(settings);
  const rows = log.actions.map((r) => row(log, r));
  for (const r of rows.slice(0, 300)) {
    a.observe(r.action, r.height, r.paid);
    // b sees every action twice as a preview and once observed.
    b.preview(r.action, r.height);
    b.preview(r.action, r.height);
    b.observe(r.action, r.height, r.paid);
  }
  const next = rows[300];
  assert.deepEqual(b.observe(next.action, next.height, next.paid).q16, a.observe(next.action, next.height, next.paid).q16);
  // An unpaid action changes nothing that a paid one would: observe it
  // unpaid on one copy, not at all on the other, and the next derivations agree.
  const c = Baselines.fromSettings(settings);
  const d = Baselines.fromSettings(settings);
  for (const r of rows.slice(0, 300)) {
    c.observe(r.action, r.height, r.paid);
    d.observe(r.action, r.height, r.paid);
  }
  const burst = { ...next.action, value: '1000000000', caller: 'wasm1someoneelse' };
  c.observe(burst, next.height, false);
  assert.deepEqual(c.preview(next.action, next.height).q16, d.preview(next.action, next.height).q16);
  c.observe(burst, next.height, true);
  assert.notDeepEqual(c.preview(next.action, next.height).q16, d.preview(next.action, next.height).q16);
});

test("the guard's outcomes: paid and released are learned, parked and refused are not", () => {
  const log = golden.logs.find((l) => l.name === 'vault');
  const settings = { ...log.params, kinds: log.kinds };
  const rows = log.actions.map((r) => row(log, r));
  const runs = ['paid', 'released', 'parked', 'refused', true, false].map((outcome) => {
    const b = Baselines.fromSettings(settings);
    // The first 200 actions as in the log, then one big withdrawal with this outcome.
    for (const r of rows.slice(0, 200)) b.observe(r.action, r.height, r.paid);
    b.observe({ ...rows[200].action, value: '900000000' }, rows[200].height, outcome);
    return b.preview(rows[201].action, rows[201].height).q16;
  });
  assert.deepEqual(runs[0], runs[4]);
  assert.deepEqual(runs[1], runs[4]);
  assert.deepEqual(runs[2], runs[5]);
  assert.deepEqual(runs[3], runs[5]);
  assert.notDeepEqual(runs[4], runs[5]);
});

test("decimals as the guard writes and reads them (cosmwasm's SignedDecimal and Decimal)", () => {
  assert.ok(golden.decimals.length > 100);
  for (const [q, want] of golden.decimals) {
    assert.equal(q16ToDecimal(q), want, String(q));
    assert.equal(q16ToDecimal(BigInt(q)), want, String(q));
  }
  assert.ok(golden.max_rise.length > 50);
  for (const [d, want] of golden.max_rise) assert.equal(decimalToQ16(d), want, d);
});

test('exact decimals: Q16 to decimal strings and back', () => {
  assert.equal(Q16_ONE, 65536);
  assert.equal(q16ToDecimal(0), '0');
  assert.equal(q16ToDecimal(65536), '1');
  assert.equal(q16ToDecimal(-32768), '-0.5');
  assert.equal(q16ToDecimal(1), '0.0000152587890625');
  assert.equal(q16ToDecimal(1024 * 65536), '1024');
  for (let i = 0; i < 5000; i++) {
    const v = ((i * 2654435761) | 0) >> (i % 20);
    assert.equal(q16Of(q16ToDecimal(v)), v, String(v));
  }
  assert.equal(decimalToQ16('0.125'), 8192);
  assert.equal(decimalToQ16('0.1'), 6553);
  assert.equal(decimalToQ16('1'), 65536);
  for (const bad of ['', '-0.1', '1e-3', '0,1', '.5', '0.1234567890123456789']) {
    assert.throws(() => decimalToQ16(bad), { code: 'BAD_NUMBER' }, bad);
  }
  assert.throws(() => q16ToDecimal(0.5), { code: 'BAD_ARGUMENT' });
});

test('clear errors', () => {
  const ok = { windowBlocks: 10, alphaShift: 3, maxRise: '0.125', warmupWindows: 4 };
  const bad = (kinds, params, re) => assert.throws(() => new Baselines(kinds, params), (e) => e instanceof VigilError && e.code === 'BAD_ARGUMENT' && re.test(e.message));
  bad(['w'], { ...ok, windowBlocks: 0 }, /window_blocks must be at least 1/);
  bad(['w'], { ...ok, windowBlocks: -1 }, /windowBlocks must be a whole number/);
  bad(['w'], { ...ok, alphaShift: 0 }, /alpha_shift must be from 1 to 16/);
  bad(['w'], { ...ok, alphaShift: 17 }, /alpha_shift must be from 1 to 16/);
  bad(['w'], { ...ok, maxRise: '0' }, /max_rise must be above 0 and at most 1/);
  bad(['w'], { ...ok, maxRise: '1.5' }, /max_rise must be above 0 and at most 1/);
  bad(['w'], { ...ok, maxRise: 0.125 }, /maxRise must be a decimal string \('0.125'\) or an integer in Q16/);
  bad(['w'], { ...ok, maxRise: '12.5%' }, /maxRise: "12.5%" is not a decimal number/);
  bad([], ok, /declare at least one action kind/);
  bad(['w', 'v', 'w'], ok, /kinds: "w" is declared twice/);
  bad([''], ok, /a kind is empty/);
  // A max_rise above zero but below one Q16 unit reads as one unit, as the guard reads it.
  const tiny = new Baselines(['w'], { ...ok, maxRise: '0.000001' });
  const unit = new Baselines(['w'], { ...ok, maxRise: 1 });
  const steady = (b) => {
    for (let h = 0; h < 200; h++) b.observe({ kind: 'w', value: String(1000 + 10 * h), total_value: '1000000', caller: 'wasm1x' }, h, true);
    return b.preview({ kind: 'w', value: '5000', total_value: '1000000', caller: 'wasm1y' }, 200).q16;
  };
  assert.deepEqual(steady(tiny), steady(unit));
  assert.notDeepEqual(steady(new Baselines(['w'], { ...ok, maxRise: 2 })), steady(new Baselines(['w'], { ...ok, maxRise: 1 })));
  const b = new Baselines(['withdraw'], ok);
  const a = { kind: 'withdraw', value: '1000', total_value: '1000000', caller: 'wasm1x' };
  assert.throws(() => b.observe({ ...a, kind: 'borrow' }, 1, true), { code: 'UNKNOWN_KIND', message: 'action kind "borrow" was not declared (kinds: "withdraw")' });
  assert.throws(() => b.observe({ ...a, value: '1.5' }, 1, true), {
    code: 'BAD_NUMBER',
    message: 'value: "1.5" is not a whole number from 0 to 2^128 - 1 (decimal digits, a bigint or a safe integer)',
  });
  assert.throws(() => b.observe({ ...a, total_value: (1n << 128n).toString() }, 1, true), { code: 'BAD_NUMBER', message: /^total_value: / });
  assert.throws(() => b.observe({ ...a, price: -1 }, 1, true), { code: 'BAD_NUMBER', message: /^price: / });
  assert.throws(() => b.observe({ ...a, value: 2 ** 60 }, 1, true), { code: 'BAD_NUMBER' });
  assert.throws(() => b.observe(a, 1.5, true), { code: 'BAD_ARGUMENT', message: /height must be a whole number/ });
  assert.throws(() => b.observe(a, (1n << 64n), true), { code: 'BAD_ARGUMENT', message: /height/ });
  assert.throws(() => b.observe(a, 1, 'yes'), { code: 'BAD_ARGUMENT', message: /paid must be a boolean or an outcome/ });
  assert.throws(() => b.observe(a, 1, 'toString'), { code: 'BAD_ARGUMENT', message: /paid must be a boolean or an outcome/ });
  assert.throws(() => b.observe(a, 1), { code: 'BAD_ARGUMENT', message: /paid must be a boolean or an outcome/ });
  // A refused action changes nothing.
  const fresh = new Baselines(['withdraw'], ok);
  assert.deepEqual(b.observe(a, 5, true), fresh.observe(a, 5, true));
});
