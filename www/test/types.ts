// Compile-time checks (test/codegen.test.mjs runs `tsc -p test`).
import { CosmWasmClient, SigningCosmWasmClient } from '@cosmjs/cosmwasm-stargate';
import { GuardClient, type GuardQuerier, type QueryMsg } from '../js/chain.js';
import { loadModel, type ScoreResult } from '../js/index.js';
import type { VigilWarning } from '../js/widget.js';

declare const client: CosmWasmClient;
declare const signing: SigningCosmWasmClient;
const a: GuardQuerier = client;
const b: GuardQuerier = signing;
const guard = new GuardClient(client, 'wasm1...');
const q: QueryMsg = { score: { features: ['1'] } };
export async function usage(): Promise<ScoreResult> {
  await guard.query(q);
  const { model } = await guard.loadModel({ featureNames: ['a'] });
  const el = document.createElement('vigil-warning') satisfies VigilWarning;
  el.model = model;
  el.addEventListener('vigil-verdict', (e) => e.detail.level satisfies 'safe' | 'caution' | 'danger');
  void a;
  void b;
  return (await loadModel(new Uint8Array())).score(['1']);
}
