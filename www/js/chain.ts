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
 * The message and response types are generated from the contract's JSON
 * schema by `@cosmwasm/ts-codegen` (`npm run codegen`).
 *
 * @module
 */
import type {
  CheckResponse,
  ConfigResponse,
  ModelResponse,
  QueryMsg,
  ScoreResponse,
} from './generated/VigilGuard.types.js';
import { loadModel, VigilError, type LoadOptions, type VigilModel } from './index.js';

export type * from './generated/VigilGuard.types.js';

/**
 * What this module needs of a CosmJS client: `CosmWasmClient` and
 * `SigningCosmWasmClient` from `@cosmjs/cosmwasm-stargate` fit as they are.
 */
export interface GuardQuerier {
  queryContractSmart(address: string, queryMsg: Record<string, unknown>): Promise<unknown>;
  queryContractRaw(address: string, key: Uint8Array): Promise<Uint8Array | null>;
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

/**
 * Storage key of a model version's blob in the guard: `"blob"` followed by
 * the version as a big-endian u32 (the contract's `state::save_blob`).
 */
export function blobKey(version: number): Uint8Array {
  if (!Number.isInteger(version) || version < 1 || version > 0xffff_ffff) {
    throw new VigilError('BAD_ARGUMENT', `a model version is an integer in [1, 2^32), got ${version}`);
  }
  const key = new Uint8Array(8);
  key.set([0x62, 0x6c, 0x6f, 0x62]); // "blob"
  new DataView(key.buffer).setUint32(4, version, false);
  return key;
}

/**
 * The contract stores a value of 128 KiB or more as several records
 * (`state::set_chunked`): the first at its key, continuation `i` at the key
 * followed by `0xFF` and `i` as a big-endian u16; every record but the last
 * is exactly this long.
 */
export const MAX_RECORD_BYTES = 128 * 1024;

/** Key of continuation record `index` of the chunked value at `key`. */
export function chunkKey(key: Uint8Array, index: number): Uint8Array {
  const out = new Uint8Array(key.length + 3);
  out.set(key);
  out[key.length] = 0xff;
  new DataView(out.buffer).setUint16(key.length + 1, index, false);
  return out;
}

/** A read-only client of one guard contract. */
export class GuardClient {
  /**
   * @param client a CosmJS `CosmWasmClient` (or anything with its
   *   `queryContractSmart` and `queryContractRaw`)
   * @param contract the guard's address
   */
  constructor(
    readonly client: GuardQuerier,
    readonly contract: string,
  ) {}

  /** Any query of the guard, typed by the generated `QueryMsg`. */
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

  /** The guard's configuration. */
  config(): Promise<ConfigResponse> {
    return this.query<ConfigResponse>({ config: {} });
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
   * Fetch the active model (or `version`) and load it: the contract's
   * record by a smart query, the blob by a raw query of its storage key,
   * and a check that the blob's SHA-256 is the `hash` the contract reports.
   */
  async loadModel(options: LoadOptions & { version?: number } = {}): Promise<LiveModel> {
    const info = await this.model(options.version);
    let blob: Uint8Array | null;
    try {
      const key = blobKey(info.version);
      blob = await this.client.queryContractRaw(this.contract, key);
      const parts: Uint8Array[] = blob ? [blob] : [];
      let last = blob ? blob.length : 0;
      for (let index = 1; last === MAX_RECORD_BYTES; index++) {
        const part = await this.client.queryContractRaw(this.contract, chunkKey(key, index));
        if (!part) break;
        parts.push(part);
        last = part.length;
      }
      if (parts.length > 1) {
        blob = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          blob.set(p, at);
          at += p.length;
        }
      }
    } catch (e) {
      throw new VigilError('ENGINE', `guard ${this.contract}: reading model ${info.version} failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
    if (!blob || blob.length === 0) {
      throw new VigilError('MALFORMED_MODEL', `guard ${this.contract} has no stored blob for model version ${info.version}`);
    }
    const loadOptions = options.featureNames ? { featureNames: options.featureNames } : {};
    const model = await loadModel(blob, loadOptions);
    const checksum = model.info().checksum;
    if (checksum !== info.hash.toLowerCase()) {
      model.free();
      throw new VigilError(
        'MALFORMED_MODEL',
        `guard ${this.contract}: model ${info.version} has hash ${info.hash}, but the stored blob's checksum is ${checksum}`,
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
