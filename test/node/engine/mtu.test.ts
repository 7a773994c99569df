// The classic MTU misconfiguration, as a user sets it up: pods given MTU 1500 (settings.cni.mtu,
// --pod-mtu) over flannel's VXLAN (flannel.1 has 1450). Small packets pass; a full-size DF
// packet meets ICMP "fragmentation needed" at the tunnel; with the right MTU the sender's own
// interface refuses it (the kernel sends nothing: EMSGSIZE); host-gw has no tunnel to shrink.
import { describe, expect, it } from "vitest";
import type { Trace } from "../../../src/index.js";
import { engineFactory, rejection } from "./helpers.js";

const engine = engineFactory();

async function trace(settings: object, size: number, to = "pod-b:53"): Promise<Trace> {
  const e = await engine({ host: "inline" });
  await e.load({ scenario: "cross-node", settings } as never);
  return e.trace({ from: "pod-a", to, protocol: "UDP", size });
}

describe("pod MTU and packet size", () => {
  it("pod MTU 1500 over VXLAN: 1450 bytes pass, 1500 get fragmentation needed (next-hop MTU 1450) at flannel.1", async () => {
    const misconfigured = { cni: { plugin: "flannel", mode: "vxlan", mtu: 1500 } };
    expect((await trace(misconfigured, 1450)).verdict).toBe("delivered");
    const t = await trace(misconfigured, 1500);
    expect(t.verdict).toBe("dropped");
    const drop = t.hops.find((h) => h.action === "drop")!;
    expect(drop).toMatchObject({ node: "worker-node-1", netns: "host", outIface: "flannel.1", reason: expect.stringContaining("Frag needed") });
    const error = t.hops.filter((h) => h.phase === "error");
    expect(error.at(-1)).toMatchObject({ netns: "default/pod-a", action: "deliver", packet: { src: "10.244.0.1", dst: "10.244.0.5", protocol: "icmp", icmp: { type: 3, code: 4, mtu: 1450 } } });
  });

  it("with flannel's own MTU (1450) the pod cannot send 1500 bytes at all, and 1450 pass", async () => {
    const t = await trace({}, 1500);
    expect(t.verdict).toBe("dropped");
    expect(t.hops).toHaveLength(2); // the route lookup, then the pod's own eth0 refuses it
    expect(t.hops[1]).toMatchObject({ netns: "default/pod-a", action: "drop" });
    expect((await trace({}, 1450)).verdict).toBe("delivered");
  });

  it("host-gw adds nothing: 1500 bytes pass between nodes", async () => {
    expect((await trace({ cni: { plugin: "flannel", mode: "host-gw" } }, 1500)).verdict).toBe("delivered");
  });

  it("the files say what was configured: the conflist carries the mtu, subnet.env keeps flannel's", async () => {
    const e = await engine({ host: "inline" });
    await e.load({ scenario: "cross-node", settings: { cni: { mtu: 1500 } } } as never);
    expect(JSON.parse((await e.show({ command: "cat /etc/cni/net.d/10-flannel.conflist" })).stdout).plugins[0].delegate).toEqual({ hairpinMode: true, isDefaultGateway: true, mtu: 1500 });
    expect((await e.show({ command: "cat /run/flannel/subnet.env" })).stdout).toContain("FLANNEL_MTU=1450\n");
    expect((await e.show({ command: "ip link", pod: "pod-a" })).stdout).toMatch(/eth0@if\d+: .* mtu 1500 /);
    expect((await e.show({ command: "ip -d link show flannel.1", node: "worker-node-1" })).stdout).toMatch(/ mtu 1450 /);
  });

  it("refuses sizes and MTUs out of range, naming the field", async () => {
    const e = await engine({ host: "inline" });
    await e.load({ scenario: "cross-node" });
    expect(await rejection(e.trace({ from: "pod-a", to: "pod-b", size: 59 }))).toMatchObject({ code: "invalid-input", path: "size" });
    expect(await rejection(e.trace({ from: "pod-a", to: "pod-b:53", protocol: "UDP", size: 70000 }))).toMatchObject({ code: "invalid-input", path: "size" });
    expect(await rejection(e.load({ scenario: "cross-node", settings: { cni: { mtu: 100 } } } as never))).toMatchObject({ code: "invalid-input", message: expect.stringContaining("settings.cni.mtu") });
  });
});
