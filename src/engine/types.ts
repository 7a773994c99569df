// The engine's public data shapes. All plain, structured-cloneable data: they cross worker
// boundaries unchanged and serialise to JSON as they are.

import type { ErrorInfo } from "../errors.js";
import type { ModelProblem } from "../model/types.js";

/** Which flow to trace. `from` is a pod (`name` in `default`, or `namespace/name`); `to` is a pod or a pod-network IPv4 address. */
export interface FlowQuery {
  from: string;
  to: string;
}

export type HopAction = "route" | "bridge" | "deliver" | "drop";

/** One trace event: what one component of one network namespace did with the packet. */
export interface Hop {
  seq: number;
  node: string;
  /** `host`, or the pod's `namespace/name`. */
  netns: string;
  component: "pod" | "kernel" | "bridge";
  /** Interface the packet arrived on, when it arrived from somewhere. */
  inIface?: string;
  /** Interface the packet leaves by. */
  outIface?: string;
  action: HopAction;
  /** The packet's IP header after this hop. */
  packet: { src: string; dst: string; ttl: number };
  /** The table entry that decided, as the real tool prints it (e.g. an `ip route` line). */
  rule?: string;
  /** Where `rule` lives, as a command a user could run to see it. */
  ruleSource?: string;
  /** A sentence a learner can read. */
  text: string;
}

export interface Trace {
  flow: FlowQuery & { srcIP: string; dstIP: string };
  outcome: "delivered" | "dropped";
  hops: Hop[];
}

export interface ModelSummary {
  name: string;
  /** The nodes' own network (settings.nodeNetwork). */
  nodeNetwork: string;
  nodes: Array<{ name: string; internalIP: string; podCIDR: string }>;
  pods: Array<{ name: string; namespace: string; node: string; ip: string; labels: Record<string, string> }>;
  services: Array<{ name: string; namespace: string; type: string; clusterIP?: string; ports: string[] }>;
  counts: { namespaces: number; nodes: number; pods: number; services: number; endpointSlices: number; endpoints: number };
  /** Problems that did not stop the load (unknown fields, inferred settings, …). */
  warnings: ModelProblem[];
  /** Routing tables compiled into the dataplane, one per network namespace. */
  routeTables: number;
  /** Bytes of Wasm memory the tables occupy. */
  dataplaneBytes: number;
  /** The scenario's default flow, when loaded from a scenario. */
  defaultFlow?: FlowQuery;
}

/** What crosses a worker boundary: a result, or an error that keeps its code and path. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
