// The gas table of the localnet suite: for each call kind, the node's
// gas_used beside vigil-chain-sim's prediction for the same call (replayed
// by `cargo run -p vigil-cli --example localnet_sim`, each contract on its
// own code) and, for `Check`, the bound `vigil_guard::gas::check_gas`
// quotes before the call; the difference split into what wasmd charges
// outside the contracts. A governor transaction that sent the guard an
// InstallModel is predicted as the governor's call plus the guard's
// install, replayed on the guard from the governor's address.

/** wasmd / Cosmos SDK defaults the explanation uses (none is a prediction). */
export const SDK = {
  /** auth: TxSizeCostPerByte. */
  txBytePrice: 10,
  /** auth: SigVerifyCostSecp256k1. */
  secp256k1Verify: 1000,
  /** wasmd: DefaultCompileCost per byte of the code stored. */
  compilePerByte: 3,
  /** store: WriteCostFlat, WriteCostPerByte. */
  writeFlat: 2000,
  writePerByte: 30,
};

const n = (v) => (v === null || v === undefined ? '—' : Number(v).toLocaleString('en-US'));
const signed = (v) => (v === null || v === undefined ? '—' : `${v >= 0 ? '+' : '−'}${n(Math.abs(v))}`);

export function gasTable({ calls, sim, node, dataset, lookup, caps }) {
  const rows = [];
  const checks = [];
  const byName = (prefix) => calls.findIndex((c) => c.name.startsWith(prefix));
  const tx = (label, i) => {
    if (i < 0) return;
    const c = calls[i];
    const p = sim[i].gas;
    // The guard's installs this transaction sent (a submessage: its own
    // setup, lookup, storage and compute).
    const installs = calls.flatMap((x, j) => (x.of === i ? [sim[j].gas.total] : []));
    const install = installs.reduce((a, b) => a + b, 0);
    const predicted = p.total + install;
    const diff = c.node.gasUsed - predicted;
    const bytes = SDK.txBytePrice * c.node.txBytes;
    // wasmd keeps an instantiate's message in the contract's code history
    // (a store write: 2,000 + 30 per byte).
    const history = c.kind === 'instantiate' ? SDK.writeFlat + SDK.writePerByte * Buffer.byteLength(JSON.stringify(c.msg)) : 0;
    const rest = diff - bytes - SDK.secp256k1Verify - history;
    rows.push({
      resultBytes: p.result_bytes,
      call: label,
      node: c.node.gasUsed,
      sim: predicted,
      bound: null,
      diff,
      why:
        (installs.length ? `simulator: the governor ${n(p.total)} + the guard's InstallModel ${n(install)}; ` : '') +
        `tx ${n(c.node.txBytes)} bytes × 10 = ${n(bytes)}; signature ${n(SDK.secp256k1Verify)}; ` +
        (history ? `the message kept in the code history ${n(history)}; ` : '') +
        `rest ${signed(rest)} (the ante handler's account, fee and sequence reads and writes, the message's routing, events, bank moves)`,
      parts: { txBytes: c.node.txBytes, bytes, sig: SDK.secp256k1Verify, history, install, rest },
    });
  };
  for (const key of ['store guard', 'store governor', 'store vault']) {
    const s = node[key];
    if (!s) continue;
    const compile = SDK.compilePerByte * s.wasmBytes;
    const bytes = SDK.txBytePrice * s.txBytes;
    const rest = s.gasUsed - compile - bytes - SDK.secp256k1Verify;
    rows.push({
      call: `MsgStoreCode (${key.split(' ')[1]}, ${n(s.wasmBytes)} bytes)`,
      node: s.gasUsed,
      sim: null,
      bound: null,
      diff: null,
      why: `not simulated: compile ${n(s.wasmBytes)} × 3 = ${n(compile)}; tx ${n(s.txBytes)} bytes (gzip) × 10 = ${n(bytes)}; signature ${n(SDK.secp256k1Verify)}; rest ${signed(rest)}`,
      parts: { compile, bytes, rest },
    });
  }
  tx('instantiate the governor (model + test rows)', byName('instantiate the governor'));
  tx('instantiate the guard', byName('instantiate the guard'));
  tx('BindGuard (the model installed on the guard)', byName('BindGuard'));
  tx(`AddTestSamples (${node.add_samples?.rows ?? '?'} rows${node.add_samples?.install ? ', the envelope installed on the guard' : ''})`, byName('AddTestSamples 0'));
  tx('Fund', byName('Fund'));
  for (const [i, c] of calls.entries()) {
    if (c.kind !== 'query' || c.node.gasUsed === null || c.node.gasUsed === undefined) continue;
    const p = sim[i].gas;
    const b = sim[i].bound;
    const diff = c.node.gasUsed - p.total;
    const row = {
      call: `${c.name}: guarded − unguarded withdrawal`,
      node: c.node.gasUsed,
      sim: p.total,
      bound: b.total,
      diff,
      why: `the vault's own work around the query (building it, reading the answer, its config holding the guard's address); the simulator and the bound include wasmd's lookup of the guard (${n(p.lookup)}; bound ${n(caps.gas)}) and the answer's deserialisation (${p.result_bytes} bytes × 1)`,
      parts: { resultBytes: p.result_bytes, rest: diff },
    };
    rows.push(row);
    checks.push({ name: c.name, node: c.node.gasUsed, sim: p.total, bound: b.total, pinned: c.pinned });
  }
  const named = (name) => calls.findIndex((c) => c.name === name);
  tx('CommitProposal (better, with the bond)', named('PoIm better: CommitProposal'));
  tx('RevealProposal (better, first evaluation step)', named('PoIm better: RevealProposal'));
  tx('ContinueEvaluation (better)', named('PoIm better: ContinueEvaluation'));
  tx('Activate (better: paid, installed on the guard)', named('PoIm better: Activate'));
  tx('CommitProposal (worse)', named('PoIm worse: CommitProposal'));
  tx('RevealProposal (worse, first evaluation step)', named('PoIm worse: RevealProposal'));
  tx('ContinueEvaluation (worse, decision)', calls.map((c) => c.name).lastIndexOf('PoIm worse: ContinueEvaluation'));

  const lines = [
    `Localnet gas (wasmd, SDK gas; data: ${dataset}):`,
    '',
    '| call | node `gas_used` | simulator | bound | difference | made of |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.call} | ${n(r.node)} | ${n(r.sim)} | ${n(r.bound)} | ${signed(r.diff)} | ${r.why} |`),
  ];
  if (node.guarding) {
    const g = node.guarding;
    lines.push(
      '',
      `Cost of guarding (the vault's withdrawal, guarded − unguarded gas_used): ${n(g.unpinned.cost)} unpinned, ${n(g.pinned.cost)} pinned` +
        (g.accepted ? `, ${n(g.accepted.cost)} pinned with the accepted model` : '') +
        `; the unguarded withdrawal is ${n(g.unpinned.unguarded)}.`,
    );
  }
  lines.push(
    '',
    `wasmd's lookup of the guard before each execute and query: ContractInfo ${lookup.contract_info_bytes} bytes, CodeInfo ${lookup.code_info_bytes} bytes, ` +
      `${n(sim.find((x, i) => calls[i].contract === 'guard' && x.gas.lookup > 0)?.gas.lookup)} SDK gas (2 reads + the pinned check); the Check bound assumes records of up to ` +
      `${caps.contract_info_bytes} and ${caps.code_info_bytes} bytes (${n(caps.gas)}).`,
  );
  return { markdown: `${lines.join('\n')}\n`, json: { dataset, rows, checks, node, lookup, caps } };
}
