// Address allocators that behave like the real ones: the node IPAM controller hands out
// pod CIDRs in order; host-local hands out the lowest free address of a node's range from
// .2 (.1 is cni0's gateway); the service allocator never reuses an address.

import type { Cidr } from "../net/ipv4.js";

/** Lowest-free allocation over [first, last], with explicit addresses reserved up front. */
export class RangeAllocator {
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(
    readonly first: number,
    readonly last: number,
  ) {
    this.cursor = first;
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  contains(value: number): boolean {
    return value >= this.first && value <= this.last;
  }

  /** Marks `value` taken; false if it was already. */
  reserve(value: number): boolean {
    if (this.used.has(value)) return false;
    this.used.add(value);
    return true;
  }

  /** The lowest free value, or undefined when the range is exhausted. */
  next(): number | undefined {
    while (this.cursor <= this.last && this.used.has(this.cursor)) this.cursor++;
    if (this.cursor > this.last) return undefined;
    this.used.add(this.cursor);
    return this.cursor++;
  }
}

/** host-local's range for a node's pod CIDR: .2 up to the address before broadcast. */
export function podRange(cidr: Cidr): RangeAllocator {
  const size = 2 ** (32 - cidr.prefixLength);
  return new RangeAllocator(cidr.address + 2, cidr.address + size - 2);
}

/** The node CIDR allocator: block i of the cluster CIDR is [address + i·size, …). */
export class BlockAllocator {
  readonly blockSize: number;
  readonly blocks: RangeAllocator;

  constructor(
    readonly cluster: Cidr,
    readonly maskSize: number,
  ) {
    this.blockSize = 2 ** (32 - maskSize);
    this.blocks = new RangeAllocator(0, 2 ** (maskSize - cluster.prefixLength) - 1);
  }

  /** Reserves the block holding `cidr` (which must be aligned and inside). */
  reserve(cidr: Cidr): boolean {
    return this.blocks.reserve((cidr.address - this.cluster.address) / this.blockSize);
  }

  next(): Cidr | undefined {
    const i = this.blocks.next();
    return i === undefined ? undefined : { address: (this.cluster.address + i * this.blockSize) >>> 0, prefixLength: this.maskSize };
  }
}

/**
 * Cilium's cluster-pool IPAM inside a node's range (pkg/ipam/hostscope.go → the vendored
 * Kubernetes ipallocator.NewCIDRRange): every address but the network and broadcast ones,
 * handed out by randomScanStrategy, a random offset scanned forward (wrapping) to the first
 * free address. The random source is seeded here (from the node's name), so the same cluster
 * always gets the same addresses; a real agent seeds from the clock.
 */
export class RandomScanAllocator extends RangeAllocator {
  private readonly taken = new Set<number>();

  constructor(
    cidr: Cidr,
    private readonly random: () => number,
  ) {
    const size = 2 ** (32 - cidr.prefixLength);
    super(cidr.address + 1, cidr.address + size - 2);
  }

  override reserve(value: number): boolean {
    if (this.taken.has(value)) return false;
    this.taken.add(value);
    return true;
  }

  override next(): number | undefined {
    const max = this.size;
    if (this.taken.size >= max) return undefined;
    const offset = Math.floor(this.random() * max);
    for (let i = 0; i < max; i++) {
      const at = this.first + ((offset + i) % max);
      if (!this.taken.has(at)) {
        this.taken.add(at);
        return at;
      }
    }
    return undefined;
  }
}
