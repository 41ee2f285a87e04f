/**
 * A small raw-DEFLATE (RFC 1951) decoder, after zlib's `puff.c`: how the
 * package unpacks its engine wasm, which it ships deflated (and base64'd) in
 * `dist/wasm/inline.js`, about 25 % fewer gzipped bytes than plain base64.
 * Synchronous (so {@link initEngineSync} works everywhere) and with no
 * dependency on `DecompressionStream` or Node's `zlib`.
 *
 * @module
 * @internal
 */

/** A canonical Huffman code: code counts per length, then the symbols in code order. */
interface Code {
  count: Uint16Array;
  symbol: Uint16Array;
}

function code(lengths: ArrayLike<number>, n: number): Code {
  const count = new Uint16Array(16);
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) count[lengths[s]!]!++;
  const offs = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offs[len + 1] = offs[len]! + count[len]!;
  for (let s = 0; s < n; s++) if (lengths[s]) symbol[offs[lengths[s]!]!++] = s;
  count[0] = 0;
  return { count, symbol };
}

// Base values and extra bits of the length (257..285) and distance codes.
const LEN_BASE = new Uint16Array(29);
const LEN_EXTRA = new Uint8Array(29);
const DIST_BASE = new Uint16Array(30);
const DIST_EXTRA = new Uint8Array(30);
for (let i = 0, base = 3; i < 28; i++) {
  LEN_EXTRA[i] = i < 8 ? 0 : (i - 4) >> 2;
  LEN_BASE[i] = base;
  base += 1 << LEN_EXTRA[i]!;
}
LEN_BASE[28] = 258;
for (let i = 0, base = 1; i < 30; i++) {
  DIST_EXTRA[i] = i < 4 ? 0 : (i - 2) >> 1;
  DIST_BASE[i] = base;
  base += 1 << DIST_EXTRA[i]!;
}
/** Order in which code-length code lengths are stored. */
const ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Decompress raw DEFLATE data that inflates to exactly `size` bytes; throws on anything else. */
export function inflateRaw(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let pos = 0;
  let buf = 0;
  let cnt = 0;
  let o = 0;
  const fail = (why: string): never => {
    throw new Error(`corrupt deflate data: ${why}`);
  };
  const bits = (n: number): number => {
    while (cnt < n) {
      if (pos >= src.length) fail('truncated');
      buf |= src[pos++]! << cnt;
      cnt += 8;
    }
    const v = buf & ((1 << n) - 1);
    buf >>>= n;
    cnt -= n;
    return v;
  };
  const decode = (h: Code): number => {
    let c = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      c |= bits(1);
      const count = h.count[len]!;
      if (c - count < first) return h.symbol[index + c - first]!;
      index += count;
      first = (first + count) << 1;
      c <<= 1;
    }
    return fail('bad code');
  };
  let last = 0;
  while (!last) {
    last = bits(1);
    const type = bits(2);
    if (type === 0) {
      buf = 0;
      cnt = 0;
      if (pos + 4 > src.length) fail('truncated');
      const len = src[pos]! | (src[pos + 1]! << 8);
      pos += 4;
      if (pos + len > src.length || o + len > size) fail('stored block');
      out.set(src.subarray(pos, pos + len), o);
      pos += len;
      o += len;
      continue;
    }
    let lit: Code;
    let dist: Code;
    if (type === 1) {
      const l = new Uint8Array(318);
      l.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288).fill(5, 288);
      lit = code(l, 288);
      dist = code(l.subarray(288), 30);
    } else if (type === 2) {
      const nlen = bits(5) + 257;
      const ndist = bits(5) + 1;
      const ncode = bits(4) + 4;
      const l = new Uint8Array(320);
      for (let i = 0; i < ncode; i++) l[ORDER[i]!] = bits(3);
      const lencode = code(l, 19);
      l.fill(0, 0, 19);
      for (let i = 0; i < nlen + ndist; ) {
        let sym = decode(lencode);
        if (sym < 16) {
          l[i++] = sym;
          continue;
        }
        let rep = 0;
        if (sym === 16) {
          if (i === 0) fail('repeat without length');
          rep = l[i - 1]!;
          sym = 3 + bits(2);
        } else sym = sym === 17 ? 3 + bits(3) : 11 + bits(7);
        if (i + sym > nlen + ndist) fail('too many lengths');
        while (sym--) l[i++] = rep;
      }
      lit = code(l, nlen);
      dist = code(l.subarray(nlen), ndist);
    } else return fail('block type 3');
    for (;;) {
      let sym = decode(lit);
      if (sym < 256) {
        if (o >= size) fail('too long');
        out[o++] = sym;
      } else if (sym === 256) break;
      else {
        sym -= 257;
        if (sym >= 29) fail('bad length');
        const len = LEN_BASE[sym]! + bits(LEN_EXTRA[sym]!);
        const d = decode(dist);
        if (d >= 30) fail('bad distance');
        const back = DIST_BASE[d]! + bits(DIST_EXTRA[d]!);
        if (back > o || o + len > size) fail('bad match');
        for (let k = 0; k < len; k++, o++) out[o] = out[o - back]!;
      }
    }
  }
  if (o !== size) fail('wrong size');
  return out;
}
