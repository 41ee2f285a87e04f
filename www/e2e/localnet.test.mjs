// The guard on a real wasmd node (scripts/localnet.sh), driven by real
// clients: CosmJS transactions, the browser package's GuardClient and
// <vigil-warning> in headless Chromium. Run by scripts/e2e.sh, which builds
// the artifacts and the models, starts the node, runs this file and stops
// the node (also when a test fails). The tests run in order and share the
// chain's state: each needs the ones before it.
//
// Environment (set by scripts/e2e.sh): VIGIL_LOCALNET_RPC,
// VIGIL_LOCALNET_ACCOUNTS, VIGIL_E2E_OUT, VIGIL_E2E_MODELS,
// VIGIL_E2E_TEST_CSV, VIGIL_E2E_DATASET, VIGIL_BIN, VIGIL_LOCALNET_SIM,
// VIGIL_GUARD_WASM, VIGIL_VAULT_WASM.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  attr,
  balance,
  connectAll,
  executeMsg,
  instantiateMsg,
  lookupRecordBytes,
  pinByGovernance,
  pinnedCodes,
  readAccounts,
  send,
  sendOk,
  sha256hex,
  storeMsg,
} from './chain.mjs';
import { poimRound, proposalMessages } from './poim.mjs';
import { gasTable } from './gas.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this suite through scripts/e2e.sh`);
  return v;
};
const RPC = env('VIGIL_LOCALNET_RPC');
const OUT = env('VIGIL_E2E_OUT');
const MODELS = env('VIGIL_E2E_MODELS');
const TEST_CSV = env('VIGIL_E2E_TEST_CSV');
const DATASET = env('VIGIL_E2E_DATASET');
const VIGIL = env('VIGIL_BIN');
const DENOM = 'uvigil';
const BOND = 1_000_000n;
const VAULT_FUNDS = 10_000_000n;
const GUARD_FUNDS = 5_000_000n;
const WITHDRAW = 1_000n;
/** Rows in the instantiate message; the rest go by AddTestSamples. */
const INITIAL_ROWS = 300;
const CHUNK_ROWS = 250;

const vigil = (...args) => execFileSync(VIGIL, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });

/** What the suite learns along the way (later tests use it). */
const s = {
  /** Guard calls in the order the node ran them, for the simulator's replay. */
  calls: [],
  /** Node figures per call kind for the gas table. */
  node: {},
};

/** Records a guard transaction for the replay. */
function record(name, kind, res, sender, msg, funds = [], pinned = false) {
  s.calls.push({ name, kind, sender, msg, funds, height: res.height, pinned, node: { gasUsed: res.gasUsed, txBytes: res.txBytes } });
}

function csvRows(path) {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const cols = header.split(',');
  const label = cols.indexOf('label');
  assert.ok(label >= 0, `${path}: no label column`);
  return lines.map((l) => {
    const v = l.split(',');
    return { label: v[label] === '1', features: v.filter((_, i) => i !== label) };
  });
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  s.accounts = await connectAll(RPC, readAccounts(env('VIGIL_LOCALNET_ACCOUNTS')));
  s.query = (contract, msg) => s.accounts.admin.client.queryContractSmart(contract, msg);
  console.log(`# dataset: ${DATASET}`);
});

after(async () => {
  for (const a of Object.values(s.accounts ?? {})) a.client.disconnect();
});

test('the node stores the exact artifacts (MsgStoreCode) and reports their checksums', async () => {
  const { admin } = s.accounts;
  for (const [key, path] of [
    ['guard', env('VIGIL_GUARD_WASM')],
    ['vault', env('VIGIL_VAULT_WASM')],
  ]) {
    const wasm = readFileSync(path);
    const res = await sendOk(admin, [storeMsg(admin.address, wasm)], `store ${path}`);
    const codeId = Number(attr(res, 'store_code', 'code_id'));
    const checksum = attr(res, 'store_code', 'code_checksum');
    assert.ok(codeId > 0);
    assert.equal(checksum, sha256hex(wasm), `${path}: the chain's checksum is the file's sha256`);
    const info = await admin.client.getCodeDetails(codeId);
    assert.equal(Buffer.from(info.data).compare(wasm), 0, 'the stored code is the file, byte for byte');
    s[key] = { codeId, wasmBytes: wasm.length };
    s.node[`store ${key}`] = { gasUsed: res.gasUsed, txBytes: res.txBytes, wasmBytes: wasm.length };
  }
});

test('the guard is instantiated with the model and a test set (vigil msg), then given the rest of the set', async () => {
  const { admin } = s.accounts;
  const init = JSON.parse(
    vigil('msg', 'instantiate', '--model', join(MODELS, 'incumbent.vgm'), '--bond-denom', DENOM,
      '--min-bond', String(BOND), '--min-gain', '0.005', '--tolerance', '0.004', '--reward', 'share:0.1',
      '--eval-batch', '250', '--paused-check', 'deny', '--samples', TEST_CSV, '--limit', String(INITIAL_ROWS),
      '--skip-unrepresentable', '--drop-excess'),
  );
  const res = await sendOk(admin, [instantiateMsg(admin.address, s.guard.codeId, init, 'vigil-guard')], 'instantiate the guard');
  s.guard.address = attr(res, 'instantiate', '_contract_address');
  assert.match(s.guard.address, /^wasm1[0-9a-z]{58}$/);
  record('instantiate', 'instantiate', res, admin.address, init);
  s.node.instantiate = { gasUsed: res.gasUsed, txBytes: res.txBytes };

  const total = csvRows(TEST_CSV).length;
  let config = await s.query(s.guard.address, { config: {} });
  const initial = config.positives + config.negatives;
  assert.ok(initial > 0 && initial <= INITIAL_ROWS);
  const lines = vigil('msg', 'add-samples', '--data', TEST_CSV, '--offset', String(INITIAL_ROWS),
    '--chunk', String(CHUNK_ROWS), '--positives', String(config.positives), '--negatives', String(config.negatives),
    '--max-class-ratio', config.max_class_ratio, '--skip-unrepresentable', '--drop-excess')
    .trim().split('\n').filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const msg = JSON.parse(line);
    const r = await sendOk(admin, [executeMsg(admin.address, s.guard.address, msg)], `AddTestSamples ${i}`);
    record(`AddTestSamples ${i}`, 'execute', r, admin.address, msg);
    if (i === 0) s.node.add_samples = { gasUsed: r.gasUsed, txBytes: r.txBytes, rows: msg.add_test_samples.samples.length };
  }
  const fund = { fund: {} };
  const fr = await sendOk(admin, [executeMsg(admin.address, s.guard.address, fund, [{ denom: DENOM, amount: String(GUARD_FUNDS) }])], 'Fund');
  record('Fund', 'execute', fr, admin.address, fund, [{ denom: DENOM, amount: String(GUARD_FUNDS) }]);
  config = await s.query(s.guard.address, { config: {} });
  s.testRows = config.positives + config.negatives;
  assert.ok(s.testRows > initial, `${s.testRows} test rows on chain`);
  assert.ok(s.testRows >= total * 0.9, `${s.testRows} of ${total} rows accepted`);
  assert.equal(config.vault, String(GUARD_FUNDS));
  console.log(`# guard ${s.guard.address}: ${s.testRows} test rows (${config.positives} positive) in ${1 + lines.length} transactions`);
});

test('the example vault is instantiated with the guard and funded', async () => {
  const { admin } = s.accounts;
  const res = await sendOk(
    admin,
    [instantiateMsg(admin.address, s.vault.codeId, { guard: s.guard.address, denom: DENOM }, 'vigil-example-vault', [{ denom: DENOM, amount: String(VAULT_FUNDS) }])],
    'instantiate the vault',
  );
  s.vault.address = attr(res, 'instantiate', '_contract_address');
  assert.equal(await balance(admin.client, s.vault.address, DENOM), VAULT_FUNDS);
  const config = await s.query(s.vault.address, { config: {} });
  assert.equal(config.guard, s.guard.address);
  assert.equal(config.owner, admin.address);
});

/** A test row the guard allows and one it denies (asked with Check queries). */
async function pickRows() {
  const rows = csvRows(TEST_CSV);
  const find = async (label, allow) => {
    for (const r of rows.filter((x) => x.label === label).slice(0, 200)) {
      try {
        const c = await s.query(s.guard.address, { check: { features: r.features } });
        if (c.allow === allow) return r.features;
      } catch {
        // a value the contract refuses (the rows --skip-unrepresentable leaves out)
      }
    }
    throw new Error(`no ${label ? 'positive' : 'negative'} test row that the guard ${allow ? 'allows' : 'denies'}`);
  };
  return { normal: await find(false, true), flagged: await find(true, false) };
}

const withdrawMsg = (features) => ({ withdraw: { amount: String(WITHDRAW), features } });

test('a normal withdrawal succeeds and a flagged one is refused, in real transactions', async () => {
  const { alice } = s.accounts;
  s.rows = await pickRows();
  const a0 = await balance(alice.client, alice.address, DENOM);
  const v0 = await balance(alice.client, s.vault.address, DENOM);
  const ok = await send(alice, [executeMsg(alice.address, s.vault.address, withdrawMsg(s.rows.normal))]);
  assert.equal(ok.code, 0, ok.rawLog);
  assert.equal(await balance(alice.client, alice.address, DENOM), a0 + WITHDRAW);
  assert.equal(await balance(alice.client, s.vault.address, DENOM), v0 - WITHDRAW);

  const refused = await send(alice, [executeMsg(alice.address, s.vault.address, withdrawMsg(s.rows.flagged))]);
  assert.notEqual(refused.code, 0, 'the flagged withdrawal is refused');
  assert.match(refused.rawLog, /withdrawal refused by the guard \(score 0\.\d+/);
  assert.ok(refused.height > ok.height, 'the refused transaction is in a block');
  assert.equal(await balance(alice.client, alice.address, DENOM), a0 + WITHDRAW, 'nothing moved');
  assert.equal(await balance(alice.client, s.vault.address, DENOM), v0 - WITHDRAW);
  console.log(`# allowed: gas_used ${ok.gasUsed}; refused in block ${refused.height}: ${refused.rawLog.slice(0, 160)}`);
});

/** gas_used of the normal withdrawal with the guard on, then off (the owner's SetGuard), then on again. */
async function costOfGuarding(label, pinned, features = s.rows.normal) {
  const { admin, alice } = s.accounts;
  const on = await sendOk(alice, [executeMsg(alice.address, s.vault.address, withdrawMsg(features))], `${label}: guarded`);
  await sendOk(admin, [executeMsg(admin.address, s.vault.address, { set_guard: { guard: null } })], 'guard off');
  const off = await sendOk(alice, [executeMsg(alice.address, s.vault.address, withdrawMsg(features))], `${label}: unguarded`);
  await sendOk(admin, [executeMsg(admin.address, s.vault.address, { set_guard: { guard: s.guard.address } })], 'guard on');
  assert.equal(attr(on, 'wasm', 'guarded'), 'true');
  assert.equal(attr(off, 'wasm', 'guarded'), 'false');
  assert.equal(on.txBytes, off.txBytes, 'the same transaction, byte for byte in size');
  // The replay asks the simulator for the same Check on the chain's state as it was.
  s.calls.push({ name: `Check via the vault (${label})`, kind: 'query', msg: { check: { features } }, pinned, node: { gasUsed: on.gasUsed - off.gasUsed } });
  return { guarded: on.gasUsed, unguarded: off.gasUsed, cost: on.gasUsed - off.gasUsed, txBytes: on.txBytes };
}

test('the cost of guarding: guarded minus unguarded gas_used, code unpinned then pinned by governance', async () => {
  const { admin, validator } = s.accounts;
  s.node.guarding = { unpinned: await costOfGuarding('unpinned', false) };
  assert.deepEqual(await pinnedCodes(admin.client), []);
  const gov = await pinByGovernance(admin, validator, s.guard.codeId);
  assert.deepEqual(await pinnedCodes(admin.client), [s.guard.codeId]);
  s.pinned = true;
  s.node.guarding.pinned = await costOfGuarding('pinned', true);
  s.node.guarding.governance = { proposalId: Number(gov.proposalId), waitedMs: gov.waitedMs };
  const { unpinned, pinned } = s.node.guarding;
  console.log(`# cost of guarding: ${unpinned.cost} SDK gas unpinned, ${pinned.cost} pinned (proposal ${gov.proposalId} passed in ${gov.waitedMs} ms)`);
  // Pinning saves the instance cost (60,000 - 2,000) of the guard's query, and only that.
  assert.ok(unpinned.cost - pinned.cost >= 50_000 && unpinned.cost - pinned.cost <= 60_000, `${unpinned.cost} - ${pinned.cost}`);
  assert.equal(unpinned.unguarded, pinned.unguarded, 'the unguarded withdrawal does not depend on the guard code');
});

test('a Proof-of-Improvement round in real transactions: better accepted, worse slashed', async () => {
  const { bob, carol, alice } = s.accounts;
  assert.ok(s.pinned, 'runs after the pin (the replay prices it pinned)');
  const propose = (file) => proposalMessages(vigil('msg', 'propose', '--model', join(MODELS, file)));
  const bond = { denom: DENOM, amount: String(BOND) };
  const report = await poimRound({
    guard: s.guard.address,
    better: { who: bob, messages: propose('better.vgm'), bond },
    worse: { who: carol, messages: propose('worse.vgm'), bond },
    stepper: alice,
    query: (msg) => s.query(s.guard.address, msg),
    denom: DENOM,
  });
  const [better, worse] = report;
  assert.equal(better.status, 'accepted');
  assert.ok(better.reward > 0n, 'a reward is paid');
  assert.equal(better.after.proposer, better.before.proposer + better.reward, 'bond back plus the reward (fees are 0)');
  assert.equal(better.after.vault, better.before.vault - better.reward);
  assert.equal(better.after.guard, better.before.guard - better.reward);
  assert.equal(better.after.version, better.before.version + 1);
  assert.equal(better.reward, (BOND * 10n) / 100n, 'share:0.1 of the bond');

  assert.equal(worse.status, 'rejected');
  assert.equal(worse.slashed, BOND);
  assert.equal(worse.after.proposer, worse.before.proposer - BOND, 'the bond is gone');
  assert.equal(worse.after.vault, worse.before.vault + BOND, 'into the vault');
  assert.equal(worse.after.guard, worse.before.guard + BOND);
  assert.equal(worse.after.version, worse.before.version, 'the active model stays');
  for (const r of report) {
    for (const step of r.steps) record(step.name, 'execute', step.res, step.sender, step.msg, step.funds, s.pinned);
  }
  s.node.poim = report.map((r) => ({ role: r.role, status: r.status, steps: r.steps.map((x) => ({ name: x.name, gasUsed: x.res.gasUsed, txBytes: x.res.txBytes })) }));
  console.log(`# PoIm: better accepted in ${better.steps.length} transactions (reward ${better.reward}), worse rejected in ${worse.steps.length} (slashed ${worse.slashed})`);
  // After the round the vault's Check runs on the accepted model.
  const after = await pickRows();
  s.node.guarding.accepted = await costOfGuarding('accepted model, pinned', true, after.normal);
});

test('GuardClient reads the live model (ModelBlob, hash checked) and <vigil-warning> in Chromium scores it bit for bit as the chain', async () => {
  const { browserScores } = await import('./browser.mjs');
  const rows = csvRows(TEST_CSV).slice(0, 12).map((r) => r.features);
  rows.push(s.rows.normal, s.rows.flagged);
  const chain = [];
  for (const features of rows) {
    try {
      chain.push(await s.query(s.guard.address, { score: { features } }));
    } catch (e) {
      chain.push({ error: String(e) });
    }
  }
  const model = await s.query(s.guard.address, { model: {} });
  const got = await browserScores({
    guard: s.guard.address,
    rows,
    queryContractSmart: (address, msg) => s.query(address, msg),
  });
  assert.equal(got.hash, model.hash, 'the browser loaded the active model, hash checked by GuardClient');
  assert.equal(got.version, model.version);
  let compared = 0;
  for (const [i, c] of chain.entries()) {
    if (c.error) continue;
    assert.equal(got.verdicts[i].scoreBits, c.score_bits, `row ${i}: widget ${got.verdicts[i].scoreBits}, chain ${c.score_bits}`);
    compared++;
  }
  assert.ok(compared >= 10, `${compared} rows compared`);
  console.log(`# ${compared} rows: <vigil-warning> score bits = the chain's Score on model ${model.version} (${model.family}, hash ${model.hash.slice(0, 12)}...)`);
});

test('the gas model against the node: simulator and bound beside gas_used, the bound never under a real Check', async () => {
  const file = join(OUT, 'calls.json');
  const lookup = await lookupRecordBytes(s.accounts.admin.client, s.guard.address, s.guard.codeId);
  writeFileSync(
    file,
    JSON.stringify({ prefix: 'wasm', contract: s.guard.address, wasm: env('VIGIL_GUARD_WASM'), lookup, calls: s.calls }, null, 1),
  );
  const replay = JSON.parse(execFileSync(env('VIGIL_LOCALNET_SIM'), [file], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  const sim = replay.calls;
  assert.equal(sim.length, s.calls.length);
  for (const [i, r] of sim.entries()) assert.ok(r.ok, `the simulator replays ${s.calls[i].name}: ${r.error}`);
  writeFileSync(join(OUT, 'sim.json'), JSON.stringify(sim, null, 1));
  const table = gasTable({ calls: s.calls, sim, node: s.node, dataset: DATASET, lookup, caps: replay.lookup_caps });
  writeFileSync(join(OUT, 'gas-table.md'), table.markdown);
  writeFileSync(join(OUT, 'gas.json'), JSON.stringify(table.json, null, 1));
  console.log(table.markdown.split('\n').map((l) => `# ${l}`).join('\n'));
  // The guard's records are within what the bound assumes for wasmd's lookup.
  assert.ok(lookup.contract_info_bytes <= table.json.caps.contract_info_bytes, JSON.stringify(lookup));
  assert.ok(lookup.code_info_bytes <= table.json.caps.code_info_bytes, JSON.stringify(lookup));
  for (const row of table.json.checks) {
    // What the vault's transaction paid for its Check (its own work around
    // the query included) is within the bound quoted before the call.
    assert.ok(row.bound >= row.node, `${row.name}: the bound ${row.bound} under-predicts the node's ${row.node}`);
    assert.ok(row.sim <= row.node, `${row.name}: the simulator ${row.sim} is above the node's ${row.node}`);
  }
});
