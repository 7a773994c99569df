// The Wasm dataplane and the TypeScript reference on the same compiled cluster, and one
// exchange run on both: the fault tests require the two to agree hop for hop.
import { expect } from "vitest";
import { compileKubeProxy } from "../../../src/compile/kube-proxy.js";
import { compileNetwork } from "../../../src/compile/network.js";
import { Dataplane } from "../../../src/dataplane/dataplane.js";
import { ephemeralPort, isNamed, packetFor, resolveFlow, type LoadedCluster } from "../../../src/dataplane/forward.js";
import { DEFAULT_CAPACITIES, encode } from "../../../src/dataplane/layout.js";
import type { ClusterModel } from "../../../src/model/types.js";
import { ReferenceDataplane } from "../../../src/reference/dataplane.js";

export interface BothDataplanes {
  dp: Dataplane;
  ref: ReferenceDataplane;
  cluster: LoadedCluster;
}

export async function bothDataplanes(wasm: Parameters<typeof Dataplane.create>[0], model: ClusterModel): Promise<BothDataplanes> {
  const net = compileNetwork(model);
  const rs = compileKubeProxy(model);
  const dp = await Dataplane.create(wasm);
  dp.loadCluster(encode(net, rs), DEFAULT_CAPACITIES);
  const ref = new ReferenceDataplane(net, rs, DEFAULT_CAPACITIES.conntrack);
  return { dp, ref, cluster: { model, net, rs, ctx: { net, rs, nodeNames: model.nodes.map((n) => n.name) } } };
}

/** `from` → `to` (no DNS name) with fresh state and `seed` on both; asserts they agree and returns the Wasm's exchange. */
export function exchangeBoth({ dp, ref, cluster }: BothDataplanes, from: string, to: string, seed = 1): ReturnType<Dataplane["exchange"]> {
  const r = resolveFlow(cluster, { from, to });
  if (isNamed(r)) throw new Error(`no DNS here: ${to}`);
  dp.resetState();
  ref.resetState();
  dp.setSeed(seed);
  ref.setSeed(seed);
  const packet = packetFor(r, ephemeralPort(seed));
  const w = dp.exchange(packet, r.netns, true, true);
  const x = ref.exchange(packet, r.netns, true, true);
  expect({ v: w.verdict, r: w.replyVerdict, n: w.hopCount }, `${from} → ${to}`).toEqual({ v: x.verdict, r: x.replyVerdict, n: x.hopCount });
  expect(Array.from(w.hops), `${from} → ${to}`).toEqual(Array.from(x.hops));
  return w;
}
