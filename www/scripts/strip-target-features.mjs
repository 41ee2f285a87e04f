// Copies a wasm module without its `target_features` custom section, so
// wasm-bindgen does not switch on reference types (externref tables) for a
// module whose own code is MVP: the section lists the union of the features
// of everything linked, including the precompiled standard library's.
// Usage: node strip-target-features.mjs in.wasm out.wasm
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const wasm = readFileSync(input);
if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`${input}: not a wasm module`);

function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = wasm[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

const parts = [wasm.subarray(0, 8)];
let removed = 0;
for (let at = 8; at < wasm.length; ) {
  const start = at;
  const id = wasm[at++];
  const [size, body] = leb(at);
  const end = body + size;
  let drop = false;
  if (id === 0) {
    const [len, name] = leb(body);
    drop = wasm.toString('utf8', name, name + len) === 'target_features';
  }
  if (drop) removed++;
  else parts.push(wasm.subarray(start, end));
  at = end;
}
writeFileSync(output, Buffer.concat(parts));
console.log(`[build] ${output}: ${removed ? 'target_features section removed' : 'no target_features section'}`);
