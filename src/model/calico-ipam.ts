// Calico IPAM: pod addresses come from /26 blocks of the IP pool, each block affine to one
// node, not from the node's spec.podCIDR (which Calico IPAM ignores).
//
// libcalico-go/lib/ipam/ipam_block.go newBlock: a new block's free ordinals are 0..63 in
// order, and autoAssign takes them from the front, so a fresh block hands out its addresses
// from the network address up (.0 is a valid pod or tunnel address: the block is routed
// whole, it is no subnet with a broadcast address). autoAssign (ipam.go) first uses the
// node's affine blocks, and claims a new block only when they are full. AssignIP (a pod with
// an explicit address) claims the address's block for the node when nobody holds it.
// calico-node takes the node's first address for its tunnel device (tunl0 with IP-in-IP,
// vxlan.calico with VXLAN; node/pkg/allocateip): the block's ordinal 0.
//
// Simplified: Calico claims a node's first block at a pseudo-random place in the pool
// (randomBlockGenerator, seeded by the FNV hash of the node name through Go's math/rand);
// here it is the lowest free block, so addresses read in order. Addresses of another node's
// block ("borrowed" when a pool is exhausted, advertised as /32 routes) are refused.

import { cidrContains, formatCidr, formatIPv4, type Cidr } from "../net/ipv4.js";

/** Calico's default IPv4 block size (IPPool spec.blockSize). */
export const CALICO_BLOCK_SIZE = 26;

export class CalicoIpam {
  readonly blockAddresses = 2 ** (32 - CALICO_BLOCK_SIZE);
  /** Block index → owning node. */
  private readonly owner = new Map<number, number>();
  /** Per node: its blocks in the order it claimed them. */
  readonly blocks: number[][];
  private readonly used = new Set<number>();
  private readonly blockCount: number;

  constructor(
    readonly pool: Cidr,
    nodes: number,
  ) {
    this.blocks = Array.from({ length: nodes }, () => []);
    this.blockCount = pool.prefixLength > CALICO_BLOCK_SIZE ? 0 : 2 ** (CALICO_BLOCK_SIZE - pool.prefixLength);
  }

  private blockOf(ip: number): number {
    return Math.floor((ip - this.pool.address) / this.blockAddresses);
  }

  /** The node holding the block of `ip`, if any. */
  ownerOf(ip: number): number | undefined {
    return cidrContains(this.pool, ip) ? this.owner.get(this.blockOf(ip)) : undefined;
  }

  /** Can node `n` hold `ip`: in the pool, and its block free or already `n`'s. */
  allows(n: number, ip: number): boolean {
    if (!cidrContains(this.pool, ip)) return false;
    const o = this.owner.get(this.blockOf(ip));
    return o === undefined || o === n;
  }

  /** AssignIP: takes `ip` for node `n`, claiming its block. False when taken or not allowed. */
  assign(n: number, ip: number): boolean {
    if (!this.allows(n, ip) || this.used.has(ip)) return false;
    this.claim(n, this.blockOf(ip));
    this.used.add(ip);
    return true;
  }

  /** autoAssign: the lowest free address of `n`'s blocks, else of a newly claimed block. */
  next(n: number): number | undefined {
    for (const b of this.blocks[n]!) {
      const ip = this.freeIn(b);
      if (ip !== undefined) return ip;
    }
    for (let b = 0; b < this.blockCount; b++) {
      if (this.owner.has(b)) continue;
      this.claim(n, b);
      return this.freeIn(b);
    }
    return undefined;
  }

  private freeIn(b: number): number | undefined {
    const base = this.pool.address + b * this.blockAddresses;
    for (let i = 0; i < this.blockAddresses; i++) {
      if (!this.used.has(base + i)) {
        this.used.add(base + i);
        return base + i;
      }
    }
    return undefined;
  }

  private claim(n: number, b: number): void {
    if (this.owner.has(b)) return;
    this.owner.set(b, n);
    this.blocks[n]!.push(b);
  }

  blockCidr(b: number): string {
    return formatCidr({ address: (this.pool.address + b * this.blockAddresses) >>> 0, prefixLength: CALICO_BLOCK_SIZE });
  }

  /** Node `n`'s blocks as CIDRs, in claim order. */
  cidrsOf(n: number): string[] {
    return this.blocks[n]!.map((b) => this.blockCidr(b));
  }

  describe(ip: number): string {
    return `${formatIPv4(ip)} (block ${this.blockCidr(this.blockOf(ip))})`;
  }
}
