// The guard and its governor (docs/split.md) on a real wasmd node
// (scripts/localnet.sh), driven by real clients: CosmJS transactions, the
// browser package's GuardClient and <vigil-warning> in headless Chromium.
// Deployed in the documented order: the governor (vigil msg instantiate),
// the guard naming it (vigil msg instantiate-guard), the governor's
// BindGuard (vigil msg bind-guard), which installs its model on the guard;
// every later change of the active model or its data envelope reaches the
// guard as the governor's InstallModel in the same transaction. Run by
// scripts/e2e.sh, which builds the artifacts and the models, starts the
// node, runs this file and stops the node (also when a test fails). The
// tests run in order and share the chain's state: each needs the ones
// before it.
//
// Environment (set by scripts/e2e.sh): VIGIL_LOCALNET_RPC,
// VIGIL_LOCALNET_ACCOUNTS, VIGIL_E2E_OUT, VIGIL_E2E_MODELS,
// VIGIL_E2E_TEST_CSV, VIGIL_E2E_DATASET, VIGIL_BIN, VIGIL_LOCALNET_SIM,
// VIGIL_GUARD_WASM, VIGIL_GOVERNOR_WASM, VIGIL_VAULT_WASM.
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
  rawRecord,
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
/** The governor's vault (rewards). */
const GOVERNOR_FUNDS = 5_000_000n;
/** Blocks between a commitment and its reveal, and an accepted model's wait before Activate. */
const REVEAL_DELAY = 3;
const ACTIVATION_DELAY = 3;
const WITHDRAW = 1_000n;
/** Rows in the instantiate message; the rest go by AddTestSamples. */
const INITIAL_ROWS = 300;
const CHUNK_ROWS = 250;

const vigil = (...args) => execFileSync(VIGIL, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });

/** What the suite learns along the way (later tests use it). */
const s = {
  /** Contract calls in the order the node ran them, for the simulator's replay. */
  calls: [],
  /** Node figures per call kind for the gas table. */
  node: {},
  /** Model versions whose blob the governor has sent the guard. */
  sent: new Set(),
};

/** Records a transaction on `contract` ('guard' or 'governor') for the replay. */
function record(contract, name, kind, res, sender, msg, funds = [], pinned = false) {
  s.calls.push({ contract, name, kind, sender, msg, funds, height: res.height, pinned, node: { gasUsed: res.gasUsed, txBytes: res.txBytes } });
  return s.calls.length - 1;
}

const le32 = (bytes, at) => Buffer.from(bytes).readUInt32LE(at);

/**
 * A governor transaction and, when it sent the guard an install (its
 * `guard_install` attribute: the sequence), that install, rebuilt for the
 * replay from what the guard holds right after it: the active version and
 * threshold bits (the first 10 bytes of its `active` record: version u32
 * LE, paused, paused check, threshold u32 LE), the blob (ModelBlob, the
 * first time a version is sent, as the governor sends it) and the data
 * envelope (its `envelope` record). Nothing runs between the transaction
 * and these reads: the suite sends one transaction at a time.
 */
async function recordGovernor(name, res, sender, msg, funds = []) {
  const of = record('governor', name, 'execute', res, sender, msg, funds);
  const sequence = attr(res, 'wasm', 'guard_install');
  if (sequence === undefined) return undefined;
  const client = s.accounts.admin.client;
  const active = await rawRecord(client, s.guard.address, 'active');
  assert.ok(active && active.length > 10, `${name}: the guard holds an active model after the install`);
  const version = le32(active, 0);
  let blob = null;
  if (!s.sent.has(version)) {
    const chunk = await s.query(s.guard.address, { model_blob: { version, chunk: 0 } });
    assert.equal(chunk.chunks, 1, 'one-chunk models in this suite');
    blob = chunk.data;
    s.sent.add(version);
  }
  const envelope = await rawRecord(client, s.guard.address, 'envelope');
  const install = {
    install_model: {
      sequence: Number(sequence),
      version,
      blob,
      threshold_bits: le32(active, 6),
      envelope: envelope ? Buffer.from(envelope).toString('base64') : null,
    },
  };
  s.calls.push({ contract: 'guard', name: `${name}: InstallModel`, kind: 'execute', sender: s.governor.address, msg: install, funds: [], height: res.height, pinned: s.pinned ?? false, of, node: {} });
  return install.install_model;
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
    ['governor', env('VIGIL_GOVERNOR_WASM')],
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

/**
 * The guard's active model is `file`, byte for byte (its `model_blob`), at
 * `version`, with the governor's record of it (the same hash).
 */
async function sameModel(file, version) {
  const [info, chunk, governor] = await Promise.all([
    s.query(s.guard.address, { model: {} }),
    s.query(s.guard.address, { model_blob: { chunk: 0 } }),
    s.query(s.governor.address, { model: {} }),
  ]);
  assert.equal(info.version, version);
  assert.equal(chunk.chunks, 1);
  assert.ok(Buffer.from(chunk.data, 'base64').equals(readFileSync(join(MODELS, file))), `the guard's active model is ${file}, byte for byte`);
  assert.deepEqual([governor.version, governor.hash], [info.version, info.hash], "the governor's active model is the guard's");
}

/** The settings both contracts are instantiated with (the same flags: the guard applies the governor's budgets). */
const settings = () => [
  '--model', join(MODELS, 'incumbent.vgm'), '--bond-denom', DENOM, '--min-bond', String(BOND),
  '--min-gain', '0.005', '--tolerance', '0.004', '--reward', 'share:0.1', '--eval-batch', '250',
  '--paused-check', 'deny', '--reveal-delay', String(REVEAL_DELAY), '--activation-delay', String(ACTIVATION_DELAY),
];

test('deploy: the governor with the model and a test set, the guard naming it, BindGuard installing the model (vigil msg)', async () => {
  const { admin } = s.accounts;
  const init = JSON.parse(
    vigil('msg', 'instantiate', ...settings(), '--samples', TEST_CSV, '--limit', String(INITIAL_ROWS),
      '--skip-unrepresentable', '--drop-excess'),
  );
  const res = await sendOk(admin, [instantiateMsg(admin.address, s.governor.codeId, init, 'vigil-governor')], 'instantiate the governor');
  s.governor.address = attr(res, 'instantiate', '_contract_address');
  assert.match(s.governor.address, /^wasm1[0-9a-z]{58}$/);
  record('governor', 'instantiate the governor', 'instantiate', res, admin.address, init);
  s.node.instantiate = { gasUsed: res.gasUsed, txBytes: res.txBytes };

  const guardInit = JSON.parse(vigil('msg', 'instantiate-guard', '--governor', s.governor.address, ...settings()));
  assert.equal(guardInit.governor, s.governor.address);
  const gres = await sendOk(admin, [instantiateMsg(admin.address, s.guard.codeId, guardInit, 'vigil-guard')], 'instantiate the guard');
  s.guard.address = attr(gres, 'instantiate', '_contract_address');
  assert.match(s.guard.address, /^wasm1[0-9a-z]{58}$/);
  record('guard', 'instantiate the guard', 'instantiate', gres, admin.address, guardInit);
  s.node.instantiate_guard = { gasUsed: gres.gasUsed, txBytes: gres.txBytes };
  let guard = await s.query(s.guard.address, { config: {} });
  assert.deepEqual(
    [guard.governor, guard.admin, guard.install_sequence, guard.active_version, guard.n_features, guard.paused_check],
    [s.governor.address, admin.address, 0, 0, init.n_features, 'deny'],
  );
  assert.equal(guard.max_inference_ops, init.max_inference_ops, 'the same flags give the guard the governor budgets');
  assert.equal(guard.max_check_gas, init.max_check_gas);
  // No model yet: the guard's Check fails (closed) until the governor installs one.
  await assert.rejects(s.query(s.guard.address, { check: { features: csvRows(TEST_CSV)[0].features } }));

  // Only the governor installs: the admin cannot, even with a valid install.
  const forged = { install_model: { sequence: 1, version: 1, blob: Buffer.from(readFileSync(join(MODELS, 'worse.vgm'))).toString('base64'), threshold_bits: 4294967295, envelope: null } };
  const refused = await send(admin, [executeMsg(admin.address, s.guard.address, forged)]);
  assert.notEqual(refused.code, 0, 'the admin is not the governor');
  assert.match(refused.rawLog, /only the governor may install models/);

  const bind = JSON.parse(vigil('msg', 'bind-guard', '--guard', s.guard.address));
  const bres = await sendOk(admin, [executeMsg(admin.address, s.governor.address, bind)], 'BindGuard');
  const install = await recordGovernor('BindGuard', bres, admin.address, bind);
  assert.ok(install && install.blob, 'BindGuard sends the active model with its blob');
  s.node.bind_guard = { gasUsed: bres.gasUsed, txBytes: bres.txBytes };
  guard = await s.query(s.guard.address, { config: {} });
  assert.deepEqual([guard.install_sequence, guard.active_version], [1, 1]);
  await sameModel('incumbent.vgm', 1);
  assert.equal((await s.query(s.governor.address, { config: {} })).guard, s.guard.address);
  // Bound once: a second BindGuard is refused.
  const again = await send(admin, [executeMsg(admin.address, s.governor.address, bind)]);
  assert.notEqual(again.code, 0, 'the bound guard cannot be changed');
  assert.match(again.rawLog, /a guard is already bound/);
  // The governor answers no Check: integrators call the guard.
  await assert.rejects(s.query(s.governor.address, { check: { features: csvRows(TEST_CSV)[0].features } }), /ask the guard/);
  console.log(`# governor ${s.governor.address}, guard ${s.guard.address}: bound, model 1 installed (${install.blob.length} base64 chars)`);
});

test('the rest of the test set and the vault funds go to the governor; each envelope change reaches the guard', async () => {
  const { admin } = s.accounts;
  const total = csvRows(TEST_CSV).length;
  let config = await s.query(s.governor.address, { config: {} });
  const initial = config.positives + config.negatives;
  assert.ok(initial > 0 && initial <= INITIAL_ROWS);
  const lines = vigil('msg', 'add-samples', '--data', TEST_CSV, '--offset', String(INITIAL_ROWS),
    '--chunk', String(CHUNK_ROWS), '--positives', String(config.positives), '--negatives', String(config.negatives),
    '--max-class-ratio', config.max_class_ratio, '--skip-unrepresentable', '--drop-excess')
    .trim().split('\n').filter(Boolean);
  let installs = 1;
  for (const [i, line] of lines.entries()) {
    const msg = JSON.parse(line);
    const r = await sendOk(admin, [executeMsg(admin.address, s.governor.address, msg)], `AddTestSamples ${i}`);
    const install = await recordGovernor(`AddTestSamples ${i}`, r, admin.address, msg);
    if (install) {
      installs++;
      assert.equal(install.sequence, installs);
      assert.equal(install.blob, null, 'the model is on the guard already: only the envelope moves');
    }
    if (i === 0) s.node.add_samples = { gasUsed: r.gasUsed, txBytes: r.txBytes, rows: msg.add_test_samples.samples.length, install: Boolean(install) };
  }
  const fund = { fund: {} };
  const coins = [{ denom: DENOM, amount: String(GOVERNOR_FUNDS) }];
  const fr = await sendOk(admin, [executeMsg(admin.address, s.governor.address, fund, coins)], 'Fund');
  assert.equal(await recordGovernor('Fund', fr, admin.address, fund, coins), undefined, 'funds change nothing Check reads');
  config = await s.query(s.governor.address, { config: {} });
  s.testRows = config.positives + config.negatives;
  assert.ok(s.testRows > initial, `${s.testRows} test rows on chain`);
  assert.ok(s.testRows >= total * 0.9, `${s.testRows} of ${total} rows accepted`);
  assert.equal(config.vault, String(GOVERNOR_FUNDS));
  assert.equal(await balance(admin.client, s.governor.address, DENOM), GOVERNOR_FUNDS, 'the governor holds the vault');
  assert.equal(await balance(admin.client, s.guard.address, DENOM), 0n, 'the guard holds no funds');
  const guard = await s.query(s.guard.address, { config: {} });
  assert.equal(guard.install_sequence, installs, 'the guard took every install the governor sent, in sequence');
  assert.ok(installs > 1, 'the test set widened the envelope at least once');
  console.log(`# governor: ${s.testRows} test rows (${config.positives} positive) in ${1 + lines.length} transactions; guard: ${installs} installs`);
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
  s.calls.push({ contract: 'guard', name: `Check via the vault (${label})`, kind: 'query', msg: { check: { features } }, pinned, node: { gasUsed: on.gasUsed - off.gasUsed } });
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

test('a Proof-of-Improvement round on the governor (commit, reveal, evaluation, activation): better accepted and installed on the guard, worse slashed', async () => {
  const { bob, carol, alice } = s.accounts;
  assert.ok(s.pinned, 'runs after the pin (the replay prices it pinned)');
  const messages = (file) =>
    proposalMessages({
      commit: (sender, salt) => vigil('msg', 'commit', '--model', join(MODELS, file), '--sender', sender, '--salt', salt),
      reveal: (proposalId, salt) => vigil('msg', 'reveal', '--proposal-id', String(proposalId), '--model', join(MODELS, file), '--salt', salt),
    });
  const bond = { denom: DENOM, amount: String(BOND) };
  const report = await poimRound({
    governor: s.governor.address,
    guard: s.guard.address,
    better: { who: bob, messages: messages('better.vgm'), bond },
    worse: { who: carol, messages: messages('worse.vgm'), bond },
    stepper: alice,
    query: (contract, msg) => s.query(contract, msg),
    denom: DENOM,
    onStep: (step) => recordGovernor(step.name, step.res, step.sender, step.msg, step.funds),
  });
  const [better, worse] = report;
  assert.equal(better.status, 'accepted');
  const names = better.steps.map((x) => x.name.split(': ')[1]);
  assert.deepEqual([...names.slice(0, 2), names.at(-1)], ['CommitProposal', 'RevealProposal', 'Activate'], names.join(', '));
  assert.ok(names.slice(2, -1).every((n) => n === 'ContinueEvaluation'), names.join(', '));
  assert.ok(better.reward > 0n, 'a reward is paid');
  assert.equal(better.after.proposer, better.before.proposer + better.reward, 'bond back plus the reward (fees are 0)');
  assert.equal(better.after.vault, better.before.vault - better.reward);
  assert.equal(better.after.governor, better.before.governor - better.reward);
  assert.equal(better.after.version, better.before.version + 1);
  assert.equal(better.reward, (BOND * 10n) / 100n, 'share:0.1 of the bond');
  // The activation installed the accepted model on the guard, once.
  assert.equal(better.after.guardVersion, better.after.version);
  assert.equal(better.after.installs, better.before.installs + 1);
  await sameModel('better.vgm', better.after.version);

  assert.equal(worse.status, 'rejected');
  assert.equal(worse.slashed, BOND);
  assert.equal(worse.after.proposer, worse.before.proposer - BOND, 'the bond is gone');
  assert.equal(worse.after.vault, worse.before.vault + BOND, 'into the vault');
  assert.equal(worse.after.governor, worse.before.governor + BOND);
  assert.equal(worse.after.version, worse.before.version, 'the active model stays');
  assert.deepEqual([worse.after.guardVersion, worse.after.installs], [worse.before.guardVersion, worse.before.installs], 'nothing sent to the guard');
  for (const r of [better, worse]) assert.equal(r.after.guard, 0n, 'the guard never holds funds');
  s.node.poim = report.map((r) => ({ role: r.role, status: r.status, steps: r.steps.map((x) => ({ name: x.name, gasUsed: x.res.gasUsed, txBytes: x.res.txBytes })) }));
  console.log(`# PoIm on the governor: better accepted in ${better.steps.length} transactions (reward ${better.reward}), installed on the guard as model ${better.after.guardVersion}; worse rejected in ${worse.steps.length} (slashed ${worse.slashed})`);

  // The guard's Check follows the accepted model: its version, and the
  // accepted model's own score bits (vigil score) on rows inside the data
  // envelope (the guard clamps the others).
  const local = vigil('score', '--model', join(MODELS, 'better.vgm'), '--data', TEST_CSV, '--label', 'label')
    .trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
  const rows = csvRows(TEST_CSV);
  let compared = 0;
  for (const [i, r] of rows.slice(0, 40).entries()) {
    let check;
    let score;
    try {
      check = await s.query(s.guard.address, { check: { features: r.features } });
      score = await s.query(s.guard.address, { score: { features: r.features } });
    } catch {
      continue; // a value the contract refuses
    }
    assert.equal(check.model_version, better.after.version);
    assert.equal(check.score, score.score);
    if (score.out_of_envelope === 0) {
      assert.equal(score.score_bits, local[i], `row ${i}: the guard's score bits are the accepted model's`);
      compared++;
    }
  }
  assert.ok(compared >= 10, `${compared} rows compared`);
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
  const client = s.accounts.admin.client;
  const lookup = await lookupRecordBytes(client, s.guard.address, s.guard.codeId);
  const contracts = {
    guard: { address: s.guard.address, wasm: env('VIGIL_GUARD_WASM'), lookup },
    governor: {
      address: s.governor.address,
      wasm: env('VIGIL_GOVERNOR_WASM'),
      lookup: await lookupRecordBytes(client, s.governor.address, s.governor.codeId),
    },
  };
  writeFileSync(file, JSON.stringify({ prefix: 'wasm', contracts, calls: s.calls }, null, 1));
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

const OBSERVED_FUNDS = 1_000_000n;

test('the circuit breaker on the node: a drain batched in one transaction trips at the line inside it, and the trip stands', async () => {
  const { admin, carol } = s.accounts;
  // A second example vault, reporting its withdrawals to the guard's breaker.
  const res = await sendOk(
    admin,
    [instantiateMsg(admin.address, s.vault.codeId, { guard: s.guard.address, denom: DENOM, observe: true }, 'vigil-observed-vault', [{ denom: DENOM, amount: String(OBSERVED_FUNDS) }])],
    'instantiate the observing vault',
  );
  const vault = attr(res, 'instantiate', '_contract_address');
  // The guard's admin registers it (vigil msg): 10% of its funds per window
  // of 100,000 blocks (the whole test), the admin as guardian.
  const register = JSON.parse(vigil('msg', 'register-protected', '--contract', vault, '--kinds', 'withdraw', '--unit', DENOM, '--window-blocks', '100000', '--guardian', admin.address));
  await sendOk(admin, [executeMsg(admin.address, s.guard.address, register)], 'register the vault');
  // Rows the model in force now (after the round) allows.
  const rows = await pickRows();
  // Carol's drain: eight withdrawals of 2% in one transaction.
  const each = OBSERVED_FUNDS / 50n;
  const c0 = await balance(carol.client, carol.address, DENOM);
  const drain = Array.from({ length: 8 }, () => executeMsg(carol.address, vault, { withdraw: { amount: String(each), features: rows.normal } }));
  const r = await sendOk(carol, drain, 'the drain');
  const outcomes = r.events.filter((e) => e.type === 'wasm' && e.attributes.some((a) => a.key === 'outcome')).map((e) => e.attributes.find((a) => a.key === 'outcome').value);
  // The k-th passes while 2% k <= 10% of what the vault holds before it:
  // four are paid; the fifth crosses the line and trips the breaker; the
  // rest meet an open breaker. The transaction succeeds, so the trip stands.
  assert.deepEqual(outcomes, ['paid', 'paid', 'paid', 'paid', 'refused', 'refused', 'refused', 'refused']);
  assert.equal(await balance(carol.client, carol.address, DENOM), c0 + 4n * each);
  assert.equal(attr(r, 'wasm-vigil_breaker', 'transition'), 'tripped');
  assert.equal(attr(r, 'wasm-vigil_breaker', 'rule'), '"outflow_share"');
  const p = await s.query(s.guard.address, { protected: { contract: vault } });
  assert.equal(p.breaker.status.open.rule, 'outflow_share');
  assert.equal(p.breaker.trips, 1);
  assert.equal(p.breaker.outflow, String(4n * each));
  // A later honest withdrawal meets the open breaker too, until the
  // guardian resets it.
  const bob = s.accounts.bob;
  const later = await sendOk(bob, [executeMsg(bob.address, vault, { withdraw: { amount: '10', features: rows.normal } })], 'a later withdrawal');
  assert.equal(attr(later, 'wasm', 'outcome'), 'refused');
  const reset = await sendOk(admin, [executeMsg(admin.address, s.guard.address, { reset_breaker: { contract: vault } })], 'the guardian resets');
  assert.equal(attr(reset, 'wasm-vigil_breaker', 'transition'), 'reset');
  const after = await sendOk(bob, [executeMsg(bob.address, vault, { withdraw: { amount: '10', features: rows.normal } })], 'after the reset');
  assert.equal(attr(after, 'wasm', 'outcome'), 'paid');
  console.log(`# breaker: the drain (8 withdrawals, one transaction) gas_used ${r.gasUsed}; an observed withdrawal ${after.gasUsed}`);
});
