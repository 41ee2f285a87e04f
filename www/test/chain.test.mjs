// The chain client against a stand-in for CosmJS's CosmWasmClient that
// answers like a guard contract (the contract's own tests cover the
// contract; this covers the client: queries, raw key, hash check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WWW } from '../scripts/serve.mjs';

const { GuardClient, fetchGuardModel, blobKey } = await import('../dist/chain.js');
const golden = JSON.parse(readFileSync(join(WWW, 'fixtures/golden.json'), 'utf8'));
const entry = golden.models.find((m) => m.name === 'eth-fraud-logistic');
const blob = new Uint8Array(Buffer.from(entry.blob_base64, 'base64'));
const ADDR = 'wasm1guardxyz';

/** A fake guard: model 3 is active; storage holds `blobs` by version. */
function fakeGuard({ blobs = { 3: blob }, hash = entry.checksum } = {}) {
  const calls = [];
  return {
    calls,
    async queryContractSmart(address, msg) {
      calls.push(['smart', address, msg]);
      if (address !== ADDR) throw new Error('no such contract');
      if (msg.model) {
        const version = msg.model.version ?? 3;
        if (!blobs[version]) throw new Error(`Generic error: model version ${version} not found`);
        return { version, active: version === 3, hash, family: 'linear', proposer: 'wasm1admin', size: blobs[version].length, cost_ops: 1, inference_sdk_gas: 1, metrics: null, test_set_version: null };
      }
      if (msg.config) return { n_features: 38 };
      throw new Error('unknown query');
    },
    async queryContractRaw(address, key) {
      calls.push(['raw', address, Buffer.from(key).toString('hex')]);
      const text = Buffer.from(key.subarray(0, 4)).toString();
      const version = new DataView(key.buffer, key.byteOffset).getUint32(4, false);
      return text === 'blob' && key.length === 8 ? (blobs[version] ?? null) : null;
    },
  };
}

test('loads the active model: smart query for the record, raw query for the blob, hash checked', async () => {
  const q = fakeGuard();
  const { model, info, blob: got } = await fetchGuardModel(q, ADDR, { featureNames: entry.feature_names });
  assert.equal(info.version, 3);
  assert.deepEqual(got, blob);
  assert.equal(model.info().checksum, entry.checksum);
  assert.deepEqual(q.calls, [
    ['smart', ADDR, { model: {} }],
    ['raw', ADDR, '626c6f6200000003'],
  ]);
  const c = entry.cases[0];
  assert.equal(model.score(c.inputs).scoreBits, c.score_bits);
});

test('a stored version by number', async () => {
  const q = fakeGuard({ blobs: { 3: blob, 1: blob } });
  const { info } = await new GuardClient(q, ADDR).loadModel({ version: 1 });
  assert.equal(info.version, 1);
  assert.deepEqual(q.calls[0], ['smart', ADDR, { model: { version: 1 } }]);
});

test('refuses a blob whose checksum is not the reported hash', async () => {
  const tampered = createHash('sha256').update('x').digest('hex');
  await assert.rejects(fetchGuardModel(fakeGuard({ hash: tampered }), ADDR), (e) => e.code === 'MALFORMED_MODEL' && /has hash .* but the stored blob's checksum is/.test(e.message));
});

test('clear errors for a missing blob, a corrupted blob and a failing query', async () => {
  const q = fakeGuard();
  const client = new GuardClient({ ...q, queryContractRaw: async () => null }, ADDR);
  await assert.rejects(client.loadModel(), /has no stored blob for model version 3/);
  const bad = blob.slice();
  bad[bad.length - 1] ^= 1;
  await assert.rejects(fetchGuardModel(fakeGuard({ blobs: { 3: bad } }), ADDR), { code: 'MALFORMED_MODEL', message: 'malformed model: payload checksum mismatch (corrupted blob)' });
  await assert.rejects(fetchGuardModel(q, 'wasm1other'), /guard wasm1other: query `model` failed: no such contract/);
});

test('typed queries pass through', async () => {
  const g = new GuardClient(fakeGuard(), ADDR);
  assert.deepEqual(await g.config(), { n_features: 38 });
  assert.deepEqual([...blobKey(258)], [0x62, 0x6c, 0x6f, 0x62, 0, 0, 1, 2]);
  assert.throws(() => blobKey(0), /integer in \[1, 2\^32\)/);
});
