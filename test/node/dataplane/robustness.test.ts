// Hostile or broken tables are refused at load with an error, never a trap; the dataplane
// stays usable; a full conntrack table drops new connections and counts them.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { compileIptables } from "../../../src/compile/iptables.js";
import { compileNetwork } from "../../../src/compile/network.js";
import { Dataplane } from "../../../src/dataplane/dataplane.js";
import { DEFAULT_CAPACITIES, encode, type Encoded } from "../../../src/dataplane/layout.js";
import * as A from "../../../src/dataplane/abi.js";
import { tcpSyn } from "../../../src/dataplane/packet.js";
import { K8sNetFlowError } from "../../../src/errors.js";
import { loadModel } from "../../../src/model/load.js";
import { parseIPv4 } from "../../../src/net/ipv4.js";

let dp: Dataplane;
let good: Encoded;
let podA: number;
beforeAll(async () => {
  dp = await Dataplane.create(readFileSync(new URL("../../../build/dataplane.wasm", import.meta.url)));
  const { model } = loadModel({ scenario: "pod-to-service" });
  const net = compileNetwork(model);
  good = encode(net, compileIptables(model));
  podA = net.podNetns.get("default/client")!;
});

const copy = (e: Encoded): Encoded => ({ ...e, ifaces: e.ifaces.slice(), netns: e.netns.slice(), routes: e.routes.slice(), peerRoutes: e.peerRoutes.slice(), nodes: e.nodes.slice(), rules: e.rules.slice(), chains: e.chains.slice(), hooks: e.hooks.slice() });

function delivered(): number {
  dp.resetState();
  return dp.exchange(tcpSyn(parseIPv4("10.244.0.10", "ip"), parseIPv4("10.96.0.20", "ip"), 40000, 80), podA, true, false).verdict;
}

describe("dataplane robustness", () => {
  it.each([
    ["a veth peer out of range", (e: Encoded) => { e.ifaces[A.IF_PEER / 4] = 99999; }, /missing interface/],
    ["a route by another namespace's interface", (e: Encoded) => { e.routes[A.RT_OIF / 4] = e.ifaces.length / (A.IF_BYTES / 4) - 1; }, /another namespace/],
    ["a jump to a missing chain", (e: Encoded) => { const i = Array.from({ length: e.rules.length / 15 }, (_, k) => k).find((k) => e.rules[k * 15 + A.R_TARGET / 4] === A.T_JUMP)!; e.rules[i * 15 + A.R_ARG1 / 4] = 1e6; }, /missing chain/],
    ["a chain running past the rules", (e: Encoded) => { e.chains[1] = 1e6; }, /past the rule table/],
    ["a hook naming a missing chain", (e: Encoded) => { e.hooks[0] = 5e5; }, /missing chain/],
    ["a namespace on a missing node", (e: Encoded) => { e.netns[A.NS_NODE / 4] = 77; }, /missing node/],
    ["a shared peer route of a missing node", (e: Encoded) => { e.peerRoutes[A.PR_NODE / 4] = 77; }, /missing node/],
    ["a node's peer routes by another namespace's interface", (e: Encoded) => { e.netns[A.NS_PEER_OIF / 4] = e.ifaces.length / (A.IF_BYTES / 4) - 1; }, /another namespace/],
  ])("refuses %s with a clear error and stays usable", (_what, corrupt, message) => {
    const bad = copy(good);
    corrupt(bad);
    expect(() => dp.loadCluster(bad, DEFAULT_CAPACITIES)).toThrow(message);
    dp.loadCluster(good, DEFAULT_CAPACITIES);
    expect(delivered()).toBe(A.V_DELIVERED);
  });

  it("random corruption of any table word never traps", () => {
    const fields: Array<keyof Encoded> = ["ifaces", "netns", "nodes", "rules", "chains", "hooks", "routes", "peerRoutes"];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(), fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 12345678, 3), (field, index, value) => {
        const bad = copy(good);
        const words = bad[field] as Uint32Array;
        words[index % words.length] = value;
        try {
          dp.loadCluster(bad, DEFAULT_CAPACITIES);
          delivered(); // a corruption that passes the checks must still forward without trapping
        } catch (err) {
          expect(err).toBeInstanceOf(K8sNetFlowError);
        }
        dp.loadCluster(good, DEFAULT_CAPACITIES);
        expect(delivered()).toBe(A.V_DELIVERED);
      }),
      { numRuns: 400, seed: 5 },
    );
  });

  it("a full conntrack table drops new connections and counts them", () => {
    dp.loadCluster(good, { ...DEFAULT_CAPACITIES, conntrack: 2 });
    dp.resetState();
    const verdicts = [40001, 40002, 40003, 40004].map((sport) => dp.exchange(tcpSyn(parseIPv4("10.244.0.10", "ip"), parseIPv4("10.96.0.20", "ip"), sport, 80), podA, false, false).verdict);
    expect(verdicts).toEqual([A.V_DELIVERED, A.V_DELIVERED, A.V_DROPPED, A.V_DROPPED]);
    expect(dp.counters().ctFull).toBe(2);
    expect(dp.dropCount(A.X_CT_FULL)).toBe(2);
    dp.loadCluster(good, DEFAULT_CAPACITIES);
  });
});
