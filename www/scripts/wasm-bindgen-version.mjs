// Prints the wasm-bindgen version pinned in a Cargo.lock (the CLI must match
// it exactly). Usage: node wasm-bindgen-version.mjs path/to/Cargo.lock
import { readFileSync } from 'node:fs';

const lock = readFileSync(process.argv[2] ?? '../Cargo.lock', 'utf8');
const m = lock.match(/\[\[package\]\]\s*\nname = "wasm-bindgen"\s*\nversion = "([^"]+)"/);
if (!m) {
  console.error('wasm-bindgen not found in Cargo.lock (is www/ a workspace member?)');
  process.exit(1);
}
console.log(m[1]);
