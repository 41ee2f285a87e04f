// A Proof-of-Improvement round through real transactions, written against
// the guard's current proposal messages: `ProposeModel { model, limits }`
// with the bond attached, then `ContinueEvaluation { proposal_id }` until
// the contract decides. This is the one place that knows those messages:
// when proposals become a commit/reveal pair, adapt `proposeAndDecide`
// (and `proposalMessages`) only.
import { attr, balance, executeMsg, sendOk } from './chain.mjs';

/** The messages of one proposal, as `vigil msg propose` writes them (JSON). */
export function proposalMessages(proposeJson) {
  return { propose: JSON.parse(proposeJson) };
}

/**
 * `proposer` proposes `messages.propose` to `guard` with `bond` (a coin),
 * then anyone (`stepper`) continues the evaluation until it is decided.
 * Resolves to { proposalId, status, steps: [{ name, res, msg, sender, funds }] }.
 */
export async function proposeAndDecide({ guard, proposer, stepper, messages, bond, label, maxSteps = 100 }) {
  const steps = [];
  const first = await sendOk(proposer, [executeMsg(proposer.address, guard, messages.propose, [bond])], `${label}: ProposeModel`);
  steps.push({ name: `${label}: ProposeModel`, res: first, msg: messages.propose, sender: proposer.address, funds: [bond] });
  const proposalId = Number(attr(first, 'wasm', 'proposal_id'));
  let status = attr(first, 'wasm', 'status');
  while (status === 'evaluating') {
    if (steps.length > maxSteps) throw new Error(`${label}: not decided after ${maxSteps} steps`);
    const msg = { continue_evaluation: { proposal_id: proposalId } };
    const res = await sendOk(stepper, [executeMsg(stepper.address, guard, msg)], `${label}: ContinueEvaluation`);
    steps.push({ name: `${label}: ContinueEvaluation`, res, msg, sender: stepper.address, funds: [] });
    status = attr(res, 'wasm', 'status');
  }
  return { proposalId, status, steps };
}

/**
 * The round: a better model is accepted (bond back plus the reward from the
 * vault), a worse one is rejected (bond slashed into the vault). Bank
 * balances of the proposers and the guard, and the guard's vault, are read
 * before and after each proposal. Resolves to a report the test asserts on.
 */
export async function poimRound({ guard, better, worse, stepper, query, denom }) {
  const report = [];
  for (const [role, { who, messages, bond }] of [
    ['better', better],
    ['worse', worse],
  ]) {
    const before = {
      proposer: await balance(who.client, who.address, denom),
      guard: await balance(who.client, guard, denom),
      vault: BigInt((await query({ config: {} })).vault),
      version: (await query({ config: {} })).active_version,
    };
    const out = await proposeAndDecide({ guard, proposer: who, stepper, messages, bond, label: `PoIm ${role}` });
    const config = await query({ config: {} });
    const after = {
      proposer: await balance(who.client, who.address, denom),
      guard: await balance(who.client, guard, denom),
      vault: BigInt(config.vault),
      version: config.active_version,
    };
    const last = out.steps[out.steps.length - 1].res;
    report.push({
      role,
      ...out,
      before,
      after,
      reward: BigInt(attr(last, 'wasm-vigil_poim', 'reward') ?? attr(last, 'wasm', 'reward') ?? '0'),
      slashed: BigInt(attr(last, 'wasm-vigil_poim', 'slashed') ?? attr(last, 'wasm', 'slashed') ?? '0'),
    });
  }
  return report;
}
