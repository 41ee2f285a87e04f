// Compile-time checks (test/codegen.test.mjs runs `tsc -p test`).
import { CosmWasmClient, SigningCosmWasmClient } from '@cosmjs/cosmwasm-stargate';
import { GuardClient, type Governor, type GuardConfigResponse, type GuardQuerier, type QueryMsg } from '../js/chain.js';
import { loadModel, type ScoreResult } from '../js/index.js';
import { Baselines, type Derived, type DerivedName } from '../js/baseline.js';
import type { Action, VerdictResponse } from '../js/chain.js';
import type { VigilWarning } from '../js/widget.js';

declare const client: CosmWasmClient;
declare const signing: SigningCosmWasmClient;
const a: GuardQuerier = client;
const b: GuardQuerier = signing;
const guard = new GuardClient(client, 'wasm1...');
const q: QueryMsg = { score: { features: ['1'] } };
// The guard's queries only: the governor's are not GuardClient's.
// @ts-expect-error `proposals` is the governor's query
const notGuard: QueryMsg = { proposals: {} };
const commit: Governor.ExecuteMsg = { commit_proposal: { commitment: '00' } };
const bind: Governor.ExecuteMsg = { bind_guard: { guard: 'wasm1...' } };
export async function usage(): Promise<ScoreResult> {
  await guard.query(q);
  const config: GuardConfigResponse = await guard.config();
  config.governor satisfies string;
  config.install_sequence satisfies number;
  const { model } = await guard.loadModel({ featureNames: ['a'] });
  // The breaker's queries, typed; the baselines from the guard's settings.
  const action: Action = { kind: 'withdraw', value: '1000', total_value: '1000000', caller: 'wasm1...', features: [] };
  const verdict: VerdictResponse = await guard.verdict('wasm1vault', action);
  verdict.derived satisfies string[];
  const { settings, breaker } = await guard.protected('wasm1vault');
  breaker.trips satisfies number;
  (await guard.baseline('wasm1vault', 'withdraw')).warm satisfies boolean;
  const baselines = Baselines.fromSettings(settings);
  const derived: Derived = baselines.observe(action, 12n, true);
  derived.names[0] satisfies DerivedName;
  baselines.observe({ kind: 'withdraw', value: 10n, total_value: 100, caller: 'wasm1...' }, '13', false);
  // @ts-expect-error `paid` is required: observe records only what was paid
  baselines.observe(action, 14);
  // @ts-expect-error a derived name that is not one
  const wrong: DerivedName = 'value_zz';
  void wrong;
  const el = document.createElement('vigil-warning') satisfies VigilWarning;
  el.model = model;
  el.addEventListener('vigil-verdict', (e) => e.detail.level satisfies 'safe' | 'caution' | 'danger');
  void a;
  void b;
  void notGuard;
  void commit;
  void bind;
  return (await loadModel(new Uint8Array())).score(['1']);
}
