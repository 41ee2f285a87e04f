// The package in Node (same engine, no browser): every golden vector is
// bit-identical here too, and the engine starts synchronously.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { WWW } from '../scripts/serve.mjs';

const golden = JSON.parse(readFileSync(join(WWW, 'fixtures/golden.json'), 'utf8'));
const { initEngineSync, loadModelSync, loadModel, riskLevel, topContributions, VigilError } = await import('../dist/index.js');

test('golden vectors in Node', () => {
  initEngineSync();
  let n = 0;
  for (const m of golden.models) {
    const model = loadModelSync(Buffer.from(m.blob_base64, 'base64'), m.feature_names ? { featureNames: m.feature_names } : {});
    for (const c of m.cases) {
      const r = model.score(c.inputs);
      assert.equal(r.scoreBits, c.score_bits, `${m.name} ${c.inputs}`);
      assert.equal(r.label, c.label);
      assert.deepEqual(r.contributions.map((x) => x.bits), c.contributions_bits ?? []);
      assert.equal(riskLevel(r, model.info()), c.level);
      n++;
    }
    for (const c of m.refused) {
      assert.throws(() => model.score(c.inputs), (e) => e instanceof VigilError && e.code === c.error.code && e.message.endsWith(c.error.message));
      n++;
    }
    model.free();
    assert.throws(() => model.score(m.cases[0].inputs), /freed/);
  }
  for (const m of golden.malformed) {
    assert.throws(() => loadModelSync(Buffer.from(m.blob_base64, 'base64')), { code: 'MALFORMED_MODEL', message: `malformed model: ${m.message}` });
    n++;
  }
  assert.equal(n, golden.models.reduce((k, m) => k + m.cases.length + m.refused.length, golden.malformed.length));
});

test('info, thresholds and reasons', async () => {
  const m = golden.models.find((x) => x.name === 'eth-fraud-logistic');
  const model = await loadModel(Buffer.from(m.blob_base64, 'base64'), { featureNames: m.feature_names });
  const info = model.info();
  assert.equal(info.family, 'linear');
  assert.equal(info.nFeatures, 38);
  assert.equal(info.checksum, m.checksum);
  assert.equal(info.threshold, m.threshold_bits / 2 ** 31);
  assert.equal(info.explainable, true);
  assert.ok(info.costOps > 0);
  assert.deepEqual(info.featureNames, m.feature_names);

  const c = m.cases.find((x) => x.level === 'danger');
  const r = model.score(c.inputs);
  assert.equal(riskLevel(r, info, { danger: 1 }), r.scoreBits >= m.caution_bits ? 'caution' : 'safe');
  assert.equal(riskLevel(r, info, { caution: 0, danger: 1 }), 'caution');
  const top = topContributions(r, 3);
  assert.equal(top.length, 3);
  assert.ok(top[0].bits >= top[1].bits && top[1].bits >= top[2].bits && top[2].bits > 0);
  assert.equal(top[0].name, m.feature_names[top[0].feature]);
  assert.throws(() => riskLevel(r, info, { danger: 2 }), { code: 'BAD_ARGUMENT' });
  assert.throws(() => loadModelSync(Buffer.from(m.blob_base64, 'base64'), { featureNames: ['a'] }), /featureNames has 1 names/);
});

test('inputs of any length and character, across growth of the engine memory', () => {
  initEngineSync();
  const m = golden.models.find((x) => x.name === 'eth-fraud-logistic');
  const blob = Buffer.from(m.blob_base64, 'base64');
  const a = loadModelSync(blob);
  const b = loadModelSync(blob);
  const c = m.cases[0];
  const want = a.score(c.inputs).scoreBits;
  assert.equal(want, c.score_bits);
  // A value longer than the input buffer grows it; the value is exact.
  const long = [...c.inputs];
  long[0] = `${c.inputs[0]}${c.inputs[0].includes('.') ? '' : '.'}${'0'.repeat(50_000)}`;
  assert.equal(b.score(long).scoreBits, want);
  // Megabytes: the module's memory grows, detaching every model's view of
  // it; both models still score (and a refusal still names the value).
  long[0] = `${c.inputs[0]}${c.inputs[0].includes('.') ? '' : '.'}${'0'.repeat(4_000_000)}`;
  assert.equal(b.score(long).scoreBits, want);
  assert.equal(a.score(c.inputs).scoreBits, want);
  assert.equal(b.score(c.inputs).scoreBits, want);
  // Non-ASCII characters are refused at their UTF-8 byte position, never
  // mistaken for digits (U+0131 and U+FF11 end in the byte of '1').
  const bad = (value, i = 3) => {
    const row = [...c.inputs];
    row[i] = value;
    return () => a.score(row);
  };
  for (const [value, at] of [['1é', 1], ['\u0131', 0], ['１', 0], ['12\u{1F600}', 2], ['1e5é', 3], ['-é1', 1]]) {
    assert.throws(bad(value), { code: 'BAD_NUMBER', feature: 3, message: `feature 3 = ${JSON.stringify(value)}: invalid character at byte ${at} of number` });
  }
  // A non-ASCII value after a bad count is still a count error; numbers
  // next to non-ASCII strings are converted as before.
  assert.throws(() => a.score([...c.inputs, 'é']), { code: 'FEATURE_COUNT' });
  const mixed = c.inputs.map((v, i) => (i === 0 && /^[0-9]+$/.test(v) ? Number(v) : v));
  mixed[5] = 'x\u00e9';
  assert.throws(() => a.score(mixed), { code: 'BAD_NUMBER', feature: 5, message: /invalid character at byte 0/ });
  a.free();
  b.free();
});

test('the inlined engine: inflates to the shipped wasm', async () => {
  const { engineWasm, ENGINE_SHA256 } = await import('../dist/index.js');
  const wasm = engineWasm();
  assert.equal(createHash('sha256').update(wasm).digest('hex'), ENGINE_SHA256);
  assert.deepEqual(wasm, new Uint8Array(readFileSync(join(WWW, 'dist/wasm/vigil_web_bg.wasm'))));
});

test('inflateRaw: every block type, and corrupt data refused', async () => {
  const { inflateRaw } = await import('../dist/inflate.js');
  const wasm = readFileSync(join(WWW, 'dist/wasm/vigil_web_bg.wasm'));
  let seed = 7;
  const noise = Buffer.from(Array.from({ length: 70_000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24)));
  const text = Buffer.from('vigil '.repeat(20_000) + 'x'.repeat(300));
  for (const data of [wasm, noise, text, Buffer.alloc(0), Buffer.from([42])]) {
    for (const options of [{ level: 0 }, { level: 1 }, { level: 9 }, { level: 9, strategy: zlib.constants.Z_FIXED }, { strategy: zlib.constants.Z_HUFFMAN_ONLY }]) {
      const packed = zlib.deflateRawSync(data, options);
      assert.deepEqual(inflateRaw(packed, data.length), new Uint8Array(data), JSON.stringify(options));
    }
  }
  const packed = zlib.deflateRawSync(wasm, { level: 9 });
  assert.throws(() => inflateRaw(packed.subarray(0, packed.length >> 1), wasm.length), /corrupt deflate data/);
  assert.throws(() => inflateRaw(packed, wasm.length - 1), /corrupt deflate data/);
  assert.throws(() => inflateRaw(packed, wasm.length + 1), /corrupt deflate data/);
  assert.throws(() => inflateRaw(Buffer.from([0xff, 0xff, 0xff]), 10), /corrupt deflate data/);
});

test('init() in a fresh Node process: the engine starts asynchronously too', () => {
  const m = golden.models.find((x) => x.name === 'eth-fraud-logistic');
  const c = m.cases[0];
  const script = `
    const { init, loadModel } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
    await init();
    const model = await loadModel(Buffer.from(${JSON.stringify(m.blob_base64)}, 'base64'));
    process.stdout.write(String(model.score(${JSON.stringify(c.inputs)}).scoreBits));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(Number(out), c.score_bits);
});
