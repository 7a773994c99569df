// Golden outputs. Formats were checked against the real tools on this machine (iproute2 6.1,
// Linux 6.x, iptables 1.8.9, conntrack-tools 1.4.7 formats; kubectl 1.34's tabwriter and
// columns) by building a flannel-style node in network namespaces and comparing line
// shapes; values that vary on a real node (MACs, uuids, timers) are ours, derived
// deterministically. Sources for file contents: kube-flannel.yml's cni-conf.json, flanneld's
// subnet.env, kubeadm's Corefile, kube-proxy's server_linux.go log line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/index.js";

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ host: "inline" });
  await engine.load({ scenario: "cross-node" });
});
afterAll(() => engine.dispose());
const sh = async (command: string, where: { node?: string; pod?: string } = {}) => (await engine.show({ command, ...where })).stdout;

describe("iproute2", () => {
  it("ip link show on a node: lo, eth0, flannel.1, cni0, then the pods' veths with master cni0 and link-netns", async () => {
    const out = await sh("ip link show", { node: "worker-node-1" });
    const lines = out.split("\n");
    expect(lines[0]).toBe("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000");
    expect(lines[2]).toBe("2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000");
    expect(lines[3]).toMatch(/^ {4}link\/ether 52:54:00(:[0-9a-f]{2}){3} brd ff:ff:ff:ff:ff:ff$/);
    expect(lines[4]).toBe("3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000");
    expect(lines[6]).toBe("4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default qlen 1000");
    expect(lines[8]).toMatch(/^5: veth[0-9a-f]{8}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master cni0 state UP mode DEFAULT group default qlen 1000$/);
    expect(lines[9]).toMatch(/^ {4}link\/ether ([0-9a-f]{2}:){5}[0-9a-f]{2} brd ff:ff:ff:ff:ff:ff link-netns cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("ip link inside a pod: eth0@ifN pointing at its host veth, link-netnsid 0", async () => {
    const out = await sh("ip link", { pod: "pod-a" });
    expect(out).toMatch(/^2: eth0@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n {4}link\/ether 0a:58:0a:f4:00:05 brd ff:ff:ff:ff:ff:ff link-netnsid 0$/m);
  });

  it("ip -d link show flannel.1: the VXLAN details flanneld configures", async () => {
    const out = await sh("ip -d link show flannel.1", { node: "worker-node-1" });
    expect(out).toContain("promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n");
    expect(out).toContain("    vxlan id 1 local 192.168.1.10 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 ");
  });

  it("ip addr: cni0 at .1/24 with its broadcast, flannel.1 at the /32 network address, IPv6 link-locals from the MACs (EUI-64)", async () => {
    const out = await sh("ip addr", { node: "worker-node-1" });
    expect(out).toContain("    inet 10.244.0.1/24 brd 10.244.0.255 scope global cni0\n       valid_lft forever preferred_lft forever\n");
    expect(out).toContain("    inet 10.244.0.0/32 scope global flannel.1\n");
    expect(out).toContain("    inet 192.168.1.10/24 brd 192.168.1.255 scope global eth0\n");
    const pod = await sh("ip addr", { pod: "pod-a" });
    expect(pod).toContain("    inet 10.244.0.5/24 brd 10.244.0.255 scope global eth0\n");
    // 0a:58:0a:f4:00:05 → fe80::858:aff:fef4:5 (the universal/local bit flipped, ff:fe in the middle)
    expect(pod).toContain("    inet6 fe80::858:aff:fef4:5/64 scope link \n");
  });

  it("ip neigh: flannel's permanent entry for the peer VTEP", async () => {
    expect(await sh("ip neigh", { node: "worker-node-1" })).toMatch(/^10\.244\.1\.0 dev flannel\.1 lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2} PERMANENT \n$/);
  });

  it("bridge fdb show dev flannel.1 maps the peer VTEP's MAC to its node; br cni0 lists the ports", async () => {
    const vx = await sh("bridge fdb show dev flannel.1", { node: "worker-node-1" });
    const mac = (await sh("ip neigh", { node: "worker-node-1" })).split(" ")[4];
    expect(vx).toBe(`${mac} dst 192.168.1.11 self permanent\n`);
    const br = await sh("bridge fdb show br cni0", { node: "worker-node-1" });
    expect(br.split("\n")[0]).toBe("33:33:00:00:00:01 dev cni0 self permanent");
    expect(br).toMatch(/^0a:58:0a:f4:00:05 dev veth[0-9a-f]{8} master cni0 $/m);
  });

  it("ip netns list: the CNI's cni-<uuid> namespaces with their ids", async () => {
    expect(await sh("ip netns list", { node: "worker-node-1" })).toMatch(/^(cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} \(id: \d+\)\n)+$/);
  });
});

describe("conntrack", () => {
  it("conntrack -L after a Service connection: the DNAT'd reply tuple, ESTABLISHED, ASSURED", async () => {
    const e = await createEngine({ host: "inline" });
    await e.load({ scenario: "pod-to-service" });
    await e.trace({ from: "client", to: "10.96.0.20:80", seed: 1 });
    const r = await e.show({ command: "conntrack -L", node: "worker-node-1" });
    expect(r.stdout).toBe("tcp      6 432000 ESTABLISHED src=10.244.0.10 dst=10.96.0.20 sport=55971 dport=80 src=10.244.0.17 dst=10.244.0.10 sport=8080 dport=55971 [ASSURED] mark=0 use=1\n");
    expect(r.stderr).toBe("conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n");
    await e.dispose();
  });
});

describe("kubectl", () => {
  beforeAll(async () => {
    await engine.load({ scenario: "pod-to-service" });
  });

  it("get svc -o wide", async () => {
    expect(await sh("kubectl get svc -o wide")).toBe(
      ["NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE         SELECTOR", "backend-svc   ClusterIP   10.96.0.20   <none>        80/TCP    <unknown>   app=backend", "kubernetes    ClusterIP   10.96.0.1    <none>        443/TCP   <unknown>   <none>", ""].join("\n"),
    );
  });

  it("get endpoints backend-svc, with the v1.33+ deprecation warning on stderr", async () => {
    const r = await engine.show({ command: "kubectl get endpoints backend-svc" });
    expect(r.stderr).toBe("Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n");
    expect(r.stdout).toBe("NAME          ENDPOINTS                                            AGE\nbackend-svc   10.244.0.15:8080,10.244.0.16:8080,10.244.0.17:8080   <unknown>\n");
  });

  it("more than three endpoints are summarized", async () => {
    const e = await createEngine({ host: "inline" });
    await e.load({ nodes: [{ name: "n1" }], deployments: [{ name: "web", replicas: 5, labels: { app: "web" }, ports: ["80"] }], services: [{ name: "web", selector: { app: "web" }, ports: [80] }] });
    expect((await e.show({ command: "kubectl get ep web" })).stdout).toMatch(/^web {7}10\.244\.0\.2:80,10\.244\.0\.3:80,10\.244\.0\.4:80 \+ 2 more\.\.\. {3}<unknown>$/m);
    await e.dispose();
  });

  it("get pods -o wide -A, sorted by namespace and name", async () => {
    const lines = (await sh("kubectl get pods -o wide -A")).split("\n");
    expect(lines[0]).toBe("NAMESPACE     NAME                      READY     STATUS    RESTARTS   AGE         IP            NODE            NOMINATED NODE   READINESS GATES");
    expect(lines[1]).toBe("default       backend-1                 1/1       Running   0          <unknown>   10.244.0.15   worker-node-1   <none>           <none>");
    expect(lines[4]).toMatch(/^default {7}client /);
    expect(lines[5]).toMatch(/^kube-system {3}coredns-/);
  });

  it("get endpointslices, and nodes with custom columns (the seed's command)", async () => {
    expect(await sh("kubectl get endpointslices")).toBe("NAME                ADDRESSTYPE   PORTS     ENDPOINTS                             AGE\nbackend-svc-2mdfd   IPv4          8080      10.244.0.15,10.244.0.16,10.244.0.17   <unknown>\nkubernetes          IPv4          6443      192.168.1.2                           <unknown>\n");
    expect(await sh("kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR")).toBe("NAME            PODCIDR\nworker-node-1   10.244.0.0/24\n");
  });

  it("unknown things are refused with the list of what is supported", async () => {
    await expect(engine.show({ command: "kubectl get secrets" })).rejects.toMatchObject({ code: "unsupported", message: expect.stringMatching(/pods, svc, endpoints/) });
    expect((await engine.show({ command: "kubectl get svc nope" })).stderr).toBe('Error from server (NotFound): services "nope" not found\n');
  });
});

describe("files and logs", () => {
  it("the flannel CNI conflist, subnet.env and kube-proxy's mode line", async () => {
    await engine.load({ scenario: "cross-node" });
    const conf = JSON.parse(await sh("cat /etc/cni/net.d/10-flannel.conflist"));
    expect(conf).toEqual({ name: "cbr0", cniVersion: "0.3.1", plugins: [{ type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } }, { type: "portmap", capabilities: { portMappings: true } }] });
    // A shell glob for *.conf matches nothing there (the file is a .conflist): cat gets the pattern.
    expect(await engine.show({ command: "cat /etc/cni/net.d/*.conf" })).toEqual({ stdout: "", stderr: "cat: '/etc/cni/net.d/*.conf': No such file or directory\n" });
    expect(await sh("cat /run/flannel/subnet.env", { node: "worker-node-2" })).toBe("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
    expect(await sh("kubectl logs -n kube-system kube-proxy-7xk2p")).toMatch(/^I\d{4} [\d:.]+ {7}1 server_linux\.go:66\] "Using iptables proxy"\n$/);
  });
});
