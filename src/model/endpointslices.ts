// The EndpointSlice controller, for Services with a selector: every pod of the namespace
// that matches and has an IP becomes an endpoint; named targetPorts are resolved per pod, so
// pods that resolve a name differently land in different slices; at most 100 endpoints a
// slice; conditions from readiness and termination.

import type { ClusterPod, ClusterService, Endpoint, EndpointSlice, Protocol } from "./types.js";
import { MAX_ENDPOINTS_PER_SLICE } from "./types.js";
import { selectorMatches } from "./names.js";
import { suffix } from "./random.js";

/** Pods by namespace and by one `key=value` label, so a selector scans only its rarest label's pods. */
export class PodIndex {
  private readonly byLabel = new Map<string, Map<string, number[]>>();
  private readonly byNamespace = new Map<string, number[]>();

  constructor(readonly pods: ClusterPod[]) {
    // A workload's pods share one labels object and come one after another: their
    // `key=value` strings are made once per run of the same object, not once per pod.
    let labels: Record<string, string> | undefined;
    let pairs: string[] = [];
    pods.forEach((p, i) => {
      push(this.byNamespace, p.namespace, i);
      let ns = this.byLabel.get(p.namespace);
      if (!ns) this.byLabel.set(p.namespace, (ns = new Map()));
      if (p.labels !== labels) {
        labels = p.labels;
        pairs = [];
        for (const key in labels) pairs.push(`${key}=${labels[key]}`);
      }
      for (const pair of pairs) push(ns, pair, i);
    });
  }

  /** The last select's arguments and answer: a Service's pods are asked for twice in a row. */
  private last?: { namespace: string; selector: Record<string, string>; pods: number[] };

  /** Indexes of the pods in `namespace` that `selector` matches, in pod order (not to be modified). */
  select(namespace: string, selector: Record<string, string>): number[] {
    const last = this.last;
    if (last && last.namespace === namespace && last.selector === selector) return last.pods;
    const pods = this.selectUncached(namespace, selector);
    this.last = { namespace, selector, pods };
    return pods;
  }

  private selectUncached(namespace: string, selector: Record<string, string>): number[] {
    const keys = Object.keys(selector);
    if (keys.length === 0) return this.byNamespace.get(namespace) ?? [];
    const ns = this.byLabel.get(namespace);
    if (!ns) return [];
    let best: number[] | undefined;
    for (const k of keys) {
      const list = ns.get(`${k}=${selector[k]}`);
      if (!list) return [];
      if (!best || list.length < best.length) best = list;
    }
    return best!.filter((i) => selectorMatches(selector, this.pods[i]!.labels));
  }
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The port a pod serves a service port on, or undefined when a named targetPort does not resolve. */
export function resolveTargetPort(pod: ClusterPod, targetPort: number | string, protocol: Protocol): number | undefined {
  if (typeof targetPort === "number") return targetPort;
  return pod.ports.find((p) => p.name === targetPort && p.protocol === protocol)?.containerPort;
}

export function deriveSlices(service: ClusterService, index: PodIndex): EndpointSlice[] {
  const selector = service.selector!;
  const groups = new Map<string, { ports: EndpointSlice["ports"]; endpoints: Endpoint[] }>();
  // The ports resolve from the pod's own ports alone, and a workload's pods share one array of
  // them: the group is found once per run of pods with the same array.
  let podPorts: ClusterPod["ports"] | undefined;
  let group: { ports: EndpointSlice["ports"]; endpoints: Endpoint[] } | undefined;
  for (const i of index.select(service.namespace, selector)) {
    const pod = index.pods[i]!;
    if (!group || pod.ports !== podPorts) {
      podPorts = pod.ports;
      const ports = service.ports.flatMap((sp) => {
        const port = resolveTargetPort(pod, sp.targetPort, sp.protocol);
        return port === undefined ? [] : [{ ...(sp.name !== undefined ? { name: sp.name } : {}), port, protocol: sp.protocol }];
      });
      const key = ports.map((p) => `${p.name ?? ""}:${p.port}/${p.protocol}`).join(",");
      group = groups.get(key);
      if (!group) groups.set(key, (group = { ports, endpoints: [] }));
    }
    const ready = service.publishNotReadyAddresses || (pod.ready && !pod.terminating);
    const conditions = { ready, serving: service.publishNotReadyAddresses || pod.ready, terminating: pod.terminating };
    const targetRef = { kind: "Pod" as const, namespace: pod.namespace, name: pod.name };
    // The controller publishes a hostname when the pod's subdomain is this service.
    group.endpoints.push(pod.hostname && pod.subdomain === service.name
      ? { addresses: [pod.ip], conditions, nodeName: pod.node, hostname: pod.hostname, targetRef }
      : { addresses: [pod.ip], conditions, nodeName: pod.node, targetRef });
  }
  const slices: EndpointSlice[] = [];
  const make = (ports: EndpointSlice["ports"], endpoints: Endpoint[]) => {
    // generateName `<service>-` plus 5 characters (the service name is cut to fit 63).
    const name = `${service.name.slice(0, 57)}-${suffix(`${service.namespace}/${service.name}/${slices.length}`)}`;
    slices.push({ name, namespace: service.namespace, service: service.name, addressType: "IPv4", ports, endpoints, managedBy: "endpointslice-controller.k8s.io" });
  };
  for (const { ports, endpoints } of groups.values()) {
    for (let i = 0; i < endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) make(ports, endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE));
  }
  // The controller keeps one empty placeholder slice for a selector that matches nothing.
  if (slices.length === 0) make([], []);
  return slices;
}
