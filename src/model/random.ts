// Deterministic stand-ins for what Kubernetes picks at random (name suffixes, template
// hashes) and the seeded generator's PRNG. Same input, same names, every run.

/** FNV-1a, 32 bits: the hash Kubernetes itself uses for pod-template-hash. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** FNV-1a's offset basis: where fnv1aMore starts. */
export const FNV1A_OFFSET = 0x811c9dc5;

/**
 * FNV-1a continued over `text` from state `h` (not yet `>>> 0`): fnv1a32(a + b) ===
 * fnv1aMore(fnv1aMore(FNV1A_OFFSET, a), b) >>> 0, without building the joined string.
 */
export function fnv1aMore(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** apimachinery's rand alphabet: no vowels (no accidental words), no confusable 0/1/3. */
const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

/** rand.SafeEncodeString: each character mapped into ALPHANUMS, as pod-template-hash is made. */
export function safeEncode(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) out += ALPHANUMS[text.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** Like ComputeHash: FNV-32a of the template, printed as a decimal and safe-encoded. */
export function templateHash(template: unknown): string {
  return safeEncode(String(fnv1a32(JSON.stringify(template))));
}

/** A seeded PRNG (mulberry32): uniform floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` characters of the rand alphabet, derived from `key` (a generateName suffix stand-in). */
export function suffix(key: string, n = 5): string {
  return suffixOfHash(fnv1a32(key), n);
}

/** ALPHANUMS as character codes. */
const ALPHANUM_CODES = Array.from(ALPHANUMS, (c) => c.charCodeAt(0));

/** suffix(key, n) given fnv1a32(key): what suffix draws from the key's hash. */
export function suffixOfHash(hash: number, n = 5): string {
  // mulberry32 inlined: this runs once per generated pod (150,000 times at the limits).
  let a = hash;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ALPHANUM_CODES[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * ALPHANUMS.length)]!;
  };
  if (n === 5) return String.fromCharCode(next(), next(), next(), next(), next());
  let out = "";
  for (let i = 0; i < n; i++) out += String.fromCharCode(next());
  return out;
}
