// The localnet end-to-end suite's chain helpers: accounts from
// localnet/accounts.tsv (TEST-ONLY keys), CosmJS signing clients, and
// transactions signed here and broadcast as bytes, so that every result
// carries the size of the transaction the node charged for (wasmd's ante
// handler charges TxSizeCostPerByte = 10 SDK gas per byte).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { SigningCosmWasmClient } from '@cosmjs/cosmwasm-stargate';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { fromBech32, toBech32 } from '@cosmjs/encoding';
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import {
  MsgExecuteContract,
  MsgInstantiateContract,
  MsgPinCodes,
  MsgStoreCode,
} from 'cosmjs-types/cosmwasm/wasm/v1/tx';
import { QueryPinnedCodesRequest, QueryPinnedCodesResponse } from 'cosmjs-types/cosmwasm/wasm/v1/query';
import { MsgSubmitProposal, MsgVote } from 'cosmjs-types/cosmos/gov/v1/tx';
import { QueryProposalRequest, QueryProposalResponse } from 'cosmjs-types/cosmos/gov/v1/query';
import { ProposalStatus, VoteOption } from 'cosmjs-types/cosmos/gov/v1/gov';

/** Gas limit of every transaction (blocks have no gas limit here). */
export const GAS_LIMIT = 60_000_000;
/** Fees are zero (the localnet's minimum gas price is 0stake), so bank balances move only by what contracts do. */
export const FEE = { amount: [{ denom: 'stake', amount: '0' }], gas: String(GAS_LIMIT) };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const sha256hex = (bytes) => createHash('sha256').update(bytes).digest('hex');
const utf8 = (s) => new TextEncoder().encode(s);

/** The TEST-ONLY accounts: { name: { address, mnemonic } }. */
export function readAccounts(path) {
  const out = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [name, address, mnemonic] = line.split('\t');
    out[name] = { address, mnemonic };
  }
  return out;
}

/** A signing client per account: { name: { address, client } }. */
export async function connectAll(rpc, accounts) {
  const out = {};
  for (const [name, { address, mnemonic }] of Object.entries(accounts)) {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: 'wasm' });
    const [account] = await wallet.getAccounts();
    if (account.address !== address) throw new Error(`${name}: mnemonic derives ${account.address}, not ${address}`);
    const client = await SigningCosmWasmClient.connectWithSigner(rpc, wallet);
    out[name] = { name, address, client };
  }
  return out;
}

/** The address of a module account (`authtypes.NewModuleAddress`). */
export function moduleAddress(name) {
  return toBech32('wasm', createHash('sha256').update(name).digest().subarray(0, 20));
}

/**
 * Signs `msgs` as `who`, broadcasts the bytes and waits for the block.
 * Resolves to CosmJS's DeliverTxResponse plus `txBytes`; a transaction that
 * fails in the block (code != 0) resolves too: callers assert on `code`.
 */
export async function send(who, msgs, memo = '') {
  const raw = await who.client.sign(who.address, msgs, FEE, memo);
  const bytes = TxRaw.encode(raw).finish();
  const res = await who.client.broadcastTx(bytes, 60_000, 100);
  return {
    code: res.code,
    height: res.height,
    gasUsed: Number(res.gasUsed),
    gasWanted: Number(res.gasWanted),
    events: res.events,
    rawLog: res.rawLog ?? '',
    hash: res.transactionHash,
    txBytes: bytes.length,
    msgCount: msgs.length,
  };
}

/** `send`, failing unless the transaction succeeded. */
export async function sendOk(who, msgs, what) {
  const res = await send(who, msgs);
  if (res.code !== 0) throw new Error(`${what}: transaction failed (code ${res.code}): ${res.rawLog}`);
  return res;
}

/** The value of `key` in the first event of `type`. */
export function attr(res, type, key) {
  for (const e of res.events) {
    if (e.type !== type) continue;
    const a = e.attributes.find((x) => x.key === key);
    if (a) return a.value;
  }
  return undefined;
}

export const storeMsg = (sender, wasm) => ({
  typeUrl: '/cosmwasm.wasm.v1.MsgStoreCode',
  // gzip, as every CosmJS/wasmd client uploads; the chain stores the
  // decompressed code and reports its SHA-256.
  value: MsgStoreCode.fromPartial({ sender, wasmByteCode: gzipSync(wasm, { level: 9 }) }),
});

export const instantiateMsg = (sender, codeId, msg, label, funds = [], admin = sender) => ({
  typeUrl: '/cosmwasm.wasm.v1.MsgInstantiateContract',
  value: MsgInstantiateContract.fromPartial({
    sender,
    admin,
    codeId: BigInt(codeId),
    label,
    msg: utf8(JSON.stringify(msg)),
    funds,
  }),
});

export const executeMsg = (sender, contract, msg, funds = []) => ({
  typeUrl: '/cosmwasm.wasm.v1.MsgExecuteContract',
  value: MsgExecuteContract.fromPartial({ sender, contract, msg: utf8(JSON.stringify(msg)), funds }),
});

async function abci(client, path, request) {
  const q = client.forceGetQueryClient();
  const { value } = await q.queryAbci(path, request);
  return value;
}

/** The code ids wasmd keeps pinned. */
export async function pinnedCodes(client) {
  const value = await abci(client, '/cosmwasm.wasm.v1.Query/PinnedCodes', QueryPinnedCodesRequest.encode({}).finish());
  return QueryPinnedCodesResponse.decode(value).codeIds.map(Number);
}

/**
 * Pins `codeId` the only way a chain allows: a governance proposal carrying
 * `MsgPinCodes` (authority: the gov module), deposited by `proposer`, voted
 * yes by `voter` (the validator: all the voting power), passed after the
 * localnet's short voting period. Resolves to the transactions and the
 * proposal id.
 */
export async function pinByGovernance(proposer, voter, codeId, { timeoutMs = 60_000 } = {}) {
  const authority = moduleAddress('gov');
  const pin = {
    typeUrl: '/cosmwasm.wasm.v1.MsgPinCodes',
    value: MsgPinCodes.encode(MsgPinCodes.fromPartial({ authority, codeIds: [BigInt(codeId)] })).finish(),
  };
  const submit = await sendOk(
    proposer,
    [
      {
        typeUrl: '/cosmos.gov.v1.MsgSubmitProposal',
        value: MsgSubmitProposal.fromPartial({
          messages: [pin],
          initialDeposit: [{ denom: 'stake', amount: '1000' }],
          proposer: proposer.address,
          metadata: '',
          title: `Pin code ${codeId}`,
          summary: 'Pin the Vigil guard code: contract-to-contract queries then pay the pinned instance cost.',
          expedited: false,
        }),
      },
    ],
    'submit the pin proposal',
  );
  const proposalId = BigInt(attr(submit, 'submit_proposal', 'proposal_id'));
  const vote = await sendOk(
    voter,
    [
      {
        typeUrl: '/cosmos.gov.v1.MsgVote',
        value: MsgVote.fromPartial({ proposalId, voter: voter.address, option: VoteOption.VOTE_OPTION_YES, metadata: '' }),
      },
    ],
    'vote on the pin proposal',
  );
  const start = Date.now();
  let status;
  while (Date.now() - start < timeoutMs) {
    const value = await abci(proposer.client, '/cosmos.gov.v1.Query/Proposal', QueryProposalRequest.encode({ proposalId }).finish());
    status = QueryProposalResponse.decode(value).proposal.status;
    if (status === ProposalStatus.PROPOSAL_STATUS_PASSED) return { submit, vote, proposalId, waitedMs: Date.now() - start };
    if (status === ProposalStatus.PROPOSAL_STATUS_REJECTED || status === ProposalStatus.PROPOSAL_STATUS_FAILED) {
      throw new Error(`the pin proposal ${proposalId} ended with status ${status}`);
    }
    await sleep(300);
  }
  throw new Error(`the pin proposal ${proposalId} did not pass in ${timeoutMs} ms (status ${status})`);
}

/**
 * Waits until a transaction sent now lands in a block at height `h` or
 * later: the chain's last block is at least `h - 1`.
 */
export async function waitForHeight(client, h, { timeoutMs = 60_000 } = {}) {
  const start = Date.now();
  let at;
  while ((at = await client.getHeight()) < h - 1) {
    if (Date.now() - start > timeoutMs) throw new Error(`height ${h - 1} not reached in ${timeoutMs} ms (at ${at})`);
    await sleep(100);
  }
  return at;
}

/**
 * The raw value of a contract's storage key (a string: cw-storage-plus
 * Item keys are their names), or null. For the suite's replay only: no
 * client reads a contract's storage layout, which is not an interface.
 */
export async function rawRecord(client, contract, key) {
  return client.queryContractRaw(contract, utf8(key));
}

/** Bank balance of `address` in `denom`, as a BigInt. */
export async function balance(client, address, denom) {
  return BigInt((await client.getBalance(address, denom)).amount);
}

/** Bytes of the value under `key` in wasmd's module store (as the node holds it). */
async function wasmStoreBytes(client, key) {
  const res = await client.forceGetCometClient().abciQuery({ path: '/store/wasm/key', data: key });
  if (!res.value || res.value.length === 0) throw new Error(`no value under wasm key ${Buffer.from(key).toString('hex')}`);
  return res.value.length;
}

/**
 * Sizes of the records wasmd reads to look a contract up before every
 * execute and query: its ContractInfo (key 0x02 + address) and its code's
 * CodeInfo (key 0x01 + code id, 8 bytes big-endian).
 */
export async function lookupRecordBytes(client, contract, codeId) {
  const code = new Uint8Array(9);
  code[0] = 0x01;
  new DataView(code.buffer).setBigUint64(1, BigInt(codeId));
  return {
    contract_info_bytes: await wasmStoreBytes(client, Uint8Array.from([0x02, ...fromBech32(contract, 128).data])),
    code_info_bytes: await wasmStoreBytes(client, code),
  };
}
