// Faults combined at random, valid and not: a load either succeeds or fails with an
// invalid-input / not-found / unsupported error naming the faults; a loaded cluster traces
// without an internal error; and the engine is left as it was — the healthy cluster loaded
// after any of it traces exactly as before.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type Trace } from "../../../src/index.js";
import { K8sNetFlowError } from "../../../src/errors.js";

// The pod-to-service scenario: client and backend-1…3 on worker-node-1, backend-svc, two CoreDNS pods.
const FAULTS = [
  "pod-not-ready=backend-1",
  "pod-not-ready=default/backend-2",
  "selector-mismatch=backend-svc",
  "coredns-down",
  "mtu-mismatch",
  "missing-route=worker-node-1>worker-node-2",
  "flanneld-stopped=worker-node-2",
  "kube-proxy-stale=backend-3",
  "stale-udp-conntrack=kube-system/coredns-8b9748dd6-wxqkp",
  "default-deny=default",
  "default-deny=default/all",
  "br-netfilter-off",
  // Invalid ones: unknown kind, missing or extra argument, missing objects, bad forms.
  "nope",
  "pod-not-ready",
  "coredns-down=now",
  "pod-not-ready=ghost",
  "missing-route=worker-node-1",
  "missing-route=worker-node-1>worker-node-1",
  "default-deny=nowhere",
  "default-deny=default/sideways",
  "",
];

const TARGETS = ["backend-svc:80", "backend-2:8080", "backend-svc.default.svc.cluster.local:80", "10.96.0.10:53"];
const CNIS = [{ plugin: "flannel", mode: "vxlan" }, { plugin: "calico", mode: "ipip" }, { plugin: "cilium", mode: "vxlan" }];
const udp = (to: string) => (to.endsWith(":53") ? { protocol: "UDP" as const } : {});

const flowOf = (t: Trace) => JSON.stringify({ verdict: t.verdict, reply: t.replyVerdict, hops: t.hops.map((h) => [h.node, h.netns, h.component, h.action, h.packet.src, h.packet.dst, h.reason ?? ""]) });

let engine: Engine;
const healthy = new Map<string, string>();
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
  for (const cni of CNIS) {
    await engine.load({ scenario: "pod-to-service", settings: { cni } });
    for (const to of TARGETS) healthy.set(`${cni.plugin} ${to}`, flowOf(await engine.trace({ from: "client", to, ...udp(to) })));
  }
});
afterAll(() => engine.dispose());

describe("faults in any combination", () => {
  it("load or fail clearly, trace without internal errors, and leave the healthy cluster as it was", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...FAULTS), { maxLength: 3 }), fc.constantFrom(...TARGETS), fc.constantFrom(...CNIS), async (faults, to, cni) => {
        let loaded = false;
        try {
          await engine.load({ scenario: "pod-to-service", settings: { cni, faults } });
          loaded = true;
        } catch (e) {
          expect(e).toBeInstanceOf(K8sNetFlowError);
          const err = e as K8sNetFlowError;
          expect(["invalid-input", "not-found", "unsupported"]).toContain(err.code);
          expect(`${err.path ?? ""} ${err.message}`).toMatch(/fault/);
        }
        if (loaded) {
          const t = await engine.trace({ from: "client", to, ...udp(to) });
          expect(["delivered", "dropped", "rejected", "unresolved"]).toContain(t.verdict);
          expect(t.client?.command).toBeTruthy();
        }
        // Back to the healthy cluster: the same trace as before, hop for hop.
        await engine.load({ scenario: "pod-to-service", settings: { cni } });
        const again = await engine.trace({ from: "client", to, ...udp(to) });
        expect(flowOf(again)).toBe(healthy.get(`${cni.plugin} ${to}`));
      }),
      { numRuns: 150, seed: 5 },
    );
  });
});
