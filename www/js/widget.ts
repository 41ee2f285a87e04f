/**
 * `<vigil-warning>`: a framework-free Web Component that tells a wallet
 * user, before they sign, whether a recipient or transaction looks like
 * phishing. Importing this module defines the element.
 *
 * ```html
 * <script type="module">import '@vigil-ml/web/widget';</script>
 * <vigil-warning model="/models/eth-fraud.vgl"
 *                feature-names='["sent_tnx", ...]'
 *                features='{"sent_tnx": "3", ...}'>
 *   Shown only if the widget cannot load.
 * </vigil-warning>
 * ```
 *
 * (Without a bundler, map `@vigil-ml/web/widget` to `dist/widget.js` with an
 * import map, or import that path; see the README.) This module defines the
 * element at once and loads the engine (`./index.js` and the wasm inlined
 * in it) on first use: when the engine, the model or the figures fail, the
 * element shows an error state and fires `vigil-error`, never nothing.
 *
 * It makes no network request other than its own modules and the `model`
 * URL it is given (the engine is inlined in the package). Themable with CSS
 * custom properties (`--vigil-danger`, `--vigil-radius`, ...) and `::part()`.
 *
 * @module
 */
import type { Contribution, Features, ModelInfo, RiskLevel, ScoreResult, VigilError, VigilModel } from './index.js';

type Api = typeof import('./index.js');

/**
 * The engine module, imported on first use (not statically, so that a
 * page that cannot load it, e.g. a missing `dist/wasm/` or a blocked
 * script, still gets the element and its error state).
 */
let api: Promise<Api> | undefined;
let vigil: Api | undefined;

function loadApi(): Promise<Api> {
  api ??= import('./index.js').then(
    (m) => (vigil = m),
    (e: unknown) => {
      api = undefined;
      const url = new URL('index.js', import.meta.url).href;
      throw Object.assign(vigilError('ENGINE', `cannot load the Vigil engine (${url}): ${errorText(e)}`), { cause: e });
    },
  );
  return api;
}

/** A `VigilError` (a look-alike until the engine module is loaded, e.g. for a bad attribute). */
function vigilError(code: VigilError['code'], message: string): VigilError {
  if (vigil) return new vigil.VigilError(code, message);
  return Object.assign(new Error(message), { name: 'VigilError', code }) as VigilError;
}

/** What the `model` property accepts. */
export type ModelSource = string | URL | ArrayBuffer | ArrayBufferView | VigilModel;

/** The element's state, reflected in its `state` attribute. */
export type WarningState = 'idle' | 'loading' | 'ready' | 'error';

/** One reason shown under a verdict. */
export interface Reason extends Contribution {
  /**
   * The human label: from `featureLabels`, else the label the model stores
   * (its metadata section), else the name, else "Feature i".
   */
  label: string;
  /** The input value as given. */
  input: string;
  /** The feature's unit as the model stores it (`''` where none). */
  unit: string;
}

/** `detail` of the `vigil-verdict` event. */
export interface VerdictDetail {
  level: RiskLevel;
  score: number;
  scoreBits: number;
  label: boolean;
  reasons: Reason[];
  result: ScoreResult;
  info: ModelInfo;
}

/** Texts of the widget; `{subject}` is replaced by the `subject` attribute. */
export interface WarningMessages {
  safeTitle: string;
  safeDetail: string;
  cautionTitle: string;
  cautionDetail: string;
  dangerTitle: string;
  dangerDetail: string;
  errorTitle: string;
  loading: string;
  idle: string;
  reasonsToggle: string;
  reasonsLabel: string;
  /** The label of the reasons list of a `safe` verdict (what lowered the risk). */
  safeReasonsLabel: string;
  noReasons: string;
  raises: string;
  lowers: string;
  riskScore: string;
}

/** The default (English) texts. */
export const DEFAULT_MESSAGES: Readonly<WarningMessages> = Object.freeze({
  safeTitle: 'Looks safe',
  safeDetail: 'No strong phishing signals for {subject}. Still check the address before you sign.',
  cautionTitle: 'Caution',
  cautionDetail: '{subject} shows some signs of a phishing account. Double-check the address before you sign.',
  dangerTitle: 'Danger: likely phishing',
  dangerDetail: '{subject} looks like a phishing account. Do not sign unless you are certain.',
  errorTitle: 'Could not check {subject}',
  loading: 'Checking {subject}…',
  idle: 'No verdict yet: waiting for the model and the figures to check.',
  reasonsToggle: 'Why?',
  reasonsLabel: 'What raised the risk',
  safeReasonsLabel: 'What lowered the risk',
  noReasons: 'This model does not report per-feature reasons.',
  raises: 'raises the risk',
  lowers: 'lowers the risk',
  riskScore: 'Risk score',
});

const ATTRIBUTES = [
  'model',
  'features',
  'feature-names',
  'feature-labels',
  'caution-threshold',
  'danger-threshold',
  'max-reasons',
  'subject',
] as const;

const ICONS: Record<RiskLevel | 'error' | 'idle', string> = {
  safe: '<path d="M20 6 9 17l-5-5"/>',
  caution: '<path d="M12 9v4"/><path d="M12 17h.01"/><circle cx="12" cy="12" r="10"/>',
  danger:
    '<path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><path d="M12 9v4"/><path d="M12 17h.01"/>',
  error: '<circle cx="12" cy="12" r="10"/><path d="m15 9-6 6"/><path d="m9 9 6 6"/>',
  idle: '<circle cx="12" cy="12" r="10"/>',
};

const STYLE = `
:host {
  --_safe: var(--vigil-safe, #1a7f37);
  --_caution: var(--vigil-caution, #9a6700);
  --_danger: var(--vigil-danger, #cf222e);
  --_error: var(--vigil-error, #6e7781);
  --_bg: var(--vigil-bg, #ffffff);
  --_fg: var(--vigil-fg, #1f2328);
  --_muted: var(--vigil-muted, #59636e);
  --_border: var(--vigil-border, #d1d9e0);
  --_track: var(--vigil-meter-track, #e6eaef);
  --_focus: var(--vigil-focus-ring, #0969da);
  --_accent: var(--_muted);
  display: block;
  font-family: var(--vigil-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  font-size: var(--vigil-font-size, 1rem);
  line-height: 1.4;
  color: var(--_fg);
}
@media (prefers-color-scheme: dark) {
  :host {
    --_safe: var(--vigil-safe, #3fb950);
    --_caution: var(--vigil-caution, #d29922);
    --_danger: var(--vigil-danger, #f85149);
    --_error: var(--vigil-error, #9198a1);
    --_bg: var(--vigil-bg, #0d1117);
    --_fg: var(--vigil-fg, #f0f6fc);
    --_muted: var(--vigil-muted, #9198a1);
    --_border: var(--vigil-border, #3d444d);
    --_track: var(--vigil-meter-track, #262c36);
    --_focus: var(--vigil-focus-ring, #4493f8);
  }
}
:host([hidden]) { display: none; }
:host([level="safe"]) { --_accent: var(--_safe); }
:host([level="caution"]) { --_accent: var(--_caution); }
:host([level="danger"]) { --_accent: var(--_danger); }
:host([state="error"]) { --_accent: var(--_error); }
.card {
  box-sizing: border-box;
  background: var(--_bg);
  border: 1px solid var(--_border);
  border-inline-start: var(--vigil-accent-width, 6px) solid var(--_accent);
  border-radius: var(--vigil-radius, 12px);
  padding: var(--vigil-padding, 0.875em 1em);
  box-shadow: var(--vigil-shadow, none);
}
.head { display: flex; align-items: flex-start; gap: 0.75em; }
.icon { flex: none; width: 1.5em; height: 1.5em; color: var(--_accent); }
.icon svg { width: 100%; height: 100%; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }
.text { flex: 1; min-width: 0; }
.title, .detail, .note { overflow-wrap: anywhere; }
.title { margin: 0; font-weight: 650; font-size: 1.05em; color: var(--_accent); }
:host([state="idle"]) .title, :host([state="loading"]) .title { color: var(--_fg); }
.detail { margin: 0.2em 0 0; color: var(--_fg); }
.score { flex: none; font-variant-numeric: tabular-nums; font-weight: 650; color: var(--_accent); }
.meter { margin: 0.75em 0 0; height: 0.5em; border-radius: 999px; background: var(--_track); overflow: hidden; }
.meter > span { display: block; height: 100%; width: 0; background: var(--_accent); border-radius: inherit; transition: width 0.3s ease; }
.actions { margin-top: 0.6em; }
button {
  font: inherit; color: var(--_fg); background: transparent; cursor: pointer;
  border: 1px solid var(--_border); border-radius: calc(var(--vigil-radius, 12px) / 2);
  padding: 0.25em 0.75em;
}
button:hover { background: var(--_track); }
button::after { content: " ▾"; }
button[aria-expanded="true"]::after { content: " ▴"; }
:focus { outline: none; }
:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
.reasons { margin: 0.6em 0 0; padding: 0; list-style: none; display: grid; gap: 0.35em; }
.reasons[hidden] { display: none; }
.reasons li { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.1em 0.75em; padding: 0.35em 0.5em; border-radius: 6px; background: color-mix(in srgb, var(--_track) 60%, transparent); }
.reason-label { flex: 1 1 10em; min-width: 0; font-weight: 600; overflow-wrap: anywhere; }
.reason-input { flex: 0 1 auto; min-width: 0; margin-inline-start: auto; font-variant-numeric: tabular-nums; color: var(--_muted); text-align: end; overflow-wrap: anywhere; }
.reason-effect { flex: 1 1 100%; min-width: 0; color: var(--_muted); font-size: 0.9em; overflow-wrap: anywhere; }
.reason-effect.up { color: var(--_danger); }
.reason-effect.down { color: var(--_safe); }
.note { margin: 0.6em 0 0; color: var(--_muted); font-size: 0.9em; }
.sr { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
@media (prefers-reduced-motion: reduce) { .meter > span { transition: none; } }
@media (forced-colors: active) {
  .card { border-color: CanvasText; }
  .meter { border: 1px solid CanvasText; }
  .meter > span { background: Highlight; }
  .title, .score, .icon { color: CanvasText; }
}
`;

const TEMPLATE = `
<style>${STYLE}</style>
<section class="card" part="card" aria-labelledby="title" aria-describedby="detail">
  <div class="head">
    <span class="icon" part="icon" aria-hidden="true"><svg viewBox="0 0 24 24"></svg></span>
    <div class="text">
      <p class="title" id="title" part="title"></p>
      <p class="detail" id="detail" part="detail"></p>
    </div>
    <span class="score" part="score" hidden></span>
  </div>
  <div class="meter" part="meter" role="meter" aria-valuemin="0" aria-valuemax="100" hidden><span></span></div>
  <div class="actions" hidden>
    <button type="button" part="toggle" aria-expanded="false" aria-controls="reasons"></button>
  </div>
  <ol class="reasons" id="reasons" part="reasons" hidden></ol>
  <p class="note" part="note" hidden></p>
</section>
<div class="sr" role="status" aria-live="polite" aria-atomic="true"></div>
<div class="sr" role="alert" aria-atomic="true"></div>
`;

/** Fetched model bytes by absolute URL, shared by all widgets of a page. */
const fetched = new Map<string, Promise<Uint8Array>>();

function fetchModel(url: string, signal: AbortSignal): Promise<Uint8Array> {
  let p = fetched.get(url);
  if (!p) {
    p = fetch(url, { credentials: 'same-origin' }).then(async (r) => {
      if (!r.ok) throw vigilError('BAD_ARGUMENT', `could not fetch the model from ${url}: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    });
    fetched.set(url, p);
    p.catch(() => fetched.delete(url));
  }
  return new Promise((resolve, reject) => {
    const abort = () => reject(new DOMException('aborted', 'AbortError'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    p!.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

function parseJsonAttribute(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw vigilError('BAD_ARGUMENT', `the ${name} attribute is not valid JSON: ${(e as Error).message}`);
  }
}

function parseThreshold(name: string, value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const t = Number(value);
  if (!(t >= 0 && t <= 1)) throw vigilError('BAD_ARGUMENT', `${name} must be a number in [0, 1], got ${JSON.stringify(value)}`);
  return t;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The `<vigil-warning>` element. */
export class VigilWarning extends HTMLElement {
  static get observedAttributes(): readonly string[] {
    return ATTRIBUTES;
  }

  #root: ShadowRoot;
  #model: ModelSource | null = null;
  #features: Features | null = null;
  #featureNames: readonly string[] | null = null;
  #featureLabels: Readonly<Record<string, string>> | null = null;
  #messages: Partial<WarningMessages> = {};

  #loaded: { source: ModelSource; names: readonly string[] | null; model: VigilModel; owned: boolean } | null = null;
  #state: WarningState = 'idle';
  #level: RiskLevel | null = null;
  #result: ScoreResult | null = null;
  #reasons: Reason[] = [];
  #error: Error | null = null;
  #generation = 0;
  #abort: AbortController | null = null;
  #scheduled = false;
  #lastAnnounced = '';
  #pending: Promise<void> | null = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    this.#root.innerHTML = TEMPLATE;
    const toggle = this.#el('button');
    toggle.addEventListener('click', () => this.#setExpanded(toggle.getAttribute('aria-expanded') !== 'true'));
    this.#root.addEventListener('keydown', (e) => this.#onKey(e as KeyboardEvent));
  }

  // --- public properties ---------------------------------------------------

  /** The model: a URL (fetched once per page), bytes, or a loaded {@link VigilModel}. Attribute: `model` (URL). */
  get model(): ModelSource | null {
    return this.#model ?? this.getAttribute('model');
  }
  set model(v: ModelSource | null) {
    this.#model = v;
    this.#schedule();
  }

  /** The figures to score: a list in feature order or a name → value record of decimal strings. Attribute: `features` (JSON). */
  get features(): Features | null {
    return this.#features;
  }
  set features(v: Features | null) {
    this.#features = v;
    this.#schedule();
  }

  /** Feature names, in order (needed for records). Attribute: `feature-names` (JSON list or comma-separated). */
  get featureNames(): readonly string[] | null {
    return this.#featureNames;
  }
  set featureNames(v: readonly string[] | null) {
    this.#featureNames = v;
    this.#schedule();
  }

  /** Human labels of features for the reasons, by name. Attribute: `feature-labels` (JSON object). */
  get featureLabels(): Readonly<Record<string, string>> | null {
    return this.#featureLabels;
  }
  set featureLabels(v: Readonly<Record<string, string>> | null) {
    this.#featureLabels = v;
    this.#schedule();
  }

  /** Override any of the texts ({@link DEFAULT_MESSAGES}), e.g. to translate. */
  get messages(): Partial<WarningMessages> {
    return this.#messages;
  }
  set messages(v: Partial<WarningMessages>) {
    this.#messages = { ...v };
    this.#schedule();
  }

  /** `idle`, `loading`, `ready` or `error` (also the `state` attribute). */
  get state(): WarningState {
    return this.#state;
  }
  /** The verdict when `ready` (also the `level` attribute). */
  get level(): RiskLevel | null {
    return this.#level;
  }
  /** The full score of the last verdict. */
  get result(): ScoreResult | null {
    return this.#result;
  }
  /** The reasons shown for the last verdict. */
  get reasons(): readonly Reason[] {
    return this.#reasons;
  }
  /** The error when `state` is `error`. */
  get error(): Error | null {
    return this.#error;
  }
  /** The loaded model, once loaded. */
  get loadedModel(): VigilModel | null {
    return this.#loaded?.model ?? null;
  }

  /** Resolves when pending updates have finished (for tests, and wallets gating a button). */
  async updated(): Promise<void> {
    for (let p = this.#pending; p; p = this.#pending) {
      await p;
      if (p === this.#pending) break;
    }
  }

  // --- lifecycle -------------------------------------------------------------

  connectedCallback(): void {
    this.#schedule();
  }

  disconnectedCallback(): void {
    this.#abort?.abort();
  }

  attributeChangedCallback(): void {
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#pending = (async () => {
      await null;
      this.#scheduled = false;
      await this.#update();
    })();
  }

  // --- the update --------------------------------------------------------------

  async #update(): Promise<void> {
    if (!this.isConnected) return;
    const generation = ++this.#generation;
    try {
      const source = this.#model ?? this.getAttribute('model');
      const names = this.#featureNames ?? this.#namesAttribute();
      if (source === null || source === '') {
        this.#show('idle');
        return;
      }
      const loaded = this.#loaded;
      let model: VigilModel;
      if (loaded && loaded.source === source && loaded.names === names) {
        model = loaded.model;
      } else {
        this.#show('loading');
        this.#abort?.abort();
        const abort = (this.#abort = new AbortController());
        const api = await loadApi();
        const { VigilModel } = api;
        model = await this.#load(api, source, names, abort.signal);
        if (generation !== this.#generation) {
          if (!(source instanceof VigilModel)) model.free();
          return;
        }
        if (loaded?.owned) loaded.model.free();
        this.#loaded = { source, names, model, owned: !(source instanceof VigilModel) };
      }
      const features = this.#features ?? this.#featuresAttribute();
      if (features === null) {
        this.#show('idle');
        return;
      }
      const result = model.score(features);
      const info = model.info();
      // Loaded with the model (no await here: the verdict belongs to this generation).
      const { riskLevel, topContributions } = vigil!;
      const level = riskLevel(result, info, {
        caution: parseThreshold('caution-threshold', this.getAttribute('caution-threshold')),
        danger: parseThreshold('danger-threshold', this.getAttribute('danger-threshold')),
      });
      const max = Number(this.getAttribute('max-reasons') ?? 3);
      const values = this.#inputs(features, info);
      const labels = this.#featureLabels ?? this.#labelsAttribute();
      // A safe verdict says what lowered the risk; caution and danger what raised it.
      const direction = level === 'safe' ? 'lowers' : 'raises';
      // Labels and units: the page's, else those the model stores.
      this.#reasons = topContributions(result, Number.isInteger(max) && max >= 0 ? max : 3, { direction }).map((c) => ({
        ...c,
        label:
          (c.name && labels?.[c.name]) || info.featureLabels?.[c.feature] || c.name || `Feature ${c.feature + 1}`,
        input: values[c.feature] ?? '',
        unit: info.featureUnits?.[c.feature] ?? '',
      }));
      this.#result = result;
      this.#level = level;
      this.#error = null;
      this.#show('ready');
      const detail: VerdictDetail = {
        level,
        score: result.score,
        scoreBits: result.scoreBits,
        label: result.label,
        reasons: this.#reasons,
        result,
        info,
      };
      this.dispatchEvent(new CustomEvent('vigil-verdict', { detail, bubbles: true, composed: true }));
    } catch (e) {
      if (generation !== this.#generation || (e instanceof DOMException && e.name === 'AbortError')) return;
      this.#error = e instanceof Error ? e : new Error(String(e));
      this.#result = null;
      this.#level = null;
      this.#reasons = [];
      this.#show('error');
      this.dispatchEvent(new CustomEvent('vigil-error', { detail: { error: this.#error }, bubbles: true, composed: true }));
    }
  }

  async #load(api: Api, source: ModelSource, names: readonly string[] | null, signal: AbortSignal): Promise<VigilModel> {
    const { loadModel, VigilModel } = api;
    const options = names ? { featureNames: names } : {};
    if (source instanceof VigilModel) {
      const given = source as VigilModel;
      if (names && given.info().featureNames?.join('\n') !== names.join('\n')) {
        throw vigilError('BAD_ARGUMENT', 'featureNames differ from the names the given model was loaded with');
      }
      return given;
    }
    if (typeof source === 'string' || source instanceof URL) {
      const url = new URL(String(source), document.baseURI).href;
      return loadModel(await fetchModel(url, signal), options);
    }
    return loadModel(source, options);
  }

  #namesAttribute(): readonly string[] | null {
    const raw = this.getAttribute('feature-names');
    if (raw === null || raw.trim() === '') return null;
    if (raw.trim().startsWith('[')) return parseJsonAttribute('feature-names', raw) as string[];
    return raw.split(',').map((s) => s.trim());
  }

  #featuresAttribute(): Features | null {
    const raw = this.getAttribute('features');
    if (raw === null || raw.trim() === '') return null;
    return parseJsonAttribute('features', raw) as Features;
  }

  #labelsAttribute(): Record<string, string> | null {
    const raw = this.getAttribute('feature-labels');
    if (raw === null || raw.trim() === '') return null;
    return parseJsonAttribute('feature-labels', raw) as Record<string, string>;
  }

  #inputs(features: Features, info: ModelInfo): string[] {
    if (Array.isArray(features)) return features.map(String);
    const names = info.featureNames ?? [];
    const get = (n: string) =>
      features instanceof Map ? features.get(n) : (features as Record<string, unknown>)[n];
    return names.map((n) => String(get(n) ?? ''));
  }

  // --- rendering -----------------------------------------------------------------

  #el<T extends Element>(selector: string): T {
    return this.#root.querySelector(selector) as T;
  }

  #text(key: keyof WarningMessages): string {
    const subject = this.getAttribute('subject') || 'this recipient';
    const s = (this.#messages[key] ?? DEFAULT_MESSAGES[key]).replaceAll('{subject}', subject);
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  #show(state: WarningState): void {
    this.#state = state;
    if (state !== 'ready') {
      this.#level = state === 'error' ? null : this.#level;
      if (state !== 'error') {
        this.#result = null;
        this.#reasons = [];
        this.#level = null;
      }
    }
    this.setAttribute('state', state);
    if (this.#level) this.setAttribute('level', this.#level);
    else this.removeAttribute('level');
    this.setAttribute('aria-busy', String(state === 'loading'));

    const title = this.#el<HTMLElement>('.title');
    const detail = this.#el<HTMLElement>('.detail');
    const score = this.#el<HTMLElement>('.score');
    const meter = this.#el<HTMLElement>('.meter');
    const actions = this.#el<HTMLElement>('.actions');
    const toggle = this.#el<HTMLButtonElement>('button');
    const list = this.#el<HTMLOListElement>('.reasons');
    const note = this.#el<HTMLElement>('.note');
    const icon = this.#el<SVGElement>('svg');

    score.hidden = meter.hidden = actions.hidden = note.hidden = true;
    list.replaceChildren();
    let announce = '';
    let urgent = false;

    if (state === 'ready' && this.#level && this.#result) {
      const level = this.#level;
      const pct = `${(this.#result.score * 100).toFixed(1)}%`;
      icon.innerHTML = ICONS[level];
      title.textContent = this.#text(`${level}Title`);
      detail.textContent = this.#text(`${level}Detail`);
      score.hidden = false;
      score.textContent = pct;
      score.setAttribute('aria-label', `${this.#text('riskScore')} ${pct}`);
      meter.hidden = false;
      meter.setAttribute('aria-valuenow', (this.#result.score * 100).toFixed(1));
      meter.setAttribute('aria-valuetext', `${pct} (${level})`);
      meter.setAttribute('aria-label', this.#text('riskScore'));
      (meter.firstElementChild as HTMLElement).style.width = pct;
      if (this.#reasons.length) {
        actions.hidden = false;
        toggle.textContent = this.#text('reasonsToggle');
        list.setAttribute('aria-label', this.#text(level === 'safe' ? 'safeReasonsLabel' : 'reasonsLabel'));
        for (const r of this.#reasons) list.append(this.#reasonItem(r));
      } else {
        note.hidden = false;
        note.textContent = this.#result.contributions.length ? '' : this.#text('noReasons');
        note.hidden = !note.textContent;
        this.#setExpanded(false);
      }
      list.hidden = toggle.getAttribute('aria-expanded') !== 'true' || !this.#reasons.length;
      announce = `${title.textContent} ${pct}. ${detail.textContent}`;
      urgent = level === 'danger';
    } else if (state === 'error') {
      icon.innerHTML = ICONS.error;
      title.textContent = this.#text('errorTitle');
      detail.textContent = this.#error?.message ?? '';
      announce = `${title.textContent}: ${detail.textContent}`;
      urgent = true;
      list.hidden = true;
    } else {
      icon.innerHTML = ICONS.idle;
      title.textContent = state === 'loading' ? this.#text('loading') : this.#text('idle');
      detail.textContent = '';
      list.hidden = true;
    }

    // Screen readers: verdicts politely, danger and errors assertively; only
    // when the announcement changes.
    const polite = this.#el<HTMLElement>('[role="status"]');
    const alert = this.#el<HTMLElement>('[role="alert"]');
    if (announce !== this.#lastAnnounced) {
      this.#lastAnnounced = announce;
      polite.textContent = urgent ? '' : announce;
      alert.textContent = urgent ? announce : '';
    }
  }

  #reasonItem(r: Reason): HTMLLIElement {
    const li = document.createElement('li');
    li.tabIndex = -1;
    li.setAttribute('part', 'reason');
    const label = document.createElement('span');
    label.className = 'reason-label';
    // Break opportunities after '_' (and '.', '/'), so that a raw snake_case
    // name wraps between its words at narrow widths (CSS breaks it anywhere
    // only as a last resort).
    for (const [i, part] of r.label.split(/(?<=[_./])/).entries()) {
      if (i) label.append(document.createElement('wbr'));
      label.append(part);
    }
    const input = document.createElement('span');
    input.className = 'reason-input';
    input.textContent = r.unit ? `${r.input} ${r.unit}` : r.input;
    const effect = document.createElement('span');
    effect.className = `reason-effect ${r.bits > 0 ? 'up' : 'down'}`;
    const sign = r.bits > 0 ? '+' : '−';
    effect.textContent = `${r.bits > 0 ? this.#text('raises') : this.#text('lowers')} (${sign}${Math.abs(r.value).toFixed(2)})`;
    li.append(label, input, effect);
    li.setAttribute('aria-label', `${r.label}: ${input.textContent}, ${effect.textContent}`);
    return li;
  }

  #setExpanded(expanded: boolean): void {
    const toggle = this.#el<HTMLButtonElement>('button');
    toggle.setAttribute('aria-expanded', String(expanded));
    this.#el<HTMLOListElement>('.reasons').hidden = !expanded || !this.#reasons.length;
  }

  /** Arrow keys, Home and End move between reasons; Escape collapses them. */
  #onKey(e: KeyboardEvent): void {
    const toggle = this.#el<HTMLButtonElement>('button');
    const items = [...this.#root.querySelectorAll<HTMLLIElement>('.reasons li')];
    const active = this.#root.activeElement;
    const at = items.indexOf(active as HTMLLIElement);
    const expanded = toggle.getAttribute('aria-expanded') === 'true';
    let target: HTMLElement | undefined;
    switch (e.key) {
      case 'Escape':
        if (expanded) {
          this.#setExpanded(false);
          toggle.focus();
          e.preventDefault();
        }
        return;
      case 'ArrowDown':
        if (active === toggle && !expanded) this.#setExpanded(true);
        target = items[at < 0 ? 0 : Math.min(at + 1, items.length - 1)];
        break;
      case 'ArrowUp':
        target = at <= 0 ? toggle : items[at - 1];
        break;
      case 'Home':
        if (at >= 0) target = items[0];
        break;
      case 'End':
        if (at >= 0) target = items[items.length - 1];
        break;
      default:
        return;
    }
    if (target && (active === toggle || at >= 0)) {
      target.focus();
      e.preventDefault();
    }
  }
}

/** Define the element under `tag` (default `vigil-warning`); a no-op if already defined. */
export function defineVigilWarning(tag = 'vigil-warning'): void {
  if (!customElements.get(tag)) customElements.define(tag, class extends VigilWarning {});
}

if (typeof customElements !== 'undefined' && !customElements.get('vigil-warning')) {
  customElements.define('vigil-warning', VigilWarning);
}

declare global {
  interface HTMLElementTagNameMap {
    'vigil-warning': VigilWarning;
  }
  interface HTMLElementEventMap {
    'vigil-verdict': CustomEvent<VerdictDetail>;
    'vigil-error': CustomEvent<{ error: Error }>;
  }
}
