// The chain client against a stand-in for CosmJS's CosmWasmClient that
// answers like a guard contract (the contract's own tests cover the
// contract; this covers the client: queries, raw key, hash check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WWW } from '../scripts/serve.mjs';

const { GuardClient, fetchGuardModel, MAX_BLOB_CHUNKS } = await import('../dist/chain.js');
const golden = JSON.parse(readFileSync(join(WWW, 'fixtures/golden.json'), 'utf8'));
const entry = golden.models.find((m) => m.name === 'eth-fraud-logistic');
const blob = new Uint8Array(Buffer.from(entry.blob_base64, 'base64'));
const ADDR = 'wasm1guardxyz';
/** The guard's `config` answer (GuardConfigResponse). */
const CONFIG = {
  admin: 'wasm1admin',
  governor: 'wasm1governor',
  install_sequence: 2,
  n_features: 38,
  max_inference_ops: 1000000,
  max_check_gas: 100000,
  paused_check: 'deny',
  paused: false,
  active_version: 3,
};

const VAULT = 'wasm1vault';
/** The guard's `protected` answer: `ProtectedSettings::with_kinds(["withdraw", "borrow"], "uatom")`. */
const PROTECTED = {
  contract: VAULT,
  settings: {
    kinds: ['withdraw', 'borrow'],
    unit: 'uatom',
    window_blocks: 10,
    alpha_shift: 3,
    max_rise: '0.125',
    warmup_windows: 144,
    outflow_rule: { share: '0.1', response: 'deny' },
    denial_rule: { count: 3, response: 'delay' },
    score_rule: { level: '0.8', min_actions: 5, response: 'cap' },
    cooldown_blocks: 600,
    half_open_blocks: 600,
    half_open_cap: '0.02',
    delay_blocks: 100,
    guardian: null,
  },
  pending: null,
  observe_gas: { setup: 60000, storage: 20000, compute: 16000 },
  breaker: { status: 'closed', window: 7, outflow: '0', actions: 0, denials: 0, trips: 0 },
};
const VERDICT = {
  verdict: { delay: { release_at: 1234 } },
  score: '0.75',
  model_version: 3,
  derived: ['0', '0.0001068115234375', '1', '1', '1', '0', '1'],
  breaker: { open: { until: 1200, rule: 'outflow_share', response: 'delay' } },
};
const BASELINE = {
  windows: 3,
  warm: false,
  mean_log_value: '9.96875',
  sd_log_value: '0.0625',
  calls_per_window: '4.5',
  outflow_per_window: '4500',
  callers_per_window: '3',
  price_average: '0',
  window: 70,
  window_calls: 1,
};

/**
 * A fake guard: model 3 is active; `blobs` by version, answered by
 * `model_blob` in chunks of `chunkBytes` (the contract's are 128 KiB; small
 * ones here test reassembly). `tamper(answer)` may alter a chunk answer.
 */
function fakeGuard({ blobs = { 3: blob }, hash = entry.checksum, chunkBytes = 128 * 1024, tamper = (a) => a } = {}) {
  const calls = [];
  return {
    calls,
    async queryContractSmart(address, msg) {
      calls.push([address, msg]);
      if (address !== ADDR) throw new Error('no such contract');
      if (msg.model) {
        const version = msg.model.version ?? 3;
        if (!blobs[version]) throw new Error(`Generic error: model version ${version} not found`);
        return { version, active: version === 3, hash, family: 'linear', proposer: 'wasm1admin', size: blobs[version].length, cost_ops: 1, cosmwasm_units: 1, check_gas: { setup: 60000, storage: 1, compute: 1 }, metrics: null, test_set_version: null };
      }
      if (msg.model_blob) {
        const version = msg.model_blob.version ?? 3;
        const chunk = msg.model_blob.chunk ?? 0;
        const b = blobs[version];
        if (!b) throw new Error(`Generic error: model version ${version} not found`);
        const chunks = Math.max(1, Math.ceil(b.length / chunkBytes));
        if (chunk >= chunks) throw new Error(`Generic error: chunk ${chunk} out of range`);
        const data = Buffer.from(b.subarray(chunk * chunkBytes, (chunk + 1) * chunkBytes)).toString('base64');
        return tamper({ version, hash, size: b.length, chunk, chunks, data });
      }
      if (msg.config) return CONFIG;
      if (msg.protected) {
        if (msg.protected.contract !== VAULT) throw new Error(`Generic error: ${msg.protected.contract} is not protected`);
        return PROTECTED;
      }
      if (msg.verdict) return { ...VERDICT, derived: [...VERDICT.derived] };
      if (msg.baseline) return BASELINE;
      throw new Error('unknown query');
    },
  };
}

test('loads the active model: its record, then its blob by model_blob, hash checked', async () => {
  const q = fakeGuard();
  const { model, info, blob: got } = await fetchGuardModel(q, ADDR, { featureNames: entry.feature_names });
  assert.equal(info.version, 3);
  assert.deepEqual(got, blob);
  assert.equal(model.info().checksum, entry.checksum);
  assert.deepEqual(q.calls, [
    [ADDR, { model: {} }],
    [ADDR, { model_blob: { version: 3, chunk: 0 } }],
  ]);
  const c = entry.cases[0];
  assert.equal(model.score(c.inputs).scoreBits, c.score_bits);
});

test('a blob in several chunks is reassembled in order', async () => {
  const q = fakeGuard({ chunkBytes: 100 });
  const chunks = Math.ceil(blob.length / 100);
  assert.ok(chunks >= 3, `the fixture blob is ${blob.length} bytes`);
  const { blob: got } = await fetchGuardModel(q, ADDR);
  assert.deepEqual(got, blob);
  assert.deepEqual(
    q.calls.slice(1).map(([, m]) => m.model_blob.chunk),
    [...Array(chunks).keys()],
  );
});

test('a stored version by number', async () => {
  const q = fakeGuard({ blobs: { 3: blob, 1: blob } });
  const { info } = await new GuardClient(q, ADDR).loadModel({ version: 1 });
  assert.equal(info.version, 1);
  assert.deepEqual(q.calls[0], [ADDR, { model: { version: 1 } }]);
  assert.deepEqual(q.calls[1], [ADDR, { model_blob: { version: 1, chunk: 0 } }]);
});

test('refuses a blob whose checksum is not the reported hash', async () => {
  const tampered = createHash('sha256').update('x').digest('hex');
  await assert.rejects(fetchGuardModel(fakeGuard({ hash: tampered }), ADDR), (e) => e.code === 'MALFORMED_MODEL' && /has hash .* but the stored blob's checksum is/.test(e.message));
});

test('clear errors for a short, mislabelled, oversized or corrupted blob and a failing query', async () => {
  const short = fakeGuard({ chunkBytes: 100, tamper: (a) => (a.chunk === 1 ? { ...a, data: a.data.slice(0, 8) } : a) });
  await assert.rejects(fetchGuardModel(short, ADDR), { code: 'MALFORMED_MODEL', message: /bytes received, the guard reports/ });
  const reordered = fakeGuard({ chunkBytes: 100, tamper: (a) => (a.chunk === 2 ? { ...a, chunk: 1 } : a) });
  await assert.rejects(fetchGuardModel(reordered, ADDR), /chunk 2 answered as chunk 1/);
  const other = fakeGuard({ tamper: (a) => ({ ...a, version: 2 }) });
  await assert.rejects(fetchGuardModel(other, ADDR), /the blob answered is of version 2/);
  const huge = fakeGuard({ tamper: (a) => ({ ...a, chunks: MAX_BLOB_CHUNKS + 1 }) });
  await assert.rejects(fetchGuardModel(huge, ADDR), /chunks \(at most 128 accepted\)/);
  const bad = blob.slice();
  bad[bad.length - 1] ^= 1;
  await assert.rejects(fetchGuardModel(fakeGuard({ blobs: { 3: bad } }), ADDR), { code: 'MALFORMED_MODEL', message: 'malformed model: payload checksum mismatch (corrupted blob)' });
  await assert.rejects(fetchGuardModel(fakeGuard(), 'wasm1other'), /guard wasm1other: query `model` failed: no such contract/);
});

test('typed queries pass through', async () => {
  const g = new GuardClient(fakeGuard(), ADDR);
  assert.deepEqual(await g.config(), CONFIG);
  const first = await g.modelBlob(undefined, 0);
  assert.equal(first.size, blob.length);
});

test('the breaker queries: verdict, protected, baseline', async () => {
  const q = fakeGuard();
  const g = new GuardClient(q, ADDR);
  const action = { kind: 'withdraw', value: '1000', total_value: '9000000', price: null, caller: 'wasm1alice', features: [] };
  assert.deepEqual(await g.verdict(VAULT, action), VERDICT);
  assert.deepEqual(await g.protected(VAULT), PROTECTED);
  assert.deepEqual(await g.baseline(VAULT, 'withdraw'), BASELINE);
  assert.deepEqual(q.calls, [
    [ADDR, { verdict: { contract: VAULT, action } }],
    [ADDR, { protected: { contract: VAULT } }],
    [ADDR, { baseline: { contract: VAULT, kind: 'withdraw' } }],
  ]);
  await assert.rejects(g.protected('wasm1nobody'), {
    code: 'ENGINE',
    message: `guard ${ADDR}: query \`protected\` failed: Generic error: wasm1nobody is not protected`,
  });
  // The settings answer builds baselines with the guard's parameters: a
  // first action in the warm-up reads neutral but for its outflow share
  // (1000 of 9,000,000, in Q16: 7), as the guard's `derived` above.
  const { Baselines } = await import('../dist/baseline.js');
  const b = Baselines.fromSettings((await g.protected(VAULT)).settings);
  assert.deepEqual(b.kinds, ['withdraw', 'borrow']);
  const d = b.observe(action, 70, true);
  assert.deepEqual(d.q16, [0, 7, 65536, 65536, 65536, 0, 65536]);
  assert.deepEqual(d.values, VERDICT.derived);
  assert.equal(b.warm('withdraw'), false);
});
