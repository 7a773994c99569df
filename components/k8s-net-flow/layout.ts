// Places the cluster on an SVG canvas from the model alone (no hand coordinates): nodes in
// rows, each node's pods in a grid above its cni0 bridge, the underlay network below all.

import type { Hop, ModelSummary } from "../../src/engine/types.js";

export interface Box { x: number; y: number; w: number; h: number }
export interface PodBox extends Box {
  key: string;
  name: string;
  namespace: string;
  ip: string;
  labels: string;
  /** `name` and `labels` cut to fit the box (the full text goes in a tooltip). */
  nameText: string;
  labelText: string;
}
export interface NodeBox extends Box {
  name: string;
  /** The node's InternalIP (the outer address of tunnelled packets). */
  ip: string;
  subtitle: string;
  pods: PodBox[];
  bridge: Box;
  vtep: Box;
  /** kube-proxy, whose rules the node's netfilter hooks run. */
  proxy: Box;
  /** Where the node's eth0 meets the underlay band of its row. */
  uplink: { x: number; y: number };
  /** Row of nodes it sits in (each row has its own underlay band). */
  row: number;
}
export interface Layout {
  width: number;
  height: number;
  nodes: NodeBox[];
  /** The node network: one band below each row of nodes, joined by `bus` when there are several. */
  underlays: Box[];
  /** The vertical line at the left margin joining the bands (x, and the bands' centre ys). */
  bus?: { x: number; y1: number; y2: number };
  underlayLabel: string;
  /** The overlay device each node has (flannel.1, tunl0, vxlan.calico), or none (host-gw, BGP). */
  tunnel: string | undefined;
  /** What the pods' veths attach to: flannel's cni0 bridge (`iface`), or routed host veths named `prefix…` (Calico, Cilium). */
  attach: { label: string; iface?: string; prefix?: string };
}
export interface Point { x: number; y: number }

const POD_W = 136;
const POD_H = 66;
const GAP = 12;
const PAD = 14;
const HEADER = 48;
const BAR = 26;
const PODS_PER_ROW = 2;
/** Nodes side by side at full width; a narrow element stacks them (see `columnsFor`). */
const MAX_COLUMNS = 3;
const NODE_GAP = 36;
const UNDERLAY_GAP = 22;
const UNDERLAY_H = 30;
/** Space between one row's underlay band and the next row of nodes. */
const ROW_GAP = 26;
/** Node width in drawing units: two pods side by side. */
const NODE_W = PODS_PER_ROW * POD_W + (PODS_PER_ROW - 1) * GAP + 2 * PAD;

export function layoutCluster(summary: Pick<ModelSummary, "nodes" | "pods" | "nodeNetwork"> & Partial<Pick<ModelSummary, "cni">>, columns = MAX_COLUMNS): Layout {
  const cols = Math.max(1, Math.min(MAX_COLUMNS, Math.floor(columns)));
  const heights = summary.nodes.map((n) => nodeHeight(summary.pods.filter((p) => p.node === n.name).length));
  const rows = Math.ceil(summary.nodes.length / cols);
  const rowH = Array.from({ length: rows }, (_, r) => Math.max(...heights.slice(r * cols, (r + 1) * cols)));
  const perRow = Math.min(cols, summary.nodes.length);
  const width = perRow * NODE_W + (perRow - 1) * NODE_GAP + 2 * GAP;
  const nodes = summary.nodes.map((n, i) => {
    const r = Math.floor(i / cols);
    const x = GAP + (i % cols) * (NODE_W + NODE_GAP);
    const y = GAP + rowH.slice(0, r).reduce((a, b) => a + b + UNDERLAY_GAP + UNDERLAY_H + ROW_GAP, 0);
    const h = rowH[r]!;
    const pods = summary.pods
      .filter((p) => p.node === n.name)
      .map((p, j): PodBox => ({
        key: `${p.namespace}/${p.name}`,
        name: p.name,
        namespace: p.namespace,
        ip: p.ip,
        labels: Object.entries(p.labels).map(([k, v]) => `${k}: ${v}`).join(", "),
        nameText: fit(p.name, NAME_CHARS),
        labelText: fit(Object.entries(p.labels).filter(([k]) => !HIDDEN_LABELS.has(k)).map(([k, v]) => `${k}: ${v}`).join(", "), LABEL_CHARS),
        x: x + PAD + (j % PODS_PER_ROW) * (POD_W + GAP),
        y: y + HEADER + Math.floor(j / PODS_PER_ROW) * (POD_H + GAP),
        w: POD_W,
        h: POD_H,
      }));
    const bridge = { x: x + PAD, y: y + h - PAD - BAR * 2 - GAP, w: NODE_W - 2 * PAD, h: BAR };
    // Bottom row: kube-proxy on the left, the tunnel device on the right above the uplink.
    const proxy = { x: x + PAD, y: y + h - PAD - BAR, w: 140, h: BAR };
    const vtep = { x: x + NODE_W - PAD - 120, y: y + h - PAD - BAR, w: 120, h: BAR };
    return { name: n.name, ip: n.internalIP, subtitle: `${n.internalIP} · pods ${n.podCIDR}`, x, y, w: NODE_W, h, pods, bridge, vtep, proxy, uplink: { x: vtep.x + vtep.w / 2, y: y + h }, row: r };
  });
  const underlays = rowH.map((h, r) => {
    const top = GAP + rowH.slice(0, r).reduce((a, b) => a + b + UNDERLAY_GAP + UNDERLAY_H + ROW_GAP, 0);
    return { x: BUS_X - 4, y: top + h + UNDERLAY_GAP, w: width - BUS_X + 4 - GAP, h: UNDERLAY_H };
  });
  const last = underlays.at(-1)!;
  const bus = underlays.length > 1 ? { x: BUS_X, y1: underlays[0]!.y + UNDERLAY_H / 2, y2: last.y + UNDERLAY_H / 2 } : undefined;
  const cni = CNI_DRAWING[`${summary.cni?.plugin ?? "flannel"}/${summary.cni?.mode ?? "vxlan"}`] ?? CNI_DRAWING["flannel/vxlan"]!;
  const underlayLabel = `node network ${summary.nodeNetwork}${summary.nodes.length > 1 ? ` · ${cni.wire}` : ""}`;
  return { width, height: last.y + last.h + GAP, nodes, underlays, bus, underlayLabel, tunnel: cni.tunnel, attach: cni.attach };
}

/** How each CNI looks on a node: its overlay device, what pods attach to, what crosses the wire. */
const CALICO_ATTACH = { label: "cali* veths, routed (gateway 169.254.1.1)", prefix: "cali" };
const CILIUM_ATTACH = { label: "lxc* veths, eBPF (gateway cilium_host)", prefix: "lxc" };
const CNI_DRAWING: Record<string, { tunnel: string | undefined; attach: Layout["attach"]; wire: string }> = {
  "flannel/vxlan": { tunnel: "flannel.1", attach: { label: "cni0 bridge", iface: "cni0" }, wire: "VXLAN over UDP 8472" },
  "flannel/host-gw": { tunnel: undefined, attach: { label: "cni0 bridge", iface: "cni0" }, wire: "host-gw: routed, not encapsulated" },
  "calico/ipip": { tunnel: "tunl0", attach: CALICO_ATTACH, wire: "IP-in-IP (IP protocol 4)" },
  "calico/vxlan": { tunnel: "vxlan.calico", attach: CALICO_ATTACH, wire: "VXLAN over UDP 4789" },
  "calico/bgp": { tunnel: undefined, attach: CALICO_ATTACH, wire: "BGP routes, not encapsulated" },
  "cilium/vxlan": { tunnel: "cilium_vxlan", attach: CILIUM_ATTACH, wire: "VXLAN over UDP 8472" },
  "cilium/native": { tunnel: undefined, attach: CILIUM_ATTACH, wire: "native routing, not encapsulated" },
};

/** The bus joining the underlay bands runs in the left margin, left of every node. */
const BUS_X = 6;

/**
 * How many nodes to put side by side in an element `width` CSS pixels wide: as many as fit
 * with the text drawn at no less than ~85% of its size, so a phone gets one column.
 */
export function columnsFor(width: number): number {
  for (let n = MAX_COLUMNS; n > 1; n--) {
    const drawing = n * NODE_W + (n - 1) * NODE_GAP + 2 * GAP;
    if (width >= drawing * 0.85) return n;
  }
  return 1;
}

function nodeHeight(pods: number): number {
  const rows = Math.max(1, Math.ceil(pods / PODS_PER_ROW));
  return HEADER + rows * (POD_H + GAP) + BAR * 2 + GAP + PAD;
}

/** Characters that fit a pod box at the title and label font sizes. */
const NAME_CHARS = 15;
const LABEL_CHARS = 22;
/** Labels controllers add; true, but noise on a diagram. */
const HIDDEN_LABELS = new Set(["pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index"]);

export function fit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const center = (b: Box): Point => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });

/** Points a hop touches on the drawing, in the order the packet passes them. */
export function hopPoints(layout: Layout, hop: Hop): Point[] {
  const node = layout.nodes.find((n) => n.name === hop.node);
  if (!node) return [];
  const podEdge = (key: string) => {
    const pod = node.pods.find((p) => p.key === key);
    // The pod's veth leaves from the bottom edge of its box, towards the bridge.
    return pod ? [{ x: pod.x + pod.w / 2, y: pod.y + pod.h }] : [];
  };
  const under = (n: NodeBox) => ({ x: n.uplink.x, y: layout.underlays[n.row]!.y + UNDERLAY_H / 2 });
  switch (hop.component) {
    case "pod":
    case "socket":
      return hop.netns === "host" ? [center(node)] : podEdge(hop.netns);
    case "veth":
      return hop.netns === "host" ? [center(node.bridge)] : podEdge(hop.netns);
    case "bridge":
      return [center(node.bridge)];
    case "policy": {
      // Calico and Cilium enforce at the pod's own interface on the host: drawn at its veth.
      const at = hop.policy ? podEdge(hop.policy.pod) : [];
      return at.length ? at : [center(node.proxy)];
    }
    case "netfilter":
    case "conntrack":
      // kube-proxy's rules (netfilter) and conntrack act in the node's kernel, drawn at kube-proxy.
      return [center(node.proxy)];
    case "vxlan":
      return hop.action === "decap" ? [under(node), center(node.vtep)] : [center(node.vtep), under(node)];
    case "underlay": {
      // Along the node network to the outer destination; between rows, by the bus at the left.
      // The tunnel's far end; without a tunnel (host-gw), the node of the pod it is addressed to.
      const peer = hop.packet.outer
        ? layout.nodes.find((n) => n.ip === hop.packet.outer!.dst)
        : layout.nodes.find((n) => n.pods.some((p) => p.ip === hop.packet.dst));
      if (!peer) return [under(node)];
      const bus = peer.row === node.row ? [] : [{ x: BUS_X, y: under(node).y }, { x: BUS_X, y: under(peer).y }];
      return [under(node), ...bus, under(peer)];
    }
    case "routing": {
      const points: Point[] = [];
      // The tunnel device, or where pods attach (cni0, or a routed cali* veth).
      const attached = (iface: string | undefined) => iface !== undefined && (iface === layout.attach.iface || (layout.attach.prefix !== undefined && iface.startsWith(layout.attach.prefix)));
      if (hop.inIface !== undefined && hop.inIface === layout.tunnel) points.push(center(node.vtep));
      else if (attached(hop.inIface)) points.push(center(node.bridge));
      if (hop.outIface !== undefined && hop.outIface === layout.tunnel) points.push(center(node.vtep));
      else if (attached(hop.outIface) && !attached(hop.inIface)) points.push(center(node.bridge));
      return points.length ? points : [center(node)];
    }
  }
}
