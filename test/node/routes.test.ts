// The compiled tables must print exactly what the kernel prints. The expected text was
// captured on this machine's kernel (Linux 6.x, iproute2 6.1) from network namespaces set
// up the way flannel (VXLAN) and the bridge CNI plugin set up a node and a pod:
//   node: eth0 192.168.1.10/24, cni0 10.244.0.1/24, flannel.1 10.244.0.0/32,
//         `ip route add 10.244.X.0/24 via 10.244.X.0 dev flannel.1 onlink` per peer,
//         `ip route add default via 192.168.1.1 dev eth0`
//   pod:  eth0 10.244.0.5/24, `default via 10.244.0.1`, `10.244.0.0/16 via 10.244.0.1`
import { describe, expect, it } from "vitest";
import { compileRoutes } from "../../src/compile/routes.js";
import { loadModel } from "../../src/model/load.js";
import { ipRouteShow } from "../../src/outputs/ip-route.js";

const { model } = loadModel({
  nodes: [
    { name: "worker-node-1", ip: "192.168.1.10" },
    { name: "worker-node-2", ip: "192.168.1.11" },
    { name: "worker-node-3", ip: "192.168.1.12" },
  ],
  pods: [{ name: "pod-a", node: "worker-node-1", ip: "10.244.0.5" }],
  settings: { coreDNSReplicas: 0 },
});
const compiled = compileRoutes(model);

describe("compiled routing tables", () => {
  it("a flannel VXLAN node's `ip route show` matches the kernel's", () => {
    const table = compiled.tables[compiled.hostTable.get("worker-node-1")!]!;
    expect(ipRouteShow(table)).toBe(
      [
        "default via 192.168.1.1 dev eth0 ",
        "10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1 ",
        "10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink ",
        "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink ",
        "192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.10 ",
        "",
      ].join("\n"),
    );
  });

  it("a pod's `ip route` matches the kernel's (longer prefix first for the same address)", () => {
    const table = compiled.tables[compiled.podTable.get("default/pod-a")!]!;
    expect(ipRouteShow(table)).toBe(
      ["default via 10.244.0.1 dev eth0 ", "10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.5 ", "10.244.0.0/16 via 10.244.0.1 dev eth0 ", ""].join("\n"),
    );
  });

  it("gives every namespace its own table", () => {
    expect(compiled.tables).toHaveLength(3 + 1);
    expect(compiled.tables.map((t) => t.netns.kind)).toEqual(["host", "host", "host", "pod"]);
  });
});
