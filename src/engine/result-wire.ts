// A simulation result on its way from the aggregating worker to the caller's thread: its two
// long lists (node pairs, up to ~100,000 at 5,000 nodes, and endpoints) travel as columns of
// typed arrays and string tables instead of objects. Structured clone of 100,000 small objects
// costs the receiving thread ~100 ms (a long task on a page); columns cost ~2 ms, and the objects
// are built again in ~15 ms.

import type { SimulationResult } from "./simulate.js";

export interface PackedResult extends SimulationResult {
  /** The lists, as columns (`nodePairs` and `endpoints` are empty until unpacked). */
  wire: {
    nodes: string[];
    /** [from, to] node indexes per pair. */
    pairs: Uint32Array;
    packets: Float64Array;
    servicePorts: string[];
    /** servicePorts index per endpoint row. */
    ports: Uint32Array;
    endpoints: string[];
    connections: Float64Array;
  };
}

export function packResult(r: SimulationResult): PackedResult {
  const nodes: string[] = [];
  const nodeIndex = new Map<string, number>();
  const node = (name: string) => {
    let i = nodeIndex.get(name);
    if (i === undefined) nodeIndex.set(name, (i = nodes.push(name) - 1));
    return i;
  };
  const pairs = new Uint32Array(r.nodePairs.length * 2);
  const packets = new Float64Array(r.nodePairs.length);
  r.nodePairs.forEach((p, i) => {
    pairs[i * 2] = node(p.from);
    pairs[i * 2 + 1] = node(p.to);
    packets[i] = p.packets;
  });
  const servicePorts: string[] = [];
  const portIndex = new Map<string, number>();
  const ports = new Uint32Array(r.endpoints.length);
  const connections = new Float64Array(r.endpoints.length);
  r.endpoints.forEach((e, i) => {
    let p = portIndex.get(e.servicePort);
    if (p === undefined) portIndex.set(e.servicePort, (p = servicePorts.push(e.servicePort) - 1));
    ports[i] = p;
    connections[i] = e.connections;
  });
  // The same keys in the same order: the lists stay where they were, empty for the trip.
  return { ...r, endpoints: [], nodePairs: [], wire: { nodes, pairs, packets, servicePorts, ports, endpoints: r.endpoints.map((e) => e.endpoint), connections } };
}

/** The buffers a packed result can transfer. */
export function packedBuffers(p: PackedResult): ArrayBuffer[] {
  const w = p.wire;
  return [w.pairs.buffer, w.packets.buffer, w.ports.buffer, w.connections.buffer] as ArrayBuffer[];
}

export function unpackResult(p: PackedResult): SimulationResult {
  const { wire: w, ...result } = p;
  result.endpoints = w.endpoints.map((endpoint, i) => ({ servicePort: w.servicePorts[w.ports[i]!]!, endpoint, connections: w.connections[i]! }));
  result.nodePairs = Array.from(w.packets, (packets, i) => ({ from: w.nodes[w.pairs[i * 2]!]!, to: w.nodes[w.pairs[i * 2 + 1]!]!, packets }));
  return result;
}
