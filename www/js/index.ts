/**
 * `@vigil-ml/web`: score a transaction or recipient in the browser with the
 * very model a Vigil guard contract uses, bit for bit.
 *
 * ```js
 * import { loadModel } from '@vigil-ml/web';
 * const model = await loadModel(bytes, { featureNames });
 * const { score, label, contributions } = model.score({ sent_tnx: '2', ... });
 * ```
 *
 * The engine is the Rust inference core compiled to WebAssembly with no
 * float instruction; this module only moves strings in and integers out.
 * Scores are `U1F31` fixed-point values: `score === scoreBits / 2 ** 31`
 * exactly.
 *
 * @module
 */
import initEngine, { Engine, initSync } from './wasm/vigil_web.js';
import type { InitOutput } from './wasm/vigil_web.js';
import { WASM_BYTES, WASM_DEFLATED, WASM_SHA256 } from './wasm/inline.js';
import { inflateRaw } from './inflate.js';

/** Machine-readable kind of a {@link VigilError}. */
export type VigilErrorCode =
  /** The model blob failed validation (truncated, corrupted, wrong format). */
  | 'MALFORMED_MODEL'
  /** The input vector has the wrong number of values. */
  | 'FEATURE_COUNT'
  /** A value is not a valid decimal number (or not a string/number at all). */
  | 'BAD_NUMBER'
  /** A name → value record misses some of the model's features. */
  | 'MISSING_FEATURE'
  /** A name → value record has names the model does not know. */
  | 'UNKNOWN_FEATURE'
  /** A record was given but the model was loaded without feature names. */
  | 'NO_FEATURE_NAMES'
  /** An argument of the wrong type or shape. */
  | 'BAD_ARGUMENT'
  /** The model (or baselines) was freed. */
  | 'FREED'
  /** An action of a kind the baselines were not declared with (`@vigil-ml/web/baseline`). */
  | 'UNKNOWN_KIND'
  /** The WebAssembly engine could not be started. */
  | 'ENGINE';

/** Every error this package throws: a JS `Error` with a `code`. */
export class VigilError extends Error {
  /** What went wrong, for programs. */
  readonly code: VigilErrorCode;
  /** The offending feature's index, for per-feature errors. */
  readonly feature?: number;
  /** The offending feature's name, when known. */
  readonly featureName?: string;

  constructor(
    code: VigilErrorCode,
    message: string,
    details: { feature?: number; featureName?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'VigilError';
    this.code = code;
    if (details.feature !== undefined) this.feature = details.feature;
    if (details.featureName !== undefined) this.featureName = details.featureName;
  }
}

/** `scoreBits` of a score of exactly 1. */
export const SCORE_ONE_BITS = 0x8000_0000;
/** Returned by the engine instead of score bits for refused inputs. */
const SCORE_ERROR = 0xffff_ffff;
const NO_FEATURE = 0xffff_ffff;

// ---------------------------------------------------------------------------
// Engine start-up

/** Where the engine's wasm comes from: by default the copy inlined in this package. */
export type EngineSource = BufferSource | WebAssembly.Module | URL | string | Response;

let engine: Promise<InitOutput> | undefined;
let exports: InitOutput | undefined;

/** The inlined engine wasm: base64, then raw DEFLATE. */
function inlinedWasm(): Uint8Array {
  return inflateRaw(decodeBase64(WASM_DEFLATED), WASM_BYTES);
}

/**
 * {@link inlinedWasm} by the platform's `DecompressionStream` where it
 * knows raw DEFLATE (native: well under a millisecond, where the portable
 * decoder takes about 10 ms before the JIT warms up), else as above.
 */
async function inlinedWasmAsync(): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'function') {
    try {
      const stream = new Response(decodeBase64(WASM_DEFLATED)).body!.pipeThrough(new DecompressionStream('deflate-raw'));
      const wasm = new Uint8Array(await new Response(stream).arrayBuffer());
      if (wasm.length === WASM_BYTES) return wasm;
    } catch {
      // No 'deflate-raw' here (older browsers and Node versions): below.
    }
  }
  return inlinedWasm();
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  if (typeof fromBase64 === 'function') return fromBase64(b64);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Start the engine. Called by {@link loadModel}; call it yourself only to
 * start early or to load the wasm from elsewhere (`source`: bytes, a
 * compiled module, or a URL of `dist/wasm/vigil_web_bg.wasm` for streaming
 * compilation). Without `source` the engine comes from the copy inlined
 * in this package (deflated, base64): no network request. Idempotent: the
 * first call wins.
 */
export function init(source?: EngineSource): Promise<void> {
  engine ??= Promise.resolve()
    .then(() => source ?? inlinedWasmAsync())
    .then((module_or_path) => initEngine({ module_or_path }))
    .then(
      (out) => (exports = out),
      (e: unknown) => {
        engine = undefined;
        throw new VigilError('ENGINE', `cannot start the Vigil engine: ${errorMessage(e)}`, { cause: e });
      },
    );
  return engine.then(() => undefined);
}

/**
 * Start the engine synchronously from the inlined wasm (or `source`
 * bytes/module). For workers and Node; on a browser's main thread prefer
 * {@link init}.
 */
export function initEngineSync(source?: BufferSource | WebAssembly.Module): void {
  if (exports) return;
  try {
    exports = initSync({ module: source ?? inlinedWasm() });
  } catch (e) {
    throw new VigilError('ENGINE', `cannot start the Vigil engine: ${errorMessage(e)}`, { cause: e });
  }
  engine = Promise.resolve(exports);
}

/**
 * The engine's wasm as shipped (inlined in this package), for auditing
 * (e.g. a float-instruction scan) or self-hosting: pass a URL of a copy to
 * {@link init} for streaming compilation. Its SHA-256 is {@link ENGINE_SHA256}.
 */
export function engineWasm(): Uint8Array {
  return inlinedWasm();
}

/** SHA-256 (hex) of {@link engineWasm}. */
export const ENGINE_SHA256: string = WASM_SHA256;

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------
// Types

/** What {@link VigilModel.info} reports. */
export interface ModelInfo {
  /** `linear`, `mlp`, `gbdt`, `random-forest` or `isolation-forest`. */
  family: string;
  /** Number of raw inputs. */
  nFeatures: number;
  /** Feature names: the model's own (its metadata section), or those given to {@link loadModel}. */
  featureNames: readonly string[] | null;
  /** Human labels stored in the model, one per feature (`''` where none), or null. */
  featureLabels: readonly string[] | null;
  /** Units stored in the model, one per feature (`''` where none), or null. */
  featureUnits: readonly string[] | null;
  /** The model's label threshold in [0, 1]. */
  threshold: number;
  /** The threshold as `U1F31` bits (`threshold === thresholdBits / 2 ** 31`). */
  thresholdBits: number;
  /** Whether scores come with per-feature contributions (linear and explained tree models; not MLPs). */
  explainable: boolean;
  /** SHA-256 of the model (hex): its identity, the `hash` a guard contract reports. */
  checksum: string;
  /** Blob size in bytes. */
  size: number;
  /** Upper bound on wasm operations per inference (the guard's cost model). */
  costOps: number;
}

/** One feature's share of a score. */
export interface Contribution {
  /** Feature index. */
  feature: number;
  /** Feature name, if the model has names. */
  name: string | null;
  /** Contribution in the model's raw output units (the logit for linear and GBDT models): positive raises the score. */
  value: number;
  /** The exact value: `I16F16` bits (`value === bits / 65536`). */
  bits: number;
}

/** The result of {@link VigilModel.score}. */
export interface ScoreResult {
  /** Score in [0, 1]: the probability of the positive (fraud / phishing) class. Exactly `scoreBits / 2 ** 31`. */
  score: number;
  /** The exact score: `U1F31` bits, as the guard's `score_bits`. */
  scoreBits: number;
  /** `score >= threshold` (the model's label). */
  label: boolean;
  /** One per feature, in feature order; empty for models without explanations (MLPs). */
  contributions: Contribution[];
}

/** A value of one feature: a decimal string (exact), or a number or bigint (converted with `String()`). */
export type FeatureValue = string | number | bigint;

/** The inputs of one inference: values in feature order, or a name → value record. */
export type Features =
  | readonly FeatureValue[]
  | Readonly<Record<string, FeatureValue>>
  | ReadonlyMap<string, FeatureValue>;

/** Options of {@link loadModel}. */
export interface LoadOptions {
  /** One name per feature, in order: enables name → value records and names contributions. */
  featureNames?: readonly string[];
}

// ---------------------------------------------------------------------------
// The model

function toBytes(bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (Array.isArray(bytes) && bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    return Uint8Array.from(bytes as number[]);
  }
  throw new VigilError(
    'BAD_ARGUMENT',
    `loadModel() takes the model blob as a Uint8Array, ArrayBuffer or byte array, got ${describe(bytes)}`,
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return `${typeof v} ${String(v)}`;
}

function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v);
  return JSON.stringify(s.length > 48 ? `${s.slice(0, 48)}…` : s);
}

/**
 * A loaded, validated model. Create with {@link loadModel}; `free()` it
 * when done if you load many models (otherwise the garbage collector does).
 */
export class VigilModel {
  readonly #engine: Engine;
  readonly #n: number;
  readonly #names: readonly string[] | null;
  readonly #index: Map<string, number> | null;
  readonly #explainable: boolean;
  readonly #threshold: number;
  readonly #info: ModelInfo;
  /** The engine's input buffer: a view of the module's memory, see {@link VigilModel.#write}. */
  #input: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  #freed = false;

  /** @internal Use {@link loadModel}. */
  constructor(engine: Engine, names: readonly string[] | null) {
    this.#engine = engine;
    this.#n = engine.nFeatures;
    this.#names = names;
    this.#index = names ? new Map(names.map((name, i) => [name, i])) : null;
    this.#explainable = engine.explainable;
    const thresholdBits = engine.thresholdBits;
    this.#threshold = thresholdBits;
    this.#info = Object.freeze({
      family: engine.family,
      nFeatures: this.#n,
      featureNames: names,
      featureLabels: stored(engine.featureLabels),
      featureUnits: stored(engine.featureUnits),
      threshold: thresholdBits / SCORE_ONE_BITS,
      thresholdBits,
      explainable: this.#explainable,
      checksum: engine.checksum,
      size: engine.size,
      costOps: Number(engine.costOps),
    });
  }

  /** What the model is: family, feature count, threshold, checksum, ... */
  info(): ModelInfo {
    return this.#info;
  }

  /**
   * Score one input vector: a list of `nFeatures` decimal strings in feature
   * order, or a name → value record (needs `featureNames`). Throws a
   * {@link VigilError} for a wrong feature count, an unknown or missing
   * name, or a value that is not a decimal number.
   */
  score(features: Features): ScoreResult {
    if (this.#freed) throw new VigilError('FREED', 'this model was freed');
    const values = this.#values(features);
    const bits = this.#engine.scoreInput(this.#write(values));
    if (bits === SCORE_ERROR) throw this.#refused(values);
    const n = this.#n;
    // Exactly the core's label: the score's bits against the threshold's.
    const label = bits >= this.#threshold;
    let contributions: Contribution[] = [];
    if (this.#explainable) {
      const view = new Int32Array(exports!.memory.buffer, this.#engine.contributionsPtr(), n);
      contributions = new Array<Contribution>(n);
      const names = this.#names;
      for (let i = 0; i < n; i++) {
        const b = view[i]!;
        contributions[i] = { feature: i, name: names ? names[i]! : null, value: b / 65536, bits: b };
      }
    }
    return { score: bits / SCORE_ONE_BITS, scoreBits: bits, label, contributions };
  }

  /** Release the engine's memory for this model. Further calls throw. */
  free(): void {
    if (!this.#freed) {
      this.#freed = true;
      this.#engine.free();
    }
  }

  /**
   * Write the values into the engine's input buffer, joined with `,`, one
   * byte per UTF-16 code unit; returns the byte count. A value with a
   * non-ASCII character is written again with each such unit as 0xFF: no
   * decimal holds that byte, so the engine refuses the value at the same
   * position as it would the character's UTF-8 form (the first offending
   * character is the one reported, and every byte before it is ASCII).
   */
  #write(values: ArrayLike<unknown>): number {
    let buf = this.#input;
    // Empty before the first call, and once the module's memory has grown
    // (which detaches the old view).
    if (buf.length === 0) buf = this.#grow(0);
    let at = 0;
    let seen = 0; // every code unit or'ed: above 0x7f means non-ASCII
    for (let i = 0; i < values.length; i++) {
      const raw = values[i];
      const v = typeof raw === 'string' ? raw : this.#convert(raw, i);
      const len = v.length;
      if (at + len + 1 > buf.length) buf = this.#grow(2 * (at + len + 1));
      if (i > 0) buf[at++] = 0x2c; // ','
      for (let j = 0; j < len; j++) {
        const c = v.charCodeAt(j);
        seen |= c;
        buf[at + j] = c;
      }
      at += len;
    }
    if (seen > 0x7f) {
      at = 0;
      for (let i = 0; i < values.length; i++) {
        const raw = values[i];
        const v = typeof raw === 'string' ? raw : String(raw);
        if (i > 0) buf[at++] = 0x2c;
        for (let j = 0; j < v.length; j++) {
          const c = v.charCodeAt(j);
          buf[at++] = c > 0x7f ? 0xff : c;
        }
      }
    }
    return at;
  }

  /** A view of the engine's input buffer, with room for `capacity` bytes (at least 256). */
  #grow(capacity: number): Uint8Array<ArrayBufferLike> {
    const size = Math.max(capacity, 256);
    const ptr = this.#engine.inputBuffer(size);
    return (this.#input = new Uint8Array(exports!.memory.buffer, ptr, size));
  }

  #name(i: number): string {
    return this.#names ? `feature ${i} (${this.#names[i]})` : `feature ${i}`;
  }

  #detail(i: number): { feature: number; featureName?: string } {
    return this.#names ? { feature: i, featureName: this.#names[i]! } : { feature: i };
  }

  #convert(v: unknown, i: number): string {
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    throw new VigilError(
      'BAD_NUMBER',
      `${this.#name(i)}: expected a decimal string, got ${describe(v)}`,
      this.#detail(i),
    );
  }

  #values(features: Features): ArrayLike<unknown> {
    const n = this.#n;
    if (Array.isArray(features)) {
      if (features.length !== n) {
        throw new VigilError('FEATURE_COUNT', `wrong feature count: model takes ${n}, got ${features.length}`);
      }
      return features;
    }
    if (features === null || typeof features !== 'object' || ArrayBuffer.isView(features)) {
      throw new VigilError(
        'BAD_ARGUMENT',
        `score() takes a list of ${n} decimal strings or a name → value record, got ${describe(features)}`,
      );
    }
    const index = this.#index;
    if (!index) {
      throw new VigilError(
        'NO_FEATURE_NAMES',
        'score() got a name → value record, but the model was loaded without feature names: ' +
          'pass loadModel(bytes, { featureNames }) or give a list of values in feature order',
      );
    }
    const entries: Iterable<[string, unknown]> =
      features instanceof Map ? features.entries() : Object.entries(features);
    const values = new Array<unknown>(n);
    const seen = new Array<boolean>(n).fill(false);
    const unknown: string[] = [];
    for (const [name, value] of entries) {
      const i = index.get(name);
      if (i === undefined) unknown.push(name);
      else {
        values[i] = value;
        seen[i] = true;
      }
    }
    if (unknown.length) {
      throw new VigilError(
        'UNKNOWN_FEATURE',
        `unknown feature name${unknown.length > 1 ? 's' : ''} ${list(unknown)}; the model's features are ${list(this.#names!)}`,
        { featureName: unknown[0]! },
      );
    }
    const missing = this.#names!.filter((_, i) => !seen[i]);
    if (missing.length) {
      const first = index.get(missing[0]!)!;
      throw new VigilError(
        'MISSING_FEATURE',
        `missing ${missing.length} of ${n} features: ${list(missing)}`,
        this.#detail(first),
      );
    }
    return values;
  }

  #refused(values: ArrayLike<unknown>): VigilError {
    const e = this.#engine;
    let i = e.errorFeature;
    if (i === NO_FEATURE) {
      // The list had the right length, so a value contains the separator.
      for (i = 0; i < values.length && !String(values[i]).includes(','); i++);
      const v = String(values[i]);
      return new VigilError(
        'BAD_NUMBER',
        `${this.#name(i)} = ${quote(v)}: invalid character at byte ${v.indexOf(',')} of number ` +
          '(no digit separators: write 1234567.5, not 1,234,567.5)',
        this.#detail(i),
      );
    }
    return new VigilError('BAD_NUMBER', `${this.#name(i)} = ${quote(values[i])}: ${e.error}`, this.#detail(i));
  }
}

function list(names: readonly string[], max = 8): string {
  const shown = names.slice(0, max).map((s) => JSON.stringify(s));
  return names.length > max ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ');
}

/** A stored per-feature list, or null when the model stores none. */
function stored(list: string[]): readonly string[] | null {
  return list.length > 0 ? Object.freeze([...list]) : null;
}

/**
 * The names a model is used with: its own when it stores them (names given
 * to {@link loadModel} must then be the same, in the same order), else the
 * given ones.
 */
function modelNames(given: readonly string[] | null, e: Engine): readonly string[] | null {
  const own = stored(e.featureNames);
  if (own === null) return given;
  if (given !== null && given.some((s, i) => s !== own[i])) {
    throw new VigilError(
      'BAD_ARGUMENT',
      `featureNames (${given.join(', ')}) differ from the names the model stores (${own.join(', ')})`,
    );
  }
  return own;
}

function checkNames(names: unknown, n: number): readonly string[] | null {
  if (names === undefined || names === null) return null;
  if (!Array.isArray(names) || !names.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new VigilError('BAD_ARGUMENT', 'featureNames must be an array of non-empty strings');
  }
  if (names.length !== n) {
    throw new VigilError('BAD_ARGUMENT', `featureNames has ${names.length} names, but the model takes ${n} features`);
  }
  const dup = names.find((s, i) => names.indexOf(s) !== i);
  if (dup !== undefined) throw new VigilError('BAD_ARGUMENT', `featureNames has ${JSON.stringify(dup)} twice`);
  return Object.freeze([...(names as string[])]);
}

/**
 * Validate a model blob (every byte, SHA-256 included) and load it. Throws a
 * {@link VigilError} with code `MALFORMED_MODEL` and the first failed check
 * for a bad blob.
 */
export async function loadModel(
  bytes: Uint8Array | ArrayBuffer | ArrayBufferView | readonly number[],
  options: LoadOptions = {},
): Promise<VigilModel> {
  const blob = toBytes(bytes);
  await init();
  return loadModelSync(blob, options);
}

/** {@link loadModel} once the engine is started ({@link init} or {@link initEngineSync}). */
export function loadModelSync(
  bytes: Uint8Array | ArrayBuffer | ArrayBufferView | readonly number[],
  options: LoadOptions = {},
): VigilModel {
  const blob = toBytes(bytes);
  if (!exports) throw new VigilError('ENGINE', 'the engine is not started: await init() first');
  let e: Engine;
  try {
    e = new Engine(blob);
  } catch (err) {
    throw new VigilError('MALFORMED_MODEL', `malformed model: ${errorMessage(err)}`, { cause: err });
  }
  try {
    return new VigilModel(e, modelNames(checkNames(options.featureNames, e.nFeatures), e));
  } catch (err) {
    e.free();
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Risk levels (shared with the <vigil-warning> widget)

/** The widget's three verdicts. */
export type RiskLevel = 'safe' | 'caution' | 'danger';

/** Thresholds of {@link riskLevel}, as scores in [0, 1]. */
export interface LevelThresholds {
  /** At or above: `caution`. Default: half the model's threshold. */
  caution?: number;
  /** At or above: `danger`. Default: the model's threshold (so `danger` ⇔ `label`). */
  danger?: number;
}

/** A score in [0, 1] as `U1F31` bits, rounded to nearest. */
export function scoreToBits(score: number): number {
  if (!(score >= 0 && score <= 1)) {
    throw new VigilError('BAD_ARGUMENT', `a threshold must be a number in [0, 1], got ${describe(score)}`);
  }
  return Math.round(score * SCORE_ONE_BITS);
}

/**
 * The verdict for a score: `danger` at or above the danger threshold (the
 * model's own by default, i.e. exactly when `label` is true), `caution` at
 * or above the caution threshold (half the model's by default), else
 * `safe`. Compared on the exact bits.
 */
export function riskLevel(result: ScoreResult, info: ModelInfo, thresholds: LevelThresholds = {}): RiskLevel {
  const danger = thresholds.danger === undefined ? info.thresholdBits : scoreToBits(thresholds.danger);
  const caution = thresholds.caution === undefined ? info.thresholdBits >>> 1 : scoreToBits(thresholds.caution);
  if (result.scoreBits >= danger) return 'danger';
  if (result.scoreBits >= caution) return 'caution';
  return 'safe';
}

/** Options of {@link topContributions}. */
export interface TopOptions {
  /**
   * `'raises'`: only the contributions that raise the score (largest
   * first); `'lowers'`: only those that lower it (most negative first).
   * Default: the raising ones, or the lowering ones when none raises.
   */
  direction?: 'raises' | 'lowers';
}

/**
 * The `count` contributions that raise the score most (largest first; only
 * positive ones), or, when none is positive, the `count` that lower it
 * most; `{ direction }` asks for one side only (the widget lists what
 * lowered the risk for a `safe` verdict, what raised it otherwise). Ties
 * keep feature order.
 */
export function topContributions(result: ScoreResult, count = 3, options: TopOptions = {}): Contribution[] {
  const raising = [...result.contributions].filter((c) => c.bits > 0).sort((a, b) => b.bits - a.bits || a.feature - b.feature);
  const lowering = [...result.contributions].filter((c) => c.bits < 0).sort((a, b) => a.bits - b.bits || a.feature - b.feature);
  const { direction } = options;
  const chosen = direction === 'lowers' ? lowering : direction === 'raises' || raising.length ? raising : lowering;
  return chosen.slice(0, count);
}
