// The engine itself, host-agnostic: the same object runs inside a browser Worker, a Node
// worker thread, or the caller's thread. Hosts only move calls and results across.

import * as A from "../dataplane/abi.js";
import { ciliumPolicy, enforcementNote, enforcerOf, policyRules, semanticsOf } from "../policy/enforcement.js";
import { renderVerdict } from "../policy/explain.js";
import { endpointLabel, PolicyEvaluator, type ConnectionQuery, type PolicyVerdict } from "../policy/evaluate.js";
import { policyMatrix, type MatrixOptions, type PolicyMatrix } from "../policy/matrix.js";
import { K8sNetFlowError } from "../errors.js";
import { formatIPv4 } from "../net/ipv4.js";
import { compileKubeProxy } from "../compile/kube-proxy.js";
import { compileNetwork } from "../compile/network.js";
import { DEFAULT_CAPACITIES, encode } from "../dataplane/layout.js";
import { Dataplane } from "../dataplane/dataplane.js";
import { traceFlow, type LoadedCluster } from "../dataplane/forward.js";
import { unpackTrace, type PackedTrace } from "../dataplane/packed-trace.js";
import { clientView } from "./client-view.js";
import { show } from "./show.js";
import { aggregate, normalizePlan, simulateShard, type ShardResult, type SimulationHooks, type SimulationPlan, type SimulationResult } from "./simulate.js";
import { loadModel } from "../model/load.js";
import { SCENARIOS } from "../model/scenarios.js";
import type { ClusterModel, ModelInput } from "../model/types.js";
import type { FlowQuery, LoadOptions, ModelSummary, PolicyNote, ShowOutput, ShowRequest, Trace } from "./types.js";

export function countsOf(model: ClusterModel): ModelSummary["counts"] {
  return {
    namespaces: model.namespaces.length,
    nodes: model.nodes.length,
    pods: model.pods.length,
    services: model.services.length,
    endpointSlices: model.endpointSlices.length,
    endpoints: model.endpointSlices.reduce((n, s) => n + s.endpoints.length, 0),
  };
}

export class EngineCore {
  private cluster: LoadedCluster | undefined;

  /** Loaded for simulation shards only (see load). */
  private simulationOnly = false;

  private constructor(private readonly dataplane: Dataplane) {}

  private assertFull(): void {
    if (this.simulationOnly) throw new K8sNetFlowError("internal", "this engine holds the cluster for simulation only (a worker after the first): traces and command outputs come from the first");
  }

  static async create(wasm: BufferSource | WebAssembly.Module): Promise<EngineCore> {
    return new EngineCore(await Dataplane.create(wasm));
  }

  /**
   * Validates and compiles a cluster, replacing the loaded one. On error the previously
   * loaded cluster stays in place, so the engine remains usable.
   */
  /**
   * `simulationOnly`: this engine will only run simulation shards (the engine's workers after
   * the first): the compiled interfaces and routes, in Wasm now, are dropped from the JS heap
   * (~125 MB at 5,000 nodes), and traces and command outputs are refused.
   */
  load(input: ModelInput, options: LoadOptions = {}, simulationOnly = false): ModelSummary {
    const { model, warnings } = loadModel(input);
    const net = compileNetwork(model);
    const extendRules = policyRules(model, net);
    const rs = compileKubeProxy(model, extendRules);
    const policy = ciliumPolicy(model, net);
    const encoded = encode(net, rs, policy);
    this.cluster = undefined;
    this.dataplane.loadCluster(encoded, DEFAULT_CAPACITIES);
    this.cluster = { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name), ...(policy ? { policy } : {}) }, ...(extendRules ? { extendRules } : {}) };
    this.simulationOnly = simulationOnly;
    const routeTables = net.netns.length;
    if (simulationOnly) {
      for (const ns of net.netns) {
        ns.routes = [];
        delete ns.peers;
      }
      net.ifaces.length = 0;
    }
    if (model.networkPolicies.length && !enforcerOf(model)) {
      // flannel ignores them as a real cluster does; the other cases are the simulator's gap (enforcementNote).
      warnings.push({ severity: "warning", code: model.settings.cni.plugin === "flannel" ? "not-enforced" : "unsupported", path: "networkpolicies", message: `${model.networkPolicies.length} NetworkPolicy object(s) read and checked, but not enforced: ${enforcementNote(model)}` });
    }
    for (const s of model.services) {
      if (s.internalTrafficPolicy === "Local") {
        warnings.push({ severity: "warning", code: "unsupported", path: `services ${s.namespace}/${s.name}`, message: "internalTrafficPolicy: Local is not simulated yet: the service is forwarded as with Cluster" });
      }
    }
    const lists = options.lists !== false;
    const scenario = "scenario" in input && typeof input.scenario === "string" ? SCENARIOS[input.scenario] : undefined;
    return {
      name: model.name,
      nodeNetwork: model.settings.nodeNetwork,
      kubeProxyMode: model.settings.kubeProxy.mode,
      cni: { plugin: model.settings.cni.plugin, mode: model.settings.cni.mode },
      nodes: model.nodes.map((n) => ({ name: n.name, internalIP: n.internalIP, podCIDR: n.podCIDR })),
      pods: lists ? model.pods.map((p) => ({ name: p.name, namespace: p.namespace, node: p.node, ip: p.ip, labels: { ...p.labels } })) : [],
      services: lists ? model.services.map((s) => ({ name: s.name, namespace: s.namespace, type: s.type, ...(s.clusterIP !== undefined ? { clusterIP: s.clusterIP } : {}), ports: s.ports.map((p) => `${p.port}/${p.protocol}`) })) : [],
      lists,
      counts: countsOf(model),
      warnings,
      routeTables,
      dataplaneBytes: this.dataplane.bytesUsed,
      ...(scenario ? { defaultFlow: { ...scenario.flow } } : {}),
    };
  }

  /** The trace with its hops still packed: unpackTrace decodes them where they are shown. */
  trace(flow: FlowQuery): PackedTrace {
    if (!this.cluster) throw new K8sNetFlowError("no-model", "load a cluster before tracing a flow");
    this.assertFull();
    const packed = traceFlow(this.dataplane, this.cluster, flow);
    const policy = policyOfTrace(this.cluster, packed);
    if (policy) packed.head = { ...packed.head, policy };
    const client = clientView(unpackTrace(packed));
    if (client) packed.head = { ...packed.head, client };
    return packed;
  }

  /** This engine's shard of a simulation plan (all of it when `shards` is 1). */
  async simulate(plan: SimulationPlan, shard: number, shards: number, hooks: SimulationHooks): Promise<ShardResult> {
    if (!this.cluster) throw new K8sNetFlowError("no-model", "load a cluster before simulating");
    return simulateShard(this.dataplane, this.cluster, normalizePlan(plan), shard, shards, hooks);
  }

  aggregate(plan: SimulationPlan, shards: ShardResult[]): SimulationResult {
    if (!this.cluster) throw new K8sNetFlowError("no-model", "load a cluster before simulating");
    return aggregate(this.cluster, normalizePlan(plan), shards);
  }

  /** The loaded cluster's NetworkPolicy truth table (src/policy/matrix.ts). */
  policyMatrix(options: MatrixOptions = {}): PolicyMatrix & PolicyNote {
    if (!this.cluster) throw new K8sNetFlowError("no-model", "load a cluster before asking about its policies");
    const { model } = this.cluster;
    return { ...policyMatrix(model, model.networkPolicies, options, undefined, semanticsOf(model)), note: enforcementNote(model) };
  }

  /** One connection against the loaded cluster's NetworkPolicies, each side explained. */
  policyExplain(query: ConnectionQuery): PolicyVerdict & PolicyNote {
    if (!this.cluster) throw new K8sNetFlowError("no-model", "load a cluster before asking about its policies");
    const { model } = this.cluster;
    return { ...new PolicyEvaluator(model, model.networkPolicies, semanticsOf(model)).evaluate(query), note: enforcementNote(model) };
  }

  /** Test hook: a trap inside the Wasm module (an out-of-bounds load). */
  debugTrap(): void {
    this.dataplane.debugTrap();
  }

  /** What a real tool prints on the simulated cluster. */
  show(request: ShowRequest): ShowOutput {
    if (!this.cluster) throw new K8sNetFlowError("no-model", "load a cluster before asking for command output");
    this.assertFull();
    return show(this.dataplane, this.cluster, request);
  }
}

/**
 * What the cluster's NetworkPolicies say of a traced request that was delivered to a pod, or
 * stopped by a policy on its way to one: from its client pod to that pod (after any Service
 * DNAT), on the port it was for.
 */
function policyOfTrace(cluster: LoadedCluster, packed: PackedTrace): Trace["policy"] | undefined {
  const { model, net } = cluster;
  if (!model.networkPolicies.length) return undefined;
  const w = A.T_BYTES / 4;
  const r = packed.records;
  for (let i = 0; i * w < r.length; i++) {
    const at = (field: number) => r[i * w + field / 4]!;
    if (at(A.T_PHASE) !== A.PH_REQUEST) continue;
    const delivered = at(A.T_ACTION) === A.A_DELIVER;
    const denied = at(A.T_ACTION) === A.A_DROP && at(A.T_COMPONENT) === A.K_POLICY;
    if (!delivered && !denied) continue;
    const dest = delivered ? net.netns[at(A.T_NETNS)]?.pod : undefined;
    const proto = at(A.T_PACKET + A.P_PROTO);
    if ((delivered && !dest) || (proto !== A.PROTO_TCP && proto !== A.PROTO_UDP && proto !== A.PROTO_SCTP)) return undefined;
    const protocol = proto === A.PROTO_TCP ? "TCP" : proto === A.PROTO_UDP ? "UDP" : "SCTP";
    const port = at(A.T_PACKET + A.P_DPORT);
    const v = new PolicyEvaluator(model, model.networkPolicies, semanticsOf(model)).evaluate({
      from: { ip: packed.head.flow.srcIP }, // the client (before any masquerade)
      to: dest ? { pod: `${dest.namespace}/${dest.name}` } : { ip: formatIPv4(at(A.T_PACKET + A.P_DST)) },
      port,
      protocol,
    });
    return { allowed: v.allowed, explanation: renderVerdict(v), note: enforcementNote(model), from: endpointLabel(v.from), to: endpointLabel(v.to), protocol, port };
  }
  return undefined;
}
