/**
 * Fetch the live model from a Vigil guard contract with CosmJS, so the
 * browser scores with exactly the model the chain enforces.
 *
 * ```js
 * import { CosmWasmClient } from '@cosmjs/cosmwasm-stargate';
 * import { GuardClient } from '@vigil-ml/web/chain';
 *
 * const client = await CosmWasmClient.connect('https://rpc.example.org');
 * const guard = new GuardClient(client, 'wasm1...guard');
 * const { model, info } = await guard.loadModel({ featureNames });
 * model.score(features); // the same bits as the guard's `score` query
 * ```
 *
 * The guard is the contract integrators call (`vigil_guard.wasm`); its
 * governor (`vigil_governor.wasm`) runs the Proof-of-Improvement rounds and
 * installs each accepted model on it. This client reads the guard only. The
 * message and response types are generated from the guard's JSON schema
 * (`schema/vigil-guard.json`) by `@cosmwasm/ts-codegen` (`npm run codegen`);
 * the governor's are exported as the `Governor` namespace.
 *
 * @module
 */
import type {
  Action,
  BaselineResponse,
  CheckResponse,
  GuardConfigResponse,
  ModelBlobResponse,
  ModelResponse,
  ProtectedResponse,
  QueryMsg,
  ScoreResponse,
  VerdictResponse,
} from './generated/VigilGuard.types.js';
import { loadModel, VigilError, type LoadOptions, type VigilModel } from './index.js';

export type * from './generated/VigilGuard.types.js';
/** The governor's messages and answers (`schema/vigil-governor.json`). */
export type * as Governor from './generated/VigilGovernor.types.js';

/**
 * What this module needs of a CosmJS client: `CosmWasmClient` and
 * `SigningCosmWasmClient` from `@cosmjs/cosmwasm-stargate` fit as they are.
 * Only smart queries: the guard's storage layout is not an interface.
 */
export interface GuardQuerier {
  queryContractSmart(address: string, queryMsg: Record<string, unknown>): Promise<unknown>;
}

/** A model fetched from a guard. */
export interface LiveModel {
  /** The loaded model (checksum verified against the contract's `hash`). */
  model: VigilModel;
  /** The contract's record of it (version, hash, metrics, ...). */
  info: ModelResponse;
  /** The raw blob. */
  blob: Uint8Array;
}

/** Most chunks a blob may come in (the guard's chunks are 128 KiB: 16 MiB). */
export const MAX_BLOB_CHUNKS = 128;

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A read-only client of one guard contract. */
export class GuardClient {
  /**
   * @param client a CosmJS `CosmWasmClient` (or anything with its
   *   `queryContractSmart`)
   * @param contract the guard's address
   */
  constructor(
    readonly client: GuardQuerier,
    readonly contract: string,
  ) {}

  /** Any query of the guard, typed by the generated `QueryMsg` (the guard's `GuardQueryMsg`). */
  async query<T>(msg: QueryMsg): Promise<T> {
    try {
      return (await this.client.queryContractSmart(this.contract, msg as Record<string, unknown>)) as T;
    } catch (e) {
      const what = Object.keys(msg)[0];
      throw new VigilError('ENGINE', `guard ${this.contract}: query \`${what}\` failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }

  /** The active model's record, or that of `version`. */
  model(version?: number): Promise<ModelResponse> {
    return this.query<ModelResponse>({ model: version === undefined ? {} : { version } });
  }

  /**
   * The guard's configuration: its admin, its governor, the install
   * sequence, `n_features`, its budgets, `paused_check`, `paused` and the
   * active version (the governance settings are the governor's `config`).
   */
  config(): Promise<GuardConfigResponse> {
    return this.query<GuardConfigResponse>({ config: {} });
  }

  /** Score on chain (a query: no transaction, no gas paid by the user). */
  score(features: string[]): Promise<ScoreResponse> {
    return this.query<ScoreResponse>({ score: { features } });
  }

  /** Ask the guard whether it would allow a transaction with these features. */
  check(features: string[]): Promise<CheckResponse> {
    return this.query<CheckResponse>({ check: { features } });
  }

  /**
   * The guard's verdict on an action of the protected contract `contract`
   * at the current block (the `verdict` query: the judgement its `Observe`
   * would make, nothing recorded): `allow`, `delay` or `deny`, the model's
   * score, the seven derived features (`derived`; `@vigil-ml/web/baseline`
   * computes the same from a log of actions) and the breaker's state.
   */
  verdict(contract: string, action: Action): Promise<VerdictResponse> {
    return this.query<VerdictResponse>({ verdict: { contract, action } });
  }

  /**
   * A protected contract's record (the `protected` query): its settings in
   * force (kinds, baseline parameters, breaker rules), a pending change and
   * its breaker's state. `Baselines.fromSettings(answer.settings)`
   * (`@vigil-ml/web/baseline`) learns with the same parameters.
   */
  protected(contract: string): Promise<ProtectedResponse> {
    return this.query<ProtectedResponse>({ protected: { contract } });
  }

  /** One action kind's baselines of a protected contract (the `baseline` query), as decimals. */
  baseline(contract: string, kind: string): Promise<BaselineResponse> {
    return this.query<BaselineResponse>({ baseline: { contract, kind } });
  }

  /**
   * One chunk of a stored model's blob (the `model_blob` query). Most
   * models are one chunk.
   */
  modelBlob(version: number | undefined, chunk: number): Promise<ModelBlobResponse> {
    return this.query<ModelBlobResponse>({ model_blob: version === undefined ? { chunk } : { version, chunk } });
  }

  /**
   * Fetch the active model (or `version`) and load it: the contract's
   * record (`model` query), the blob chunk by chunk (`model_blob` query),
   * and a check that the blob's SHA-256 is the `hash` the contract reports.
   */
  async loadModel(options: LoadOptions & { version?: number } = {}): Promise<LiveModel> {
    const info = await this.model(options.version);
    const first = await this.modelBlob(info.version, 0);
    const where = `guard ${this.contract}: model ${info.version}`;
    if (first.version !== info.version || first.hash.toLowerCase() !== info.hash.toLowerCase()) {
      throw new VigilError('MALFORMED_MODEL', `${where}: the blob answered is of version ${first.version} (hash ${first.hash})`);
    }
    if (!Number.isInteger(first.chunks) || first.chunks < 1 || first.chunks > MAX_BLOB_CHUNKS) {
      throw new VigilError('MALFORMED_MODEL', `${where}: the guard reports ${first.chunks} chunks (at most ${MAX_BLOB_CHUNKS} accepted)`);
    }
    const parts = [decodeBase64(first.data)];
    for (let chunk = 1; chunk < first.chunks; chunk++) {
      const next = await this.modelBlob(info.version, chunk);
      if (next.chunk !== chunk || next.hash !== first.hash) {
        throw new VigilError('MALFORMED_MODEL', `${where}: chunk ${chunk} answered as chunk ${next.chunk} of ${next.hash}`);
      }
      parts.push(decodeBase64(next.data));
    }
    const blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      blob.set(p, at);
      at += p.length;
    }
    if (blob.length === 0 || blob.length !== first.size) {
      throw new VigilError('MALFORMED_MODEL', `${where}: ${blob.length} bytes received, the guard reports ${first.size}`);
    }
    const loadOptions = options.featureNames ? { featureNames: options.featureNames } : {};
    const model = await loadModel(blob, loadOptions);
    const checksum = model.info().checksum;
    if (checksum !== info.hash.toLowerCase()) {
      model.free();
      throw new VigilError(
        'MALFORMED_MODEL',
        `${where} has hash ${info.hash}, but the stored blob's checksum is ${checksum}`,
      );
    }
    return { model, info, blob };
  }
}

/** `new GuardClient(client, contract).loadModel(options)`. */
export function fetchGuardModel(
  client: GuardQuerier,
  contract: string,
  options: LoadOptions & { version?: number } = {},
): Promise<LiveModel> {
  return new GuardClient(client, contract).loadModel(options);
}
