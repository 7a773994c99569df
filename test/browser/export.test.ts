// Exports of <k8s-net-flow>: the trace as JSON, the diagram as a standalone SVG (theme
// resolved) and as a PNG; and the per-hop announcement for screen readers.
import { expect, fixture, html } from "@open-wc/testing";
import "../../components/index.js";
import type { K8sNetFlowElement } from "../../components/index.js";

async function ready(el: K8sNetFlowElement): Promise<void> {
  el.scrollIntoView(); // elements start simulating near the viewport
  for (let i = 0; i < 400 && !el.shadowRoot?.querySelector("li[part=hop]"); i++) await new Promise((r) => setTimeout(r, 25));
  await el.updateComplete;
}

describe("<k8s-net-flow> exports", () => {
  it("gives the trace as JSON, the diagram as SVG with the theme's colours, and a PNG", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node" theme="dark"></k8s-net-flow>`);
    await ready(el);
    const trace = JSON.parse(el.exportTrace()!);
    expect(trace.hops).to.have.length(20);
    expect(trace.flow.dstIP).to.equal("10.244.1.10");
    const svgText = el.exportSvg()!;
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    expect(doc.querySelector("parsererror")).to.equal(null);
    expect(doc.documentElement.getAttribute("xmlns")).to.equal("http://www.w3.org/2000/svg");
    expect(svgText).to.contain("192.168.1.11 · pods 10.244.1.0/24");
    // The dark theme's background, resolved into the file.
    expect(svgText).to.contain("--k8s-bg: #0d1117;");
    const png = (await el.exportPng())!;
    expect(png.type).to.equal("image/png");
    expect(png.size).to.be.greaterThan(2000);
    const bitmap = await createImageBitmap(png);
    const svg = el.shadowRoot!.querySelector<SVGSVGElement>("svg[part=diagram]")!;
    expect(bitmap.width).to.equal(svg.viewBox.baseVal.width * 2);
  });

  it("offers the whole trace as a text transcript, as the CLI prints it", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-namespace"></k8s-net-flow>`);
    await ready(el);
    const transcript = el.shadowRoot!.querySelector("details[part=transcript] pre")!.textContent!;
    expect(transcript).to.match(/^frontend\/frontend-pod \(10\.244\.1\.5:\d+\) → api-svc\.backend:80 \(10\.96\.0\.25:80\/tcp\): delivered; answer delivered — \d+ hops\n/);
    expect(transcript).to.contain("DNS lookup of api-svc.backend (glibc): 10.96.0.25");
    expect(transcript).to.contain("-j DNAT --to-destination 10.244.2.10:8080    [iptables-save -t nat]");
  });

  it("the inspector marks what the current hop changed: the DNAT's destination, the VXLAN outer headers", async () => {
    const svc = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-service"></k8s-net-flow>`);
    await ready(svc);
    const trace = JSON.parse(svc.exportTrace()!);
    svc.hop = trace.hops.findIndex((h: { action: string }) => h.action === "dnat");
    await svc.updateComplete;
    const rowText = (tr: Element) => [...tr.querySelectorAll("td")].map((td) => td.textContent!.replace(/\s+/g, " ").trim()).join(" ");
    const changed = () => [...svc.shadowRoot!.querySelectorAll("[part=inspector] tr.changed")].map(rowText);
    expect(changed()).to.have.length(2);
    expect(changed()[0]).to.match(/^IPv4 destination 10\.244\.0\.1[567] \(was 10\.96\.0\.20\)$/);
    expect(changed()[1]).to.equal("TCP destination port 8080 (was 80)");
    expect(svc.shadowRoot!.querySelector("[part=inspector] .decided")!.textContent).to.contain("-j DNAT --to-destination");

    const node = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node"></k8s-net-flow>`);
    await ready(node);
    const hops = JSON.parse(node.exportTrace()!).hops;
    node.hop = hops.findIndex((h: { action: string }) => h.action === "encap");
    await node.updateComplete;
    const rows = [...node.shadowRoot!.querySelectorAll("[part=inspector] tr.changed")].map(rowText);
    expect(rows).to.include("outer IPv4 source 192.168.1.10 (added by this hop)");
    expect(rows).to.include("outer IPv4 destination 192.168.1.11 (added by this hop)");
    expect(rows).to.include("VXLAN VNI 1 (added by this hop)");
    expect(rows.some((r) => /^outer UDP ports \d+ → 8472 \(added by this hop\)$/.test(r))).to.equal(true);
  });

  it("the command panel prints what real tools show on the current hop's pod or node", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-service"></k8s-net-flow>`);
    await ready(el);
    const panel = el.shadowRoot!.querySelector<HTMLDetailsElement>("details[part=commands]")!;
    const output = async (match: RegExp) => {
      for (let i = 0; i < 200; i++) {
        const text = panel.querySelector("pre")!.textContent!;
        if (match.test(text)) return text;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no output matching ${match}: ${panel.querySelector("pre")!.textContent}`);
    };
    const tabs = () => [...panel.querySelectorAll<HTMLButtonElement>("[role=tablist] [role=tab]")];
    const choose = async (command: string) => {
      tabs().find((t) => t.textContent === command)!.click();
      await el.updateComplete;
    };
    expect(panel.querySelector("summary")!.textContent).to.equal("Commands on pod default/client");
    panel.querySelector("summary")!.click();
    expect(await output(/default via 10\.244\.0\.1 dev eth0/)).to.contain("10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.10");
    await choose("cat /etc/resolv.conf");
    expect(await output(/nameserver/)).to.contain("nameserver 10.96.0.10");
    // The DNAT hop happens on the node: the panel follows it with the node's commands.
    const hops = JSON.parse(el.exportTrace()!).hops;
    el.hop = hops.findIndex((h: { action: string }) => h.action === "dnat");
    await el.updateComplete;
    expect(panel.querySelector("summary")!.textContent).to.equal("Commands on node worker-node-1");
    await choose("iptables-save -t nat");
    expect(await output(/KUBE-SERVICES/)).to.contain("-j KUBE-SVC-");
    await choose("conntrack -L");
    expect(await output(/dport=80/)).to.match(/tcp\s+6 \d+ ESTABLISHED src=10\.244\.0\.10 dst=10\.96\.0\.20 sport=\d+ dport=80/);
    // The tabs follow the ARIA pattern: one selected and focusable, arrows move and select.
    expect(tabs().map((t) => t.getAttribute("aria-selected"))).to.deep.equal(["false", "false", "true", "false", "false"]);
    expect(panel.querySelector("[role=tabpanel]")!.getAttribute("aria-labelledby")).to.equal(tabs()[2]!.id);
    tabs()[2]!.focus();
    tabs()[2]!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true, composed: true }));
    await el.updateComplete;
    expect(await output(/master cni0/)).to.contain("dev veth");
    expect(tabs()[3]!.getAttribute("aria-selected")).to.equal("true");
    expect(el.shadowRoot!.activeElement).to.equal(tabs()[3]);
    await expect(el).to.be.accessible();
  });

  it("zooms in on the packet and back out; the full-screen button asks for full screen", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node"></k8s-net-flow>`);
    await ready(el);
    const svg = () => el.shadowRoot!.querySelector<SVGSVGElement>("svg[part=diagram]")!;
    const button = (label: string) => el.shadowRoot!.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`)!;
    const whole = svg().viewBox.baseVal.width;
    expect(button("Zoom out").disabled).to.equal(true);
    button("Zoom in on the packet").click();
    await el.updateComplete;
    const box = svg().viewBox.baseVal;
    expect(box.width).to.equal(whole / 2);
    // The packet is inside the zoomed view.
    const packet = svg().querySelector<SVGGElement>("g.packet")!.transform.baseVal.consolidate()!.matrix;
    expect(packet.e).to.be.within(box.x, box.x + box.width);
    expect(packet.f).to.be.within(box.y, box.y + box.height);
    // Dragging pans the zoomed view: 100 px to the left shows what is to the right.
    const scale = box.width / svg().getBoundingClientRect().width;
    const x0 = box.x;
    const at = (type: string, clientX: number) => svg().dispatchEvent(new PointerEvent(type, { pointerId: 1, button: 0, clientX, clientY: 50, bubbles: true }));
    at("pointerdown", 300);
    at("pointermove", 200);
    at("pointerup", 200);
    await el.updateComplete;
    expect(svg().viewBox.baseVal.x).to.be.closeTo(Math.min(x0 + 100 * scale, whole - box.width), 0.01);
    button("Zoom out").click();
    await el.updateComplete;
    expect(svg().viewBox.baseVal.width).to.equal(whole);
    let asked = 0;
    el.requestFullscreen = () => ((asked++), Promise.resolve());
    button("Full screen").click();
    expect(asked).to.equal(1);
  });

  it("announces the current hop's sentence in a live region", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-pod"></k8s-net-flow>`);
    await ready(el);
    const live = el.shadowRoot!.querySelector("[aria-live=polite].announce")!;
    expect(live.textContent).to.match(/^Hop 1 of 10: /);
    el.step();
    await el.updateComplete;
    expect(live.textContent).to.match(/^Hop 2 of 10: Through the veth pair/);
  });
});
