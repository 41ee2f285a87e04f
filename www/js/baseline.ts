/**
 * The guard's baselines in the browser (or Node): the seven features a Vigil
 * guard derives from a protected contract's history before it scores an
 * action, computed by the same Rust function the contract runs
 * (`vigil_inference_core::baseline`), so they match the guard's `derived`
 * bit for bit.
 *
 * ```js
 * import { Baselines } from '@vigil-ml/web/baseline';
 *
 * const baselines = Baselines.fromSettings(settings); // a ProtectedSettings (the guard's `protected` query)
 * for (const { action, height, paid } of log) {
 *   const derived = baselines.observe(action, height, paid);
 *   derived.values; // e.g. ['0.53125', '0.0001068115234375', ...]: what the guard appends to action.features
 * }
 * ```
 *
 * Per action, in the contract's order: roll the kind's baseline to the
 * action's block height, derive the seven features, then record the action
 * only if it was paid (or released). Amounts are `u128` decimal strings
 * (or bigints); features come out as `Q16` integers (`value = q16 / 65536`,
 * exact) and as their exact decimal strings.
 *
 * @module
 */
import { Baselines as Engine } from './wasm/vigil_web.js';
import type { Action, Outcome, ProtectedSettings } from './generated/VigilGuard.types.js';
import { initEngineSync, VigilError } from './index.js';

/** The seven derived features, in the guard's order (the core's `DERIVED_NAMES`). */
export const DERIVED_NAMES = Object.freeze([
  'value_z',
  'window_outflow_share',
  'outflow_ratio',
  'call_rate_ratio',
  'caller_ratio',
  'price_deviation',
  'recent_outflow_ratio',
] as const);

/** One of {@link DERIVED_NAMES}. */
export type DerivedName = (typeof DERIVED_NAMES)[number];

/** `1.0` in `Q16`. */
export const Q16_ONE = 65536;

/** How a guard's baselines learn: the baseline fields of its `ProtectedSettings`. */
export interface BaselineParams {
  /** Blocks per window (at least 1). */
  windowBlocks: number | bigint | string;
  /** `alpha = 2^-alphaShift` per window (1 to 16). */
  alphaShift: number;
  /**
   * The most a baseline may rise per window after the warm-up, in (0, 1]:
   * a decimal string as the guard's settings carry it (`'0.125'`; read as
   * the guard reads it: rounded down to `Q16`, at least 1 when above
   * zero), or an integer already in `Q16` (`8192`).
   */
  maxRise: string | number;
  /** Windows before the baselines are trusted. */
  warmupWindows: number;
}

/** An amount: a `u128` as decimal digits, a bigint, or a safe integer. */
export type Amount = string | bigint | number;

/** What {@link Baselines.observe} needs of an action: the guard's `Action` fits (its `features` are not used). */
export interface ObservedAction {
  /** One of the declared kinds. */
  kind: string;
  /** Value at risk (leaving the protocol). */
  value: Amount;
  /** The protocol's total value. */
  total_value: Amount;
  /** The price the action used (absent, `null` or 0: none). */
  price?: Amount | null;
  /**
   * The caller's address (hashed from its UTF-8 bytes; the guard refuses
   * an invalid address, this package does not check it).
   */
  caller: string;
}

/** A block height: a number, a bigint or a decimal string (a `u64`). */
export type Height = number | bigint | string;

/** The features derived for one action. */
export interface Derived {
  /** `Q16` integers, in {@link DERIVED_NAMES} order (`value = q16 / 65536`, exactly). */
  q16: number[];
  /**
   * Their exact decimal strings, as the guard writes them (`derived` in its
   * `VerdictResponse`), and what a model trained with them takes after the
   * caller's features: `model.score([...action.features, ...derived.values])`.
   */
  values: string[];
  /** {@link DERIVED_NAMES}. */
  names: typeof DERIVED_NAMES;
}

/** Which of the guard's outcomes the baseline learns from: those whose value left. */
const RECORDED: Readonly<Record<Outcome, boolean>> = Object.freeze({ paid: true, released: true, parked: false, refused: false });

const U64_MASK = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;
/** 5^16: `q / 2^16 = q * 5^16 / 10^16`. */
const FIVE_16 = 152_587_890_625n;

function badArgument(message: string, cause?: unknown): VigilError {
  return new VigilError('BAD_ARGUMENT', message, cause === undefined ? {} : { cause });
}

function u64(what: string, v: unknown): bigint {
  let b: bigint | undefined;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^[0-9]{1,20}$/.test(v)) b = BigInt(v);
  if (b === undefined || b < 0n || b > U64_MASK) {
    throw badArgument(`${what} must be a whole number from 0 to 2^64 - 1, got ${JSON.stringify(String(v))}`);
  }
  return b;
}

/** A `u128` amount, or a `BAD_NUMBER` error naming `field`. */
function amount(field: string, v: unknown): bigint {
  let b: bigint | undefined;
  if (typeof v === 'string' && /^[0-9]{1,39}$/.test(v)) b = BigInt(v);
  else if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  if (b === undefined || b < 0n || b > U128_MAX) {
    throw new VigilError(
      'BAD_NUMBER',
      `${field}: ${JSON.stringify(typeof v === 'bigint' ? `${v}` : String(v))} is not a whole number from 0 to 2^128 - 1 ` +
        '(decimal digits, a bigint or a safe integer)',
    );
  }
  return b;
}

/**
 * `Q16` → its exact decimal string (`32768` → `'0.5'`, `-1` →
 * `'-0.0000152587890625'`): the integer part, then the fraction's digits
 * without trailing zeros; as the guard writes `derived` (cosmwasm's
 * `SignedDecimal`). Integer arithmetic only.
 */
export function q16ToDecimal(q16: number | bigint): string {
  if (typeof q16 === 'number' && !Number.isSafeInteger(q16)) {
    throw badArgument(`q16ToDecimal takes an integer, got ${String(q16)}`);
  }
  const v = BigInt(q16);
  const a = v < 0n ? -v : v;
  const frac = a & 0xffffn;
  let s = `${v < 0n ? '-' : ''}${a >> 16n}`;
  if (frac !== 0n) s += `.${(frac * FIVE_16).toString().padStart(16, '0').replace(/0+$/, '')}`;
  return s;
}

/**
 * A non-negative decimal (digits, optionally `.` and at most 18 digits, as
 * cosmwasm's `Decimal`) in `Q16`, rounded down (`'0.1'` → 6553): how the
 * guard's `max_rise` reads as the core's. Throws `BAD_NUMBER` for anything
 * else.
 */
export function decimalToQ16(decimal: string): number {
  const m = typeof decimal === 'string' ? /^([0-9]+)(?:\.([0-9]{1,18}))?$/.exec(decimal) : null;
  if (!m) {
    throw new VigilError('BAD_NUMBER', `${JSON.stringify(String(decimal))} is not a decimal number with at most 18 fractional digits`);
  }
  const frac = m[2] ?? '';
  const q = (BigInt(m[1]! + frac) << 16n) / 10n ** BigInt(frac.length);
  if (q > 0xffff_ffffn) throw new VigilError('BAD_NUMBER', `${decimal} is out of range (at most 65535.99...)`);
  return Number(q);
}

/**
 * One protected contract's baselines, one per declared action kind, fed a
 * log of its actions as the guard is. Starts the engine synchronously if
 * it is not started yet (`await init()` first to avoid that on a page's
 * main thread). `free()` it when done if you make many.
 */
export class Baselines {
  readonly #engine: Engine;
  readonly #kinds: readonly string[];
  #freed = false;

  /**
   * Empty baselines for `kinds` with these parameters. Throws a
   * {@link VigilError} (`BAD_ARGUMENT`) for parameters the guard refuses,
   * no kinds, an empty kind or a kind twice.
   */
  constructor(kinds: readonly string[], params: BaselineParams) {
    if (!Array.isArray(kinds) || !kinds.every((k) => typeof k === 'string')) {
      throw badArgument('kinds must be an array of strings');
    }
    if (kinds.includes('')) throw badArgument('kinds: a kind is empty');
    const twice = kinds.find((k, i) => kinds.indexOf(k) !== i);
    if (twice !== undefined) throw badArgument(`kinds: ${JSON.stringify(twice)} is declared twice`);
    const p = params ?? ({} as BaselineParams);
    const windowBlocks = u64('windowBlocks', p.windowBlocks);
    if (!Number.isInteger(p.alphaShift) || p.alphaShift < 0 || p.alphaShift > 255) {
      throw badArgument(`alphaShift must be an integer from 1 to 16, got ${String(p.alphaShift)}`);
    }
    if (!Number.isInteger(p.warmupWindows) || p.warmupWindows < 0 || p.warmupWindows > 0xffff_ffff) {
      throw badArgument(`warmupWindows must be a whole number below 2^32, got ${String(p.warmupWindows)}`);
    }
    let maxRise: number;
    if (typeof p.maxRise === 'string') {
      try {
        maxRise = decimalToQ16(p.maxRise);
      } catch (e) {
        throw badArgument(`maxRise: ${message(e)}`, e);
      }
      // As the guard reads it: a rate above zero is at least one Q16 unit.
      if (maxRise === 0 && /[1-9]/.test(p.maxRise)) maxRise = 1;
    } else if (Number.isInteger(p.maxRise) && p.maxRise >= 0 && p.maxRise <= 0xffff_ffff) {
      maxRise = p.maxRise;
    } else {
      throw badArgument(
        `maxRise must be a decimal string ('0.125') or an integer in Q16 (8192), got ${String(p.maxRise)}`,
      );
    }
    initEngineSync();
    try {
      this.#engine = new Engine(windowBlocks, p.alphaShift, maxRise, p.warmupWindows, kinds.length);
    } catch (e) {
      throw badArgument(message(e), e);
    }
    this.#kinds = Object.freeze([...kinds]);
  }

  /** Baselines with the baseline settings of a guard's protected contract (its `protected` query's `settings`). */
  static fromSettings(
    settings: Pick<ProtectedSettings, 'kinds' | 'window_blocks' | 'alpha_shift' | 'max_rise' | 'warmup_windows'>,
  ): Baselines {
    return new Baselines(settings.kinds, {
      windowBlocks: settings.window_blocks,
      alphaShift: settings.alpha_shift,
      maxRise: settings.max_rise,
      warmupWindows: settings.warmup_windows,
    });
  }

  /** The declared kinds. */
  get kinds(): readonly string[] {
    return this.#kinds;
  }

  /**
   * Observe one action at block `height`, as the guard's `Observe`: roll
   * the kind's baseline to `height`, derive the features, and record the
   * action if its value left: `paid` is `true` or the guard's `Outcome`
   * (`'paid'` or `'released'` are recorded; `'parked'` and `'refused'`, like
   * `false`, are not). Returns the derived features. Throws `UNKNOWN_KIND`
   * for an undeclared kind, `BAD_NUMBER` for an amount that is not a
   * `u128`; then nothing changes.
   */
  observe(action: ObservedAction | Action, height: Height, paid: boolean | Outcome): Derived {
    const record =
      typeof paid === 'boolean' ? paid : typeof paid === 'string' && Object.hasOwn(RECORDED, paid) ? RECORDED[paid] : undefined;
    if (record === undefined) {
      throw badArgument(`paid must be a boolean or an outcome ('paid', 'parked', 'refused', 'released'), got ${String(paid)}`);
    }
    return this.#call(action, height, record);
  }

  /** The features the guard's `Verdict` query would derive for `action` at `height`; nothing is recorded or rolled. */
  preview(action: ObservedAction | Action, height: Height): Derived {
    return this.#call(action, height, undefined);
  }

  /** Windows folded so far in `kind`'s baseline. */
  windows(kind: string): number {
    return this.#live().windows(this.#index(kind));
  }

  /** Whether `kind`'s warm-up is over (before it, the features comparing with the baseline read neutral). */
  warm(kind: string): boolean {
    return this.#live().warm(this.#index(kind));
  }

  /** Release the engine's memory for these baselines. Further calls throw. */
  free(): void {
    if (!this.#freed) {
      this.#freed = true;
      this.#engine.free();
    }
  }

  #live(): Engine {
    if (this.#freed) throw new VigilError('FREED', 'these baselines were freed');
    return this.#engine;
  }

  #index(kind: unknown): number {
    const i = typeof kind === 'string' ? this.#kinds.indexOf(kind) : -1;
    if (i < 0) {
      throw new VigilError(
        'UNKNOWN_KIND',
        `action kind ${JSON.stringify(String(kind))} was not declared (kinds: ${this.#kinds.map((k) => JSON.stringify(k)).join(', ')})`,
      );
    }
    return i;
  }

  #call(action: ObservedAction | Action, height: Height, paid: boolean | undefined): Derived {
    if (action === null || typeof action !== 'object') throw badArgument(`expected an action object, got ${String(action)}`);
    const engine = this.#live();
    const kind = this.#index(action.kind);
    const h = u64('height', height);
    const value = amount('value', action.value);
    const total = amount('total_value', action.total_value);
    const price = action.price === undefined || action.price === null ? 0n : amount('price', action.price);
    if (typeof action.caller !== 'string') throw badArgument(`caller must be an address string, got ${String(action.caller)}`);
    const bits =
      paid === undefined
        ? engine.preview(kind, h, value >> 64n, value & U64_MASK, total >> 64n, total & U64_MASK, price >> 64n, price & U64_MASK, action.caller)
        : engine.observe(kind, h, value >> 64n, value & U64_MASK, total >> 64n, total & U64_MASK, price >> 64n, price & U64_MASK, action.caller, paid);
    const q16 = Array.from(bits);
    return { q16, values: q16.map((v) => q16ToDecimal(v)), names: DERIVED_NAMES };
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
