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
  subtitle: string;
  pods: PodBox[];
  bridge: Box;
  vtep: Box;
  /** Where the node's eth0 meets the underlay. */
  uplink: { x: number; y: number };
}
export interface Layout {
  width: number;
  height: number;
  nodes: NodeBox[];
  underlay: Box;
  underlayLabel: string;
}
export interface Point { x: number; y: number }

const POD_W = 136;
const POD_H = 66;
const GAP = 12;
const PAD = 14;
const HEADER = 48;
const BAR = 26;
const PODS_PER_ROW = 2;
const NODES_PER_ROW = 3;
const NODE_GAP = 36;
const UNDERLAY_GAP = 34;
const UNDERLAY_H = 34;

export function layoutCluster(summary: Pick<ModelSummary, "nodes" | "pods" | "nodeNetwork">): Layout {
  const nodeW = PODS_PER_ROW * POD_W + (PODS_PER_ROW - 1) * GAP + 2 * PAD;
  const heights = summary.nodes.map((n) => nodeHeight(summary.pods.filter((p) => p.node === n.name).length));
  const rows = Math.ceil(summary.nodes.length / NODES_PER_ROW);
  const rowH = Array.from({ length: rows }, (_, r) => Math.max(...heights.slice(r * NODES_PER_ROW, (r + 1) * NODES_PER_ROW)));
  const perRow = Math.min(NODES_PER_ROW, summary.nodes.length);
  const width = perRow * nodeW + (perRow - 1) * NODE_GAP + 2 * GAP;
  const nodes = summary.nodes.map((n, i) => {
    const r = Math.floor(i / NODES_PER_ROW);
    const x = GAP + (i % NODES_PER_ROW) * (nodeW + NODE_GAP);
    const y = GAP + rowH.slice(0, r).reduce((a, b) => a + b + UNDERLAY_GAP, 0);
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
    const bridge = { x: x + PAD, y: y + h - PAD - BAR * 2 - GAP, w: nodeW - 2 * PAD, h: BAR };
    const vtep = { x: x + nodeW / 2 - 60, y: y + h - PAD - BAR, w: 120, h: BAR };
    return { name: n.name, subtitle: `${n.internalIP} · pods ${n.podCIDR}`, x, y, w: nodeW, h, pods, bridge, vtep, uplink: { x: x + nodeW / 2, y: y + h } };
  });
  const bottom = Math.max(...nodes.map((n) => n.y + n.h));
  const underlay = { x: GAP, y: bottom + UNDERLAY_GAP, w: width - 2 * GAP, h: UNDERLAY_H };
  const underlayLabel = `node network ${summary.nodeNetwork}${summary.nodes.length > 1 ? " · VXLAN over UDP 8472" : ""}`;
  return { width, height: underlay.y + underlay.h + GAP, nodes, underlay, underlayLabel };
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
  const under = { x: node.uplink.x, y: layout.underlay.y + layout.underlay.h - 8 };
  switch (hop.component) {
    case "pod":
    case "socket":
      return hop.netns === "host" ? [center(node)] : podEdge(hop.netns);
    case "veth":
      return hop.netns === "host" ? [center(node.bridge)] : podEdge(hop.netns);
    case "bridge":
    case "netfilter":
    case "conntrack":
      return [center(node.bridge)];
    case "vxlan":
      return hop.action === "decap" ? [under, center(node.vtep)] : [center(node.vtep), under];
    case "underlay":
      return [under];
    case "routing": {
      const points: Point[] = [];
      if (hop.inIface === "flannel.1") points.push(center(node.vtep));
      else if (hop.inIface === "cni0") points.push(center(node.bridge));
      if (hop.outIface === "flannel.1") points.push(center(node.vtep));
      else if (hop.outIface === "cni0" && hop.inIface !== "cni0") points.push(center(node.bridge));
      return points.length ? points : [center(node)];
    }
  }
}
