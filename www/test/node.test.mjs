// The package in Node (same engine, no browser): every golden vector is
// bit-identical here too, and the engine starts synchronously.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
