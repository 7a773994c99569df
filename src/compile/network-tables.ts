// What every CNI's network compiler shares: the interface table being filled, one network
// namespace per routing table, the MACs handed out so far (locally administered, re-drawn on
// a collision), and the last step that points each route at its interface.

import { K8sNetFlowError } from "../errors.js";
import { fnv1a32 } from "../model/random.js";
import type { CompiledNetwork, Iface, NetnsInfo, NodeInfo } from "./network.js";
import type { compileRoutes, Netns } from "./routes.js";

export const NIC_MTU = 1500;
export const SEGMENT_UNDERLAY = 0;
export const SEGMENT_OVERLAY = 1;
/** The `oif` of a route with no device (blackhole), as the dataplane's NONE. */
export const NO_DEVICE = 0xffffffff;

export class NetworkTables {
  readonly ifaces: Iface[] = [];
  readonly netns: NetnsInfo[];

  constructor(
    private readonly routes: ReturnType<typeof compileRoutes>,
    nodeNames: string[],
    /** MACs already taken (pods' fixed ones), so generated ones never collide with them. */
    private readonly macs = new Set<string>(),
  ) {
    const node = new Map(nodeNames.map((n, i) => [n, i]));
    this.netns = routes.tables.map((t, id) => ({
      id,
      kind: t.netns.kind,
      node: node.get(t.netns.node) ?? -1,
      label: t.netns.kind === "host" ? "host" : `${t.netns.namespace}/${t.netns.pod}`,
      ...(t.netns.kind === "pod" ? { pod: { namespace: t.netns.namespace, name: t.netns.pod } } : {}),
      routes: [],
    }));
  }

  add(f: Omit<Iface, "id">): number {
    this.ifaces.push({ id: this.ifaces.length, ...f });
    return this.ifaces.length - 1;
  }

  /**
   * A locally administered unicast MAC derived from `key` (real ones are random per boot).
   * Two hashes with different prefixes give 46 random bits; a collision (possible among the
   * ~300,000 MACs of a cluster at the limits) is re-drawn, since a real one would be too.
   */
  localMac(key: string): string {
    for (let n = 0; ; n++) {
      const k = n === 0 ? key : `${key}#${n}`;
      const a = fnv1a32(`a/${k}`);
      const b = fnv1a32(`b/${k}`);
      const mac = [((a >>> 24) & 0xfc) | 0x02, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, (b >>> 8) & 255, b & 255].map((x) => x.toString(16).padStart(2, "0")).join(":");
      if (this.take(mac)) return mac;
    }
  }

  /** A virtual NIC's MAC: the 52:54:00 prefix QEMU/KVM gives guests (24 bits: 5,000 nodes can collide, so re-drawn). */
  nicMac(key: string): string {
    for (let n = 0; ; n++) {
      const a = fnv1a32(n === 0 ? `nic/${key}` : `nic/${key}#${n}`);
      const mac = ["52", "54", "00", ((a >>> 16) & 255).toString(16), ((a >>> 8) & 255).toString(16), (a & 255).toString(16)].map((x) => x.padStart(2, "0")).join(":");
      if (this.take(mac)) return mac;
    }
  }

  private take(mac: string): boolean {
    if (this.macs.has(mac)) return false;
    this.macs.add(mac);
    return true;
  }

  /** The compiled network, every route pointed at its device in its own namespace (a blackhole has none). */
  finish(nodes: NodeInfo[], podNetns: Map<string, number>): CompiledNetwork {
    const byNetnsName = new Map(this.ifaces.map((f) => [`${f.netns}/${f.name}`, f.id]));
    this.routes.tables.forEach((t, id) => {
      const device = (dev: string): number => {
        const oif = byNetnsName.get(`${id}/${dev}`);
        if (oif === undefined) throw new K8sNetFlowError("internal", `route "${dev}" in ${labelOf(t.netns)} names no interface`);
        return oif;
      };
      this.netns[id]!.routes = t.routes.map((r) => ({ ...r, oif: r.blackhole ? NO_DEVICE : device(r.dev) }));
      if (t.peers) this.netns[id]!.peers = { ...t.peers, oif: device(t.peers.shared.route.dev) };
    });
    const { peerRoutes } = this.routes;
    return { netns: this.netns, ifaces: this.ifaces, nodes, podNetns, ...(peerRoutes ? { peerRoutes } : {}) };
  }
}

function labelOf(n: Netns): string {
  return n.kind === "host" ? `${n.node} (host)` : `${n.namespace}/${n.pod}`;
}
