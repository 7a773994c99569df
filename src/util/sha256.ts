// SHA-256 (FIPS 180-4), synchronous, for kube-proxy's chain names: the compile step runs in
// workers and must not wait on WebCrypto's async digest for each of 10,000 services.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/**
 * The Merkle–Damgård padding SHA-1 and SHA-2 share: the message, a 1 bit, zeros, and its bit
 * length as a big-endian 64-bit number, to a multiple of 64 bytes.
 */
export function padMessage(data: Uint8Array): { padded: Uint8Array; view: DataView } {
  const bitLength = data.length * 8;
  const padded = new Uint8Array(((data.length + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 2 ** 32));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  return { padded, view };
}

/** Scratch space for sha256 (message schedule, state): one call at a time, nothing kept between. */
const W = new Uint32Array(64);
const H = new Uint32Array(8);
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

export function sha256(data: Uint8Array): Uint8Array {
  return sha2(data, H0, 8);
}

/** SHA-224 (Felix's rule and name hashes): SHA-256's rounds from other initial values, 7 words out. */
const H224 = [0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939, 0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4];

export function sha224(data: Uint8Array): Uint8Array {
  return sha2(data, H224, 7);
}

function sha2(data: Uint8Array, init: readonly number[], words: number): Uint8Array {
  const { padded } = padMessage(data);
  digest(padded, padded.length, init);
  return digestBytes(new Uint8Array(words * 4), words);
}

/** The first `words` words of the last digest (H), big-endian, into `out`. */
function digestBytes(out: Uint8Array, words: number): Uint8Array {
  for (let i = 0; i < words; i++) {
    const v = H[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = (v >>> 16) & 255;
    out[i * 4 + 2] = (v >>> 8) & 255;
    out[i * 4 + 3] = v & 255;
  }
  return out;
}

/** Scratch space for a message padded in place (sha256Words, sha224Into), grown as needed. */
let TEXT = new Uint8Array(256);

/** TEXT, big enough for an `n`-byte message and its padding. */
function scratchFor(n: number): Uint8Array {
  const length = ((n + 9 + 63) >> 6) << 6;
  if (TEXT.length < length) TEXT = new Uint8Array(length * 2);
  return TEXT;
}

/** Pads the `n`-byte message at the start of TEXT in place (as padMessage does); returns the padded length. */
function padScratch(n: number): number {
  const length = ((n + 9 + 63) >> 6) << 6;
  const buf = TEXT;
  buf[n] = 0x80;
  buf.fill(0, n + 1, length);
  const bits = n * 8;
  buf[length - 5] = Math.floor(bits / 2 ** 32) & 255;
  buf[length - 4] = (bits >>> 24) & 255;
  buf[length - 3] = (bits >>> 16) & 255;
  buf[length - 2] = (bits >>> 8) & 255;
  buf[length - 1] = bits & 255;
  return length;
}

/**
 * The SHA-256 of `text`'s UTF-8 bytes as eight big-endian words, in a buffer reused by the next
 * call: for the chain names kube-proxy hashes by the ten thousand, ASCII text is padded in place
 * with no encoder, copy or digest array (anything else goes through utf8 and padMessage).
 */
export function sha256Words(text: string): Uint32Array {
  const n = text.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (!ascii) {
    const { padded } = padMessage(utf8(text));
    digest(padded, padded.length);
    return H;
  }
  const buf = scratchFor(n);
  for (let i = 0; i < n; i++) buf[i] = text.charCodeAt(i);
  digest(buf, padScratch(n));
  return H;
}

/**
 * SHA-224 of `prefix` (bytes) followed by `text`'s bytes, into `out` (28 bytes), with no
 * allocation for ASCII text: Felix hashes each rule as SHA-224(previous digest ‖ rule text),
 * tens of thousands of times per cluster.
 */
export function sha224Into(prefix: Uint8Array, text: string, out: Uint8Array): Uint8Array {
  const bytes = /^[\x00-\x7f]*$/.test(text) ? undefined : utf8(text);
  const n = prefix.length + (bytes ? bytes.length : text.length);
  const buf = scratchFor(n);
  buf.set(prefix);
  if (bytes) buf.set(bytes, prefix.length);
  else for (let i = 0; i < text.length; i++) buf[prefix.length + i] = text.charCodeAt(i);
  digest(buf, padScratch(n), H224);
  return digestBytes(out, 7);
}

/** Runs the compression function over the first `length` bytes of `padded` (a multiple of 64), from the initial state into H. */
function digest(padded: Uint8Array, length: number, init: readonly number[] = H0): void {
  const h = H;
  const w = W;
  for (let i = 0; i < 8; i++) h[i] = init[i]!;
  for (let off = 0; off < length; off += 64) {
    for (let i = 0; i < 16; i++) {
      const o = off + i * 4;
      w[i] = (padded[o]! << 24) | (padded[o + 1]! << 16) | (padded[o + 2]! << 8) | padded[o + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0;
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
}

/** The first `chars` (a multiple of 8, at most 48) characters of base32(digest) for sha256Words' digest: what kube-proxy's names keep. */
export function base32Prefix(words: Uint32Array, chars: number): string {
  let out = "";
  for (let i = 0; i < chars; i += 8) {
    // Eight characters are five bytes: 40 bits starting at byte i / 8 * 5, as hi (8) and lo (32).
    const start = (i / 8) * 5;
    const hi = byteAt(words, start);
    const lo = ((byteAt(words, start + 1) << 24) | (byteAt(words, start + 2) << 16) | (byteAt(words, start + 3) << 8) | byteAt(words, start + 4)) >>> 0;
    out += String.fromCharCode(
      BASE32_CODES[hi >>> 3]!, BASE32_CODES[((hi & 7) << 2) | (lo >>> 30)]!, BASE32_CODES[(lo >>> 25) & 31]!, BASE32_CODES[(lo >>> 20) & 31]!,
      BASE32_CODES[(lo >>> 15) & 31]!, BASE32_CODES[(lo >>> 10) & 31]!, BASE32_CODES[(lo >>> 5) & 31]!, BASE32_CODES[lo & 31]!,
    );
  }
  return out;
}

/** Byte `i` of big-endian words. */
function byteAt(words: Uint32Array, i: number): number {
  return (words[i >> 2]! >>> (24 - 8 * (i & 3))) & 255;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE32_CODES = Array.from(BASE32, (c) => c.charCodeAt(0));

/** RFC 4648 base32 with padding, as Go's base32.StdEncoding. */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  while (out.length % 8) out += "=";
  return out;
}

const ENCODER = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return ENCODER.encode(text);
}
