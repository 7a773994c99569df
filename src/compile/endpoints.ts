// The endpoints kube-proxy (or Cilium's agent) programs for one Service port, from the
// cluster's EndpointSlices. Slices are indexed by Service once per model: at 10,000 Services,
// scanning every slice for every port would be 10^8 comparisons.

import type { ClusterModel, ClusterService, EndpointSlice, Protocol } from "../model/types.js";

export interface EndpointInfo {
  ip: string;
  port: number;
}

const slicesIndex = new WeakMap<EndpointSlice[], Map<string, EndpointSlice[]>>();

/** The slices of one Service (`kubernetes.io/service-name`), in the model's order. */
export function slicesOf(model: ClusterModel, svc: ClusterService): EndpointSlice[] {
  let index = slicesIndex.get(model.endpointSlices);
  if (!index) {
    index = new Map();
    for (const s of model.endpointSlices) {
      const key = `${s.namespace}/${s.service}`;
      const list = index.get(key);
      if (list) list.push(s);
      else index.set(key, [s]);
    }
    slicesIndex.set(model.endpointSlices, index);
  }
  return index.get(`${svc.namespace}/${svc.name}`) ?? [];
}

/** The endpoints kube-proxy uses for one service port: ready ones, else serving-terminating ones. */
export function endpointsFor(svc: ClusterService, portName: string | undefined, protocol: Protocol, model: ClusterModel): EndpointInfo[] {
  const ready: EndpointInfo[] = [];
  const terminating: EndpointInfo[] = [];
  const seen = new Set<string>();
  for (const s of slicesOf(model, svc)) {
    const port = s.ports.find((p) => (p.name ?? "") === (portName ?? "") && p.protocol === protocol);
    if (!port) continue;
    for (const e of s.endpoints) {
      for (const ip of e.addresses) {
        const key = `${ip}:${port.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (e.conditions.ready) ready.push({ ip, port: port.port });
        else if (e.conditions.serving && e.conditions.terminating) terminating.push({ ip, port: port.port });
      }
    }
  }
  const list = ready.length ? ready : terminating;
  // kube-proxy orders a service's endpoints by their "ip:port" string.
  return list.sort((a, b) => (`${a.ip}:${a.port}` < `${b.ip}:${b.port}` ? -1 : `${a.ip}:${a.port}` > `${b.ip}:${b.port}` ? 1 : 0));
}
