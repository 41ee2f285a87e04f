// The demo page: pick a synthetic account or type its figures; the
// <vigil-warning> widget scores it in the browser with the eth-fraud model.
// Query parameters: ?model=URL (another model blob), ?sample=ID.
import '../dist/widget.js';

const params = new URLSearchParams(location.search);
const modelUrl = params.get('model') ?? '../fixtures/eth-fraud.vgl';

const $ = (id) => document.getElementById(id);
const warning = $('warning');
const form = $('account-form');
const select = $('sample');
const fieldsBox = $('fields');
const sign = $('sign');
const ack = $('ack');
const ackLabel = $('ack-label');
const signStatus = $('sign-status');

const [card, samples] = await Promise.all([
  fetch('../fixtures/eth-fraud.json').then((r) => r.json()),
  fetch('../fixtures/samples.json').then((r) => r.json()),
]);
const names = card.features.map((f) => f.name);
const labels = Object.fromEntries(card.features.map((f) => [f.name, f.label]));

// --- the form -----------------------------------------------------------------
const GROUPS = [
  ['Activity', [0, 1, 2, 3, 4, 5, 6, 7, 17]],
  ['ETH amounts', [8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21]],
  ['ERC-20 tokens', [22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37]],
];
const inputs = new Map();
for (const [legend, indices] of GROUPS) {
  const fieldset = document.createElement('fieldset');
  fieldset.innerHTML = `<legend>${legend}</legend><div class="grid"></div>`;
  for (const i of indices) {
    const name = names[i];
    const field = document.createElement('div');
    field.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = `f-${name}`;
    label.textContent = labels[name];
    const input = document.createElement('input');
    Object.assign(input, { type: 'text', id: `f-${name}`, name, inputMode: 'decimal', autocomplete: 'off', spellcheck: false });
    input.title = name;
    field.append(label, input);
    fieldset.querySelector('.grid').append(field);
    inputs.set(name, input);
  }
  fieldsBox.append(fieldset);
}

for (const s of samples.samples) select.add(new Option(s.title, s.id));
select.add(new Option('Custom figures (typed)', 'custom'));

function fakeAddress(id) {
  let h = 0x811c9dc5;
  let out = '0x';
  for (let k = 0; k < 40; k++) {
    h = Math.imul(h ^ id.charCodeAt(k % id.length) ^ k, 0x01000193) >>> 0;
    out += (h & 15).toString(16);
  }
  return out;
}

function showSample(id) {
  const s = samples.samples.find((x) => x.id === id);
  if (!s) return;
  select.value = id;
  $('sample-description').textContent = s.description;
  $('to-address').textContent = fakeAddress(id);
  for (const [name, input] of inputs) input.value = s.features[name];
  check();
}

function check() {
  for (const input of inputs.values()) input.removeAttribute('aria-invalid');
  warning.features = Object.fromEntries([...inputs].map(([name, input]) => [name, input.value.trim()]));
}

let timer;
form.addEventListener('input', (e) => {
  if (e.target === select) return;
  if (select.value !== 'custom') {
    select.value = 'custom';
    $('sample-description').textContent = 'Your own figures.';
  }
  clearTimeout(timer);
  timer = setTimeout(check, 120);
});
form.addEventListener('submit', (e) => {
  e.preventDefault();
  check();
});
select.addEventListener('change', () => {
  if (select.value !== 'custom') showSample(select.value);
  else $('sample-description').textContent = 'Your own figures.';
});

// --- the wallet's reaction --------------------------------------------------
function gate(level) {
  ackLabel.hidden = level !== 'danger';
  if (level !== 'danger') ack.checked = false;
  sign.disabled = level === null || (level === 'danger' && !ack.checked);
  signStatus.textContent =
    level === 'danger' && !ack.checked ? 'Signing is blocked until you acknowledge the warning.' : '';
}
ack.addEventListener('change', () => gate(warning.level));
sign.addEventListener('click', () => {
  signStatus.textContent = 'Demo only: nothing was signed.';
});

let infoShown = false;
warning.addEventListener('vigil-verdict', (e) => {
  gate(e.detail.level);
  if (!infoShown) {
    infoShown = true;
    showInfo(e.detail.info);
  }
});
warning.addEventListener('vigil-error', (e) => {
  gate(null);
  const name = e.detail.error.featureName;
  if (name && inputs.has(name)) inputs.get(name).setAttribute('aria-invalid', 'true');
  if (e.detail.error.code === 'MALFORMED_MODEL' || !infoShown) {
    $('model-info').innerHTML = '<dt>Status</dt><dd></dd>';
    $('model-info').querySelector('dd').textContent = e.detail.error.message;
  }
});

function showInfo(info) {
  const metrics = card.metrics_test;
  const rows = [
    ['Family', info.family],
    ['Features', String(info.nFeatures)],
    ['Threshold', `${(info.threshold * 100).toFixed(1)}% (caution from ${((info.thresholdBits >>> 1) / 2 ** 31 * 100).toFixed(1)}%)`],
    ['Size', `${info.size} bytes`],
    ['Checksum (SHA-256)', info.checksum],
    ['Provenance', info.checksum === card.checksum ? card.provenance : 'a model given by URL'],
  ];
  if (metrics && info.checksum === card.checksum) {
    rows.push([
      'Test set',
      `accuracy ${metrics.accuracy}, precision ${metrics.precision}, recall ${metrics.recall}, F1 ${metrics.f1} (${metrics.rows} accounts, scored by the integer core)`,
    ]);
  }
  const dl = $('model-info');
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
}

// --- start ------------------------------------------------------------------------
$('model-link').href = modelUrl;
warning.featureNames = names;
warning.featureLabels = labels;
warning.model = modelUrl;
showSample(params.get('sample') ?? samples.samples.find((s) => s.id === 'phishing-drop')?.id ?? samples.samples[0].id);
document.documentElement.dataset.ready = 'true';
