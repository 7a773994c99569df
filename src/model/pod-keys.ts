// Pods' `namespace/name` keys, as the model builder checks them by the hundred thousand.

import { FNV1A_OFFSET, fnv1aMore } from "./random.js";

/**
 * The pods' `namespace/name` keys taken so far, as a set of the keys' hashes (two, over the
 * key's characters) that compares the keys themselves only when both hashes match: 150,000
 * generated names are checked without building 150,000 key strings. A key is given as
 * `namespace`, and `name` in two parts (`head + tail`).
 */
export class PodKeys<V = true> {
  private ha: Int32Array;
  private hb: Int32Array;
  /** Index into the lists below plus one; 0 is an empty slot. */
  private slot: Int32Array;
  private readonly namespaces: string[] = [];
  private readonly heads: string[] = [];
  private readonly tails: string[] = [];
  private readonly values: V[] = [];

  /** `expected`: about how many keys it will hold, so that it need not grow on the way. */
  constructor(expected = 512) {
    // At most what the limits allow (150,000 pods), so a wild replica count allocates nothing up front.
    let n = 1024;
    while (n < Math.min(expected, 1 << 18) * 2) n *= 2;
    this.ha = new Int32Array(n);
    this.hb = new Int32Array(n);
    this.slot = new Int32Array(n);
  }

  /** The two hashes of `namespace + "/" + head + tail`, from the two of `namespace + "/" + head`. */
  static start(namespace: string, head: string): [number, number] {
    return [hashB(hashB(hashB(FNV1A_OFFSET, namespace), "/"), head), fnv1aMore(fnv1aMore(fnv1aMore(FNV1A_OFFSET, namespace), "/"), head)];
  }

  has(namespace: string, head: string, tail: string, a?: number, b?: number): boolean {
    return this.find(namespace, head, tail, a, b) >= 0;
  }

  /** The value the key was added with, or undefined. */
  get(namespace: string, head: string, tail: string, a?: number, b?: number): V | undefined {
    const k = this.find(namespace, head, tail, a, b);
    return k < 0 ? undefined : this.values[k];
  }

  /** The key's index in the lists, or -1. */
  private find(namespace: string, head: string, tail: string, a?: number, b?: number): number {
    if (a === undefined || b === undefined) [a, b] = PodKeys.finish(PodKeys.start(namespace, head), tail);
    const mask = this.slot.length - 1;
    for (let i = b & mask; ; i = (i + 1) & mask) {
      const s = this.slot[i]!;
      if (s === 0) return -1;
      if (this.ha[i] === a && this.hb[i] === b) {
        const k = s - 1;
        if (`${this.namespaces[k]}/${this.heads[k]}${this.tails[k]}` === `${namespace}/${head}${tail}`) return k;
      }
    }
  }

  /** Adds the key with `value`, unless it is there already (its first value stays, as with a Set). */
  add(namespace: string, head: string, tail: string, a?: number, b?: number, value?: V): void {
    if (a === undefined || b === undefined) [a, b] = PodKeys.finish(PodKeys.start(namespace, head), tail);
    if (this.find(namespace, head, tail, a, b) >= 0) return;
    if ((this.namespaces.length + 1) * 2 > this.slot.length) this.grow();
    this.namespaces.push(namespace);
    this.heads.push(head);
    this.tails.push(tail);
    this.values.push(value as V);
    this.put(a, b, this.namespaces.length);
  }

  static finish(start: [number, number], tail: string): [number, number] {
    return [hashB(start[0], tail), fnv1aMore(start[1], tail)];
  }

  private put(a: number, b: number, s: number): void {
    const mask = this.slot.length - 1;
    let i = b & mask;
    while (this.slot[i] !== 0) i = (i + 1) & mask;
    this.ha[i] = a;
    this.hb[i] = b;
    this.slot[i] = s;
  }

  private grow(): void {
    const { ha, hb, slot } = this;
    this.ha = new Int32Array(slot.length * 2);
    this.hb = new Int32Array(slot.length * 2);
    this.slot = new Int32Array(slot.length * 2);
    for (let i = 0; i < slot.length; i++) if (slot[i] !== 0) this.put(ha[i]!, hb[i]!, slot[i]!);
  }
}

/** A second hash of a key (besides FNV-1a), continued over `text`. */
function hashB(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

