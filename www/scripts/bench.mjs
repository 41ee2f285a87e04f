// `npm run bench`: inferences per second in headless Chromium for the
// eth-fraud-sized MLP (fixtures/bench-mlp.vgl: 38 signed-log1p features,
// 38-32-16-1), through the public API (`model.score(list of 38 decimal
// strings)`) on real eth-fraud rows when available, and the package's
// gzipped size. Not a timed test: it reports.
// The last line of output is a JSON object with (at least) the keys
// inferences_per_second and gzip_bytes.
//
// gzip_bytes: the larger of
//   - the npm package itself (`npm pack` tarball: gzipped tar of every file
//     it ships, .d.ts and README included), and
//   - what a page using the main entry and the widget downloads, each file
//     gzipped (-9) as a server would: dist/index.js, dist/widget.js,
//     dist/inflate.js, the wasm-bindgen glue and the inlined engine wasm
//     (dist/wasm/inline.js: deflated, base64).
// (Today the tarball is the larger.)
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { serve, WWW } from './serve.mjs';
import { launch } from '../test/support/browser.mjs';

const RUNTIME = ['dist/index.js', 'dist/widget.js', 'dist/inflate.js', 'dist/wasm/vigil_web.js', 'dist/wasm/inline.js'];
for (const f of RUNTIME) {
  if (!existsSync(join(WWW, f))) {
    console.error(`${f} missing: run \`npm run build\` first`);
    process.exit(1);
  }
}
const sizes = Object.fromEntries(
  RUNTIME.map((f) => {
    const raw = readFileSync(join(WWW, f));
    return [f, { raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length }];
  }),
);
const runtimeGzip = Object.values(sizes).reduce((a, s) => a + s.gzip, 0);
const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: WWW, encoding: 'utf8' }));
const gzipBytes = Math.max(runtimeGzip, pack.size);
const wasm = readFileSync(join(WWW, 'dist/wasm/vigil_web_bg.wasm'));
const wasmGzip = gzipSync(wasm, { level: 9 }).length;

// Input rows: real eth-fraud accounts when the data set is beside the
// repository (read in place, never copied: ../shared/datasets/eth-fraud or
// $VIGIL_ETH_FRAUD_DIR), else the synthetic demo accounts.
const dataDir = process.env.VIGIL_ETH_FRAUD_DIR ?? join(WWW, '../../shared/datasets/eth-fraud');
let rows;
let rowSource;
if (existsSync(join(dataDir, 'test.csv'))) {
  const lines = readFileSync(join(dataDir, 'test.csv'), 'utf8').trim().split('\n').slice(1);
  rows = lines.map((l) => l.split(',').slice(0, 38));
  rowSource = `${rows.length} eth-fraud test.csv rows`;
} else {
  const samples = JSON.parse(readFileSync(join(WWW, 'fixtures/samples.json'), 'utf8'));
  rows = samples.samples.map((s) => samples.feature_names.map((n) => s.features[n]));
  rowSource = `${rows.length} synthetic sample rows (fixtures/samples.json; eth-fraud data not found)`;
}

const server = await serve();
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/test/pages/blank.html`);
  const result = await page.evaluate(async (rows) => {
    const { loadModel } = await import('/dist/index.js');
    const blob = await (await fetch('/fixtures/bench-mlp.vgl')).arrayBuffer();
    const model = await loadModel(blob);
    // Warm up (tier-up to optimised wasm and JS).
    let sink = 0;
    for (let i = 0; i < 20000; i++) sink += model.score(rows[i % rows.length]).scoreBits;
    const rounds = [];
    for (let r = 0; r < 5; r++) {
      let n = 0;
      const t0 = performance.now();
      let t1 = t0;
      while (t1 - t0 < 1000) {
        for (let i = 0; i < 2000; i++, n++) sink += model.score(rows[n % rows.length]).scoreBits;
        t1 = performance.now();
      }
      rounds.push((n * 1000) / (t1 - t0));
    }
    rounds.sort((a, b) => a - b);
    return { rounds, median: rounds[2], sink, info: model.info(), ua: navigator.userAgent };
  }, rows);
  const ips = Math.round(result.median);
  console.log(`model: bench-mlp.vgl, ${result.info.family}, ${result.info.nFeatures} features, ${result.info.size} bytes`);
  console.log(`browser: ${result.ua}`);
  console.log(`inputs: ${rowSource}, cycled; each call model.score(list of 38 decimal strings)`);
  console.log(`inferences/s per 1 s round: ${result.rounds.map((r) => Math.round(r)).join(', ')} (median ${ips}; ${(1e6 / ips).toFixed(2)} µs each)`);
  for (const [f, s] of Object.entries(sizes)) console.log(`${f}: ${s.raw} bytes, ${s.gzip} gzipped`);
  console.log(`dist/wasm/vigil_web_bg.wasm: ${wasm.length} bytes, ${wasmGzip} gzipped (not shipped as such: deflated in inline.js)`);
  console.log(`runtime download (the ${RUNTIME.length} files above, each gzipped): ${runtimeGzip} bytes`);
  console.log(`npm package: ${pack.filename}, ${pack.entryCount} files, ${pack.size} bytes (tarball), ${pack.unpackedSize} unpacked`);
  console.log(`targets: >= 200000 inferences/s (${ips >= 200000 ? 'met' : 'NOT met'}), <= 61440 gzip bytes (${gzipBytes <= 61440 ? 'met' : 'NOT met'})`);
  console.log(
    JSON.stringify({
      inferences_per_second: ips,
      gzip_bytes: gzipBytes,
      runtime_gzip_bytes: runtimeGzip,
      tarball_bytes: pack.size,
      wasm_bytes: wasm.length,
      wasm_gzip_bytes: wasmGzip,
      model: 'bench-mlp.vgl (38-32-16-1)',
      inputs: rowSource,
    }),
  );
} finally {
  await browser.close();
  await server.close();
}
