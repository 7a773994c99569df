// What every CNI's network compiler shares: the interface table being filled, one network
// namespace per routing table, the MACs handed out so far (locally administered, re-drawn on
// a collision), and the last step that points each route at its interface.

import { K8sNetFlowError } from "../errors.js";
import { FNV1A_OFFSET, fnv1aMore } from "../model/random.js";
import type { CompiledNetwork, Iface, NetnsInfo, NodeInfo } from "./network.js";
import type { ClusterModel } from "../model/types.js";
import type { compileRoutes, Netns, Route } from "./routes.js";

export const NIC_MTU = 1500;
export const SEGMENT_UNDERLAY = 0;
export const SEGMENT_OVERLAY = 1;
/** The `oif` of a route with no device (blackhole), as the dataplane's NONE. */
export const NO_DEVICE = 0xffffffff;

/** Character codes of the lowercase hex digits. */
const HEX = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** `aa:bb:cc:dd:ee:ff` of six bytes, in one string (no intermediate parts). */
export function formatMac(b0: number, b1: number, b2: number, b3: number, b4: number, b5: number): string {
  return String.fromCharCode(
    HEX[b0 >>> 4]!, HEX[b0 & 15]!, 58, HEX[b1 >>> 4]!, HEX[b1 & 15]!, 58, HEX[b2 >>> 4]!, HEX[b2 & 15]!, 58,
    HEX[b3 >>> 4]!, HEX[b3 & 15]!, 58, HEX[b4 >>> 4]!, HEX[b4 & 15]!, 58, HEX[b5 >>> 4]!, HEX[b5 & 15]!,
  );
}

/**
 * A set of 48-bit MACs as numbers (`hi16 * 2^32 + lo32`): open addressing in typed arrays, so
 * that the ~450,000 MACs of a cluster at the limits cost no strings or boxed numbers to check.
 */
export class MacSet {
  private hi: Int32Array;
  private lo: Uint32Array;
  size = 0;

  /** `expected`: how many MACs it will hold, so that it need not grow on the way. */
  constructor(expected = 512) {
    let n = 1024;
    while (n < expected * 2) n *= 2;
    this.hi = new Int32Array(n).fill(-1);
    this.lo = new Uint32Array(n);
  }

  /** Adds the MAC; false if it was there already. */
  add(hi: number, lo: number): boolean {
    if ((this.size + 1) * 2 > this.hi.length) this.grow();
    const mask = this.hi.length - 1;
    for (let i = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) & mask; ; i = (i + 1) & mask) {
      const h = this.hi[i]!;
      if (h === -1) {
        this.hi[i] = hi;
        this.lo[i] = lo;
        this.size++;
        return true;
      }
      if (h === hi && this.lo[i] === lo >>> 0) return false;
    }
  }

  private grow(): void {
    const { hi, lo } = this;
    this.hi = new Int32Array(hi.length * 2).fill(-1);
    this.lo = new Uint32Array(hi.length * 2);
    this.size = 0;
    for (let i = 0; i < hi.length; i++) if (hi[i] !== -1) this.add(hi[i]!, lo[i]!);
  }
}

/** The MAC's two words (first two bytes, last four) of `aa:bb:cc:dd:ee:ff`. */
export function macNumber(mac: string): [number, number] {
  const b = mac.split(":").map((x) => parseInt(x, 16));
  return [(b[0]! << 8) | b[1]!, ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0];
}

/** The two running hashes of localMac (FNV-1a states, as int32). */
const HASHES = new Int32Array(2);

/** Continues both of HASHES over `text`, as fnv1aMore would each. */
function fnv1aTwo(text: string): void {
  let a = HASHES[0]!;
  let b = HASHES[1]!;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  HASHES[0] = a;
  HASHES[1] = b;
}

const A_PREFIX = fnv1aMore(FNV1A_OFFSET, "a/");
const B_PREFIX = fnv1aMore(FNV1A_OFFSET, "b/");
const NIC_PREFIX = fnv1aMore(FNV1A_OFFSET, "nic/");

export class NetworkTables {
  readonly ifaces: Iface[] = [];
  readonly netns: NetnsInfo[];

  constructor(
    private readonly routes: ReturnType<typeof compileRoutes>,
    nodeNames: string[],
    /** MACs already taken (pods' fixed ones), so generated ones never collide with them. */
    private readonly macs = new MacSet(),
  ) {
    const node = new Map(nodeNames.map((n, i) => [n, i]));
    const tables = routes.tables;
    this.netns = new Array<NetnsInfo>(tables.length);
    for (let id = 0; id < tables.length; id++) {
      const n = tables[id]!.netns;
      this.netns[id] = n.kind === "host"
        ? { id, kind: n.kind, node: node.get(n.node) ?? -1, label: "host", routes: [] }
        : { id, kind: n.kind, node: node.get(n.node) ?? -1, label: `${n.namespace}/${n.pod}`, pod: { namespace: n.namespace, name: n.pod }, routes: [] };
    }
  }

  /** Appends an interface; its `id` is set to its index (the caller's literal puts `id` first). */
  add(f: Iface): number {
    const id = this.ifaces.length;
    f.id = id;
    this.ifaces.push(f);
    return id;
  }

  /**
   * A locally administered unicast MAC derived from `key` (real ones are random per boot).
   * Two hashes with different prefixes give 46 random bits; a collision (possible among the
   * ~300,000 MACs of a cluster at the limits) is re-drawn, since a real one would be too.
   * The key may come in parts (`key1 + key2 + key3 + key4`), hashed without being joined.
   */
  localMac(key1: string, key2 = "", key3 = "", key4 = ""): string {
    // Both hashes in one pass over the key's parts.
    HASHES[0] = A_PREFIX;
    HASHES[1] = B_PREFIX;
    fnv1aTwo(key1);
    fnv1aTwo(key2);
    fnv1aTwo(key3);
    fnv1aTwo(key4);
    const ha = HASHES[0]!;
    const hb = HASHES[1]!;
    for (let n = 0; ; n++) {
      const tail = n === 0 ? "" : `#${n}`;
      const a = fnv1aMore(ha, tail) >>> 0;
      const b = fnv1aMore(hb, tail) >>> 0;
      const b0 = ((a >>> 24) & 0xfc) | 0x02;
      const b1 = (a >>> 16) & 255;
      if (this.macs.add((b0 << 8) | b1, (((a & 0xffff) << 16) | (b & 0xffff)) >>> 0)) return formatMac(b0, b1, (a >>> 8) & 255, a & 255, (b >>> 8) & 255, b & 255);
    }
  }

  /** A virtual NIC's MAC: the 52:54:00 prefix QEMU/KVM gives guests (24 bits: 5,000 nodes can collide, so re-drawn). */
  nicMac(key: string): string {
    const h = fnv1aMore(NIC_PREFIX, key);
    for (let n = 0; ; n++) {
      const a = fnv1aMore(h, n === 0 ? "" : `#${n}`) >>> 0;
      if (this.macs.add(0x5254, (a & 0xffffff) >>> 0)) return formatMac(0x52, 0x54, 0x00, (a >>> 16) & 255, (a >>> 8) & 255, a & 255);
    }
  }

  /**
   * The compiled network, every route pointed at its device in its own namespace (a blackhole
   * has none). The routes compileRoutes made for this network are its own: each gets its `oif`
   * in place rather than as a copy.
   */
  finish(nodes: NodeInfo[], podNetns: Map<string, number>): CompiledNetwork {
    // Each namespace's interfaces as a chain, the last added first: a name given twice in one
    // namespace finds the last, as a map from `netns/name` filled in order would.
    const tables = this.routes.tables;
    const head = new Int32Array(tables.length).fill(-1);
    const next = new Int32Array(this.ifaces.length);
    for (let i = 0; i < this.ifaces.length; i++) {
      const ns = this.ifaces[i]!.netns;
      next[i] = head[ns]!;
      head[ns] = i;
    }
    const ifaces = this.ifaces;
    for (let id = 0; id < tables.length; id++) {
      const t = tables[id]!;
      const device = (dev: string): number => {
        for (let i = head[id]!; i >= 0; i = next[i]!) if (ifaces[i]!.name === dev) return i;
        throw new K8sNetFlowError("internal", `route "${dev}" in ${labelOf(t.netns)} names no interface`);
      };
      const routes = t.routes as Array<Route & { oif: number }>;
      for (let k = 0; k < routes.length; k++) {
        const r = routes[k]!;
        r.oif = r.blackhole ? NO_DEVICE : device(r.dev);
      }
      this.netns[id]!.routes = routes;
      if (t.peers) this.netns[id]!.peers = { ...t.peers, oif: device(t.peers.shared.route.dev) };
    }
    const { peerRoutes } = this.routes;
    return { netns: this.netns, ifaces: this.ifaces, nodes, podNetns, ...(peerRoutes ? { peerRoutes } : {}) };
  }
}

/**
 * Each pod's namespace, as `routes.podTable` has it, without building each pod's key: with
 * every key once (the model allows no pod twice), compileRoutes gave the pods not on the host
 * network a table each, in order after the nodes'. The map decides whenever that does not hold.
 */
export function podNamespaces(model: ClusterModel, routes: ReturnType<typeof compileRoutes>): Int32Array {
  const pods = model.pods;
  const out = new Int32Array(pods.length);
  const unique = routes.podTable.size === pods.length;
  let next = model.nodes.length;
  for (let i = 0; i < pods.length; i++) {
    const pod = pods[i]!;
    const t = unique && !pod.hostNetwork ? routes.tables[next]?.netns : undefined;
    if (t && t.kind === "pod" && t.pod === pod.name && t.namespace === pod.namespace) out[i] = next++;
    else out[i] = routes.podTable.get(`${pod.namespace}/${pod.name}`)!;
  }
  return out;
}

function labelOf(n: Netns): string {
  return n.kind === "host" ? `${n.node} (host)` : `${n.namespace}/${n.pod}`;
}
