// A Proof-of-Improvement round through real transactions on the governor,
// written against its proposal messages (commit-reveal): `CommitProposal {
// commitment, limits }` with the bond attached, then, from `reveal_delay`
// blocks later, `RevealProposal { proposal_id, model, salt }`, then
// `ContinueEvaluation { proposal_id }` until the governor decides; an
// accepted model waits `activation_delay` blocks (pending, vetoable), then
// anyone's `Activate {}` makes it active and sends it to the guard
// (`InstallModel`). This is the one place that knows those messages: adapt
// `proposeAndDecide` (and `proposalMessages`) only.
import { randomBytes } from 'node:crypto';
import { attr, balance, executeMsg, sendOk, waitForHeight } from './chain.mjs';

/** A fresh 32-byte salt as 64 hex digits (what `vigil msg commit --salt` takes). */
export const newSalt = () => randomBytes(32).toString('hex');

/**
 * The messages of one proposal, as `vigil msg` writes them: `commit(sender,
 * salt)` and `reveal(proposalId, salt)` give the JSON of `vigil msg commit`
 * and `vigil msg reveal` for the proposal's model.
 */
export function proposalMessages({ commit, reveal }) {
  return { commit, reveal };
}

/**
 * `proposer` commits to `messages`' model on `governor` with `bond` (a
 * coin), reveals it once the reveal delay has passed, then anyone
 * (`stepper`) continues the evaluation until it is decided; a pending model
 * is activated by `stepper` once its activation delay has passed.
 * `onStep(step)`, if given, is awaited after each transaction, before the
 * next. Resolves to { proposalId, status, steps: [{ name, res, msg, sender, funds }] },
 * `status` the final one (`accepted`, `rejected`, ...).
 */
export async function proposeAndDecide({ governor, proposer, stepper, messages, bond, label, maxSteps = 100, onStep }) {
  const steps = [];
  const salt = newSalt();
  const tx = async (who, name, msg, funds = []) => {
    const res = await sendOk(who, [executeMsg(who.address, governor, msg, funds)], `${label}: ${name}`);
    const step = { name: `${label}: ${name}`, res, msg, sender: who.address, funds };
    steps.push(step);
    // Before the next transaction: the caller may read the state this one left.
    if (onStep) await onStep(step);
    return res;
  };
  const commitMsg = JSON.parse(messages.commit(proposer.address, salt));
  const committed = await tx(proposer, 'CommitProposal', commitMsg, [bond]);
  const proposalId = Number(attr(committed, 'wasm', 'proposal_id'));
  const revealFrom = Number(attr(committed, 'wasm', 'reveal_from'));
  // The reveal is refused before `reveal_from` (the block it lands in must
  // be at least that height).
  await waitForHeight(proposer.client, revealFrom);
  const revealMsg = JSON.parse(messages.reveal(proposalId, salt));
  const revealed = await tx(proposer, 'RevealProposal', revealMsg);
  let status = attr(revealed, 'wasm', 'status');
  let last = revealed;
  while (status === 'evaluating') {
    if (steps.length > maxSteps) throw new Error(`${label}: not decided after ${maxSteps} steps`);
    last = await tx(stepper, 'ContinueEvaluation', { continue_evaluation: { proposal_id: proposalId } });
    status = attr(last, 'wasm', 'status');
  }
  if (status === 'pending') {
    const at = Number(attr(last, 'wasm-vigil_poim', 'activate_at'));
    if (!Number.isInteger(at)) throw new Error(`${label}: pending without activate_at`);
    await waitForHeight(stepper.client, at);
    last = await tx(stepper, 'Activate', { activate: {} });
    status = attr(last, 'wasm', 'status');
  }
  return { proposalId, status, steps };
}

/** The last value of `key` in events of type `wasm-vigil_*` or `wasm`, else undefined. */
function decided(res, key) {
  for (const type of ['wasm-vigil_activate', 'wasm-vigil_poim', 'wasm']) {
    const v = attr(res, type, key);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The round: a better model is accepted (bond back plus the reward from the
 * vault), a worse one is rejected (bond slashed into the vault). Bank
 * balances of the proposers and the governor (which holds the bonds and
 * the vault), the governor's vault and active version, and the guard's
 * active version and install sequence are read before and after each
 * proposal; `onStep` as for `proposeAndDecide`. Resolves to a report the
 * test asserts on.
 */
export async function poimRound({ governor, guard, better, worse, stepper, query, denom, onStep }) {
  const report = [];
  const read = async (who) => {
    const config = await query(governor, { config: {} });
    const g = await query(guard, { config: {} });
    return {
      proposer: await balance(who.client, who.address, denom),
      governor: await balance(who.client, governor, denom),
      guard: await balance(who.client, guard, denom),
      vault: BigInt(config.vault),
      version: config.active_version,
      guardVersion: g.active_version,
      installs: g.install_sequence,
    };
  };
  for (const [role, { who, messages, bond }] of [
    ['better', better],
    ['worse', worse],
  ]) {
    const before = await read(who);
    const out = await proposeAndDecide({ governor, proposer: who, stepper, messages, bond, label: `PoIm ${role}`, onStep });
    const after = await read(who);
    const last = out.steps[out.steps.length - 1].res;
    report.push({
      role,
      ...out,
      before,
      after,
      reward: BigInt(decided(last, 'reward') ?? '0'),
      slashed: BigInt(decided(last, 'slashed') ?? '0'),
    });
  }
  return report;
}
