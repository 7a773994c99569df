// Where <k8s-net-flow> takes its cluster and flow from: a built-in scenario, a file at `src`,
// an inline YAML child, or the `model` / `flow` properties; `mode` and `cni` over its settings.
import { expect, fixture, html, oneEvent } from "@open-wc/testing";
import "../../components/index.js";
import type { K8sNetFlowElement } from "../../components/index.js";

async function settled(el: K8sNetFlowElement): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const status = el.shadowRoot?.querySelector("[part=status]")?.textContent ?? "";
    if (/hops\.|Error/.test(status)) return status;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the element never settled");
}

describe("<k8s-net-flow> inputs", () => {
  it("loads a cluster file from src", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow src="/test/fixtures/shop.yaml" from="shop/web-5c5b9cd96c-g82w8" to="shop/db-0:5432"></k8s-net-flow>`);
    const status = await settled(el);
    expect(status).to.match(/shop\/web-5c5b9cd96c-g82w8 \(10\.244\.\d+\.\d+\) → shop\/db-0/);
    expect(el.shadowRoot!.querySelector("h2")!.textContent).to.not.equal("cross-node");
  });

  it("reads an inline YAML child", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow from="a" to="b"><script type="application/yaml">
nodes: [{ name: n1 }, { name: n2 }]
pods: [{ name: a, node: n1 }, { name: b, node: n2 }]
</script></k8s-net-flow>`);
    const status = await settled(el);
    expect(status).to.contain("a (10.244.0.2) → b (10.244.1.2:80): delivered");
  });

  it("a cluster with NetworkPolicies: flannel delivers, and the policy part says the policies deny it and that flannel enforces none", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow src="/test/fixtures/policy-shop.yaml" cni="flannel" from="default/client" to="shop/db-5bb7fb7d87-g5vpw:5432"></k8s-net-flow>`);
    expect(await settled(el)).to.contain(": delivered");
    const policy = el.shadowRoot!.querySelector("[part=policy]")!;
    expect(policy.classList.contains("denied")).to.equal(true);
    expect(policy.querySelector("p")!.textContent).to.match(/^NetworkPolicy: denied by the cluster's policies\. flannel does not enforce NetworkPolicy/);
    expect(policy.querySelector("pre")!.textContent).to.contain("isolated by shop/db-from-web");
    // The table for the traced port, on demand: the client is refused, the web pods are not.
    const matrix = policy.querySelector<HTMLDetailsElement>("details[part=policy-matrix]")!;
    expect(matrix.querySelector("summary")!.textContent).to.equal("Who may talk to whom on TCP/5432");
    matrix.open = true;
    let table: HTMLTableElement | null = null;
    for (let i = 0; i < 200 && !table; i++) {
      await new Promise((r) => setTimeout(r, 25));
      table = matrix.querySelector("table.matrix");
    }
    const rows = [...table!.querySelectorAll("tbody tr")].map((tr) => [tr.querySelector("th")!.textContent, ...[...tr.querySelectorAll("td")].map((td) => td.textContent)]);
    const cols = [...table!.querySelectorAll("thead th")].slice(1).map((th) => th.textContent);
    const db = cols.indexOf("shop/db-5bb7fb7d87-g5vpw") + 1;
    expect(rows.find((r) => r[0] === "default/client")![db]).to.equal("✗ denied");
    for (const r of rows.filter((r) => r[0]!.startsWith("shop/web-"))) expect(r[db]).to.equal("✓ allowed");
  });

  it("takes model and flow properties, the flow's fields winning over the attributes", async () => {
    const el = document.createElement("k8s-net-flow") as K8sNetFlowElement;
    el.setAttribute("from", "nobody");
    el.model = { nodes: [{ name: "n1" }], pods: [{ name: "x", node: "n1" }, { name: "y", node: "n1", ports: ["dns:53/UDP"] }] };
    el.flow = { from: "x", to: "y:53", protocol: "UDP" };
    document.body.append(el);
    const status = await settled(el);
    expect(status).to.contain("x (10.244.0.2) → y:53 (10.244.0.3:53): delivered");
    el.remove();
  });

  it("a src that cannot be fetched gives an error panel naming src", async () => {
    const missing = await fixture<K8sNetFlowElement>(html`<k8s-net-flow src="/test/fixtures/no-such-file.yaml"></k8s-net-flow>`);
    expect(await settled(missing)).to.match(/Error \(not-found\) at src: .*HTTP 404/);
  });

  it("a mode not simulated yet gives an error panel with its path, and the element recovers", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-service" mode="ebpf"></k8s-net-flow>`);
    expect(await settled(el)).to.contain("Error (unsupported) at settings.kubeProxy.mode");
    const back = oneEvent(el, "k8s-trace");
    el.mode = "iptables";
    await back;
    expect(await settled(el)).to.contain("delivered");
  });
});

describe("<k8s-net-flow> mode and cni", () => {
  it('mode="nftables": the DNAT hop names its nftables rule, the command panel offers nft list ruleset', async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-service" mode="nftables"></k8s-net-flow>`);
    expect(await settled(el)).to.contain("delivered");
    const hops = [...el.shadowRoot!.querySelectorAll("li[part=hop]")];
    const dnat = hops.find((li) => li.textContent!.includes("netfilter · dnat") && !li.textContent!.includes("dns-"))!;
    expect(dnat.textContent).to.match(/meta l4proto tcp dnat to 10\.244\.0\.1[567]:8080/);
    expect(dnat.textContent).to.contain("one lookup in the service-ips map");
    el.hop = hops.indexOf(dnat);
    await el.updateComplete;
    const panel = el.shadowRoot!.querySelector<HTMLDetailsElement>("details[part=commands]")!;
    panel.querySelector("summary")!.click();
    const tab = [...panel.querySelectorAll<HTMLButtonElement>("[role=tab]")].find((t) => t.textContent === "nft list ruleset")!;
    tab.click();
    for (let i = 0; i < 200 && !/table ip kube-proxy/.test(panel.querySelector("pre")!.textContent!); i++) await new Promise((r) => setTimeout(r, 25));
    expect(panel.querySelector("pre")!.textContent).to.contain("vmap @service-ips");
  });

  it('cni="flannel/host-gw": no flannel.1 on the drawing, the node network says routed', async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node" cni="flannel/host-gw"></k8s-net-flow>`);
    expect(await settled(el)).to.contain("delivered");
    const svg = el.shadowRoot!.querySelector("svg[part=diagram]")!;
    expect(svg.querySelector(".vtep")).to.equal(null);
    expect(svg.querySelector(".underlay text")!.textContent).to.contain("host-gw: routed, not encapsulated");
    el.cni = "flannel/vxlan";
    await oneEvent(el, "k8s-trace");
    await el.updateComplete;
    expect(el.shadowRoot!.querySelectorAll("svg[part=diagram] .vtep").length).to.equal(2);
  });
});

describe("<k8s-net-flow> switchable", () => {
  it("lets the reader switch kube-proxy's mode and the CNI; the commands follow the mode", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-service" switchable></k8s-net-flow>`);
    expect(await settled(el)).to.contain("delivered");
    const select = (label: string) => [...el.shadowRoot!.querySelectorAll<HTMLLabelElement>("[part=switches] label")].find((l) => l.textContent!.trim().startsWith(label))!.querySelector("select")!;
    expect(select("kube-proxy").value).to.equal("iptables");
    expect(select("CNI").value).to.equal("flannel/vxlan");
    const choose = async (label: string, value: string) => {
      const traced = oneEvent(el, "k8s-trace");
      select(label).value = value;
      select(label).dispatchEvent(new Event("change"));
      await traced;
      await el.updateComplete;
    };
    await choose("kube-proxy", "ipvs");
    expect(el.getAttribute("mode")).to.equal("ipvs");
    const hops = [...el.shadowRoot!.querySelectorAll("li[part=hop]")];
    const ipvs = hops.findIndex((li) => /IPVS on worker-node-1/.test(li.textContent!) && !li.textContent!.includes("dns-"));
    expect(ipvs).to.be.greaterThan(0);
    el.hop = ipvs;
    await el.updateComplete;
    const panel = el.shadowRoot!.querySelector<HTMLDetailsElement>("details[part=commands]")!;
    expect([...panel.querySelectorAll("[role=tab]")].map((t) => t.textContent)).to.include("ipvsadm -Ln");
    await choose("CNI", "calico/ipip");
    expect(el.getAttribute("cni")).to.equal("calico/ipip");
    expect(el.shadowRoot!.querySelector("svg .bridge text")!.textContent).to.contain("cali* veths");
    await expect(el).to.be.accessible();
  });
});

describe("<k8s-net-flow> Calico", () => {
  it('cni="calico/ipip": routed cali* veths, tunl0, an IP-in-IP outer packet (proto 4) without UDP or VNI', async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node" cni="calico/ipip"></k8s-net-flow>`);
    expect(await settled(el)).to.contain("delivered");
    const svg = el.shadowRoot!.querySelector("svg[part=diagram]")!;
    expect([...svg.querySelectorAll(".vtep text")].map((t) => t.textContent)).to.deep.equal(["tunl0", "tunl0"]);
    expect(svg.querySelector(".bridge text")!.textContent).to.contain("cali* veths, routed");
    expect(svg.querySelector(".underlay text")!.textContent).to.contain("IP-in-IP (IP protocol 4)");
    const hops = [...el.shadowRoot!.querySelectorAll("li[part=hop]")];
    el.hop = hops.findIndex((li) => li.textContent!.includes("· encap"));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector("svg g.packet g.outer text")!.textContent).to.equal("IP-in-IP 192.168.1.10 → 192.168.1.11 proto 4");
    const rows = [...el.shadowRoot!.querySelectorAll("[part=inspector] tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent!.replace(/\s+/g, " ").trim()).join(" | "));
    expect(rows).to.include("outer IPv4 | protocol | 4 (IP-in-IP) (added by this hop)");
    expect(rows.some((r) => r.startsWith("VXLAN") || r.startsWith("outer UDP"))).to.equal(false);
  });
});

describe("<k8s-net-flow> Cilium", () => {
  it('cni="cilium/vxlan" mode="ebpf": the socket step shows the ClusterIP replaced before any packet; no kube-proxy', async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-service" cni="cilium/vxlan" mode="ebpf"></k8s-net-flow>`);
    expect(await settled(el)).to.contain("delivered");
    const svg = () => el.shadowRoot!.querySelector("svg[part=diagram]")!;
    expect(svg().querySelector(".proxy text")!.textContent).to.equal("cilium · socket LB");
    expect(svg().querySelector(".bridge text")!.textContent).to.contain("lxc* veths");
    const hops = [...el.shadowRoot!.querySelectorAll("li[part=hop]")];
    el.hop = hops.findIndex((li) => li.textContent!.includes("socket · socket-lb") && !li.textContent!.includes("dns-"));
    await el.updateComplete;
    const text = (cls: string) => svg().querySelector(`g.packet text.${cls}`)?.textContent;
    expect(text("was")).to.match(/^10\.244\.0\.10:\d+ → 10\.96\.0\.20:80$/);
    expect(text("tuple")).to.match(/^10\.244\.0\.10:\d+ → 10\.244\.0\.1[567]:8080$/);
    // No hop rewrites the destination later: the first packet already goes to the backend.
    expect(hops.filter((li) => / · (dnat|unnat)/.test(li.textContent!))).to.deep.equal([]);
    const panel = el.shadowRoot!.querySelector<HTMLDetailsElement>("details[part=commands]")!;
    el.hop = hops.findIndex((li) => li.textContent!.includes("routing · redirect"));
    await el.updateComplete;
    expect([...panel.querySelectorAll("[role=tab]")].map((t) => t.textContent)).to.include("cilium-dbg service list");
  });
});

describe("<k8s-net-flow> lazy start", () => {
  it("starts simulating only when scrolled near the viewport", async () => {
    const wrapper = await fixture<HTMLDivElement>(html`<div><div class="spacer"></div><k8s-net-flow scenario="pod-to-pod"></k8s-net-flow></div>`);
    // Set through the CSSOM (not a style attribute), as a strict-CSP page would.
    wrapper.querySelector<HTMLElement>(".spacer")!.style.height = "5000px";
    const el = wrapper.querySelector<K8sNetFlowElement>("k8s-net-flow")!;
    let traced = false;
    el.addEventListener("k8s-trace", () => (traced = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(traced).to.equal(false);
    expect(el.shadowRoot!.querySelector("li[part=hop]")).to.equal(null);
    el.scrollIntoView();
    expect(await settled(el)).to.contain("delivered");
  });
});
