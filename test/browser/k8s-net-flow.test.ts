// <k8s-net-flow> from source in Chromium: it renders what the engine (Wasm in a Web Worker)
// computed, is keyboard operable, labelled, themable, and reports errors with their path.
import { expect, fixture, html, oneEvent } from "@open-wc/testing";
import "../../components/index.js";
import type { K8sNetFlowElement } from "../../components/index.js";
import { createEngine } from "../../src/index.js";
import { emulateMedia } from "@web/test-runner-commands";

async function ready(el: K8sNetFlowElement): Promise<void> {
  for (let i = 0; i < 200 && !el.shadowRoot?.querySelector("ol, [part=status].error"); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  await el.updateComplete;
}

/** Waits for the ResizeObserver's report and the re-layout it schedules for the next frame. */
async function relaidOut(el: K8sNetFlowElement): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
  await el.updateComplete;
}

describe("<k8s-net-flow>", () => {
  it("renders the hops the Wasm dataplane computed, with the deciding routes", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node"></k8s-net-flow>`);
    await ready(el);
    const hops = [...el.shadowRoot!.querySelectorAll("li[part=hop]")];
    expect(hops).to.have.length(20);
    expect(hops[2]!.textContent).to.contain("10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink");
    expect(hops[3]!.textContent).to.contain("outer 192.168.1.10 → 192.168.1.11 UDP 8472 VNI 1");
    expect(hops[9]!.textContent).to.contain("TTL 62");
    expect(el.shadowRoot!.querySelector("[part=status]")!.textContent).to.contain("delivered, answer delivered; 20 hops");
    const svg = el.shadowRoot!.querySelector("svg[part=diagram]")!;
    expect(svg.getAttribute("role")).to.equal("img");
    expect(svg.textContent).to.contain("10.244.1.10");
    expect(svg.textContent).to.contain("192.168.1.11 · pods 10.244.1.0/24");
  });

  it("uses a real worker, whose answer equals the in-thread engine's", async () => {
    const worker = await createEngine({ host: "worker" });
    const inline = await createEngine({ host: "inline" });
    expect(worker.host).to.equal("worker");
    await Promise.all([worker.load({ scenario: "cross-node" }), inline.load({ scenario: "cross-node" })]);
    const [a, b] = await Promise.all([worker.trace({ from: "pod-a", to: "pod-b" }), inline.trace({ from: "pod-a", to: "pod-b" })]);
    expect(JSON.stringify(a)).to.equal(JSON.stringify(b));
    await worker.dispose();
    await inline.dispose();
  });

  it("steps through hops with the buttons and the arrow keys", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node"></k8s-net-flow>`);
    await ready(el);
    const current = () => el.shadowRoot!.querySelector('li[aria-current="step"]')!;
    expect(current().textContent).to.contain("1. worker-node-1 · default/pod-a");
    const button = (name: string) => [...el.shadowRoot!.querySelectorAll("button")].find((b) => b.textContent!.includes(name))!;
    expect(button("Back").disabled).to.equal(true);
    button("Next").click();
    await el.updateComplete;
    expect(el.hop).to.equal(1);
    expect(el.getAttribute("hop")).to.equal("1");
    (current() as HTMLElement).focus();
    current().dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true, composed: true }));
    await el.updateComplete;
    expect(current().textContent).to.contain("20. worker-node-1 · default/pod-a");
    expect(el.shadowRoot!.activeElement).to.equal(current());
    current().dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowUp", bubbles: true, composed: true }));
    await el.updateComplete;
    expect(el.hop).to.equal(18);
  });

  it("plays, pauses, steps, goes back and restarts, firing k8s-hop and k8s-done", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-pod" speed="50"></k8s-net-flow>`);
    await ready(el);
    expect(el.speed).to.equal(50);
    // The speed control offers the usual speeds plus the one the page set, and sets `speed`.
    const speed = el.shadowRoot!.querySelector<HTMLSelectElement>(".speed select")!;
    expect([...speed.options].map((o) => o.value)).to.deep.equal(["0.5", "1", "2", "4", "50"]);
    expect(speed.value).to.equal("50");
    speed.value = "2";
    speed.dispatchEvent(new Event("change"));
    await el.updateComplete;
    expect(el.getAttribute("speed")).to.equal("2");
    el.speed = 50;
    await el.updateComplete;
    const seen: number[] = [];
    el.addEventListener("k8s-hop", (e) => seen.push(e.detail.index));
    el.step();
    el.step();
    el.back();
    await el.updateComplete;
    expect(el.hop).to.equal(1);
    const done = oneEvent(el, "k8s-done");
    el.play();
    const { detail } = await done;
    expect(detail.trace.hops).to.have.length(10);
    expect(el.hop).to.equal(9);
    // Every hop was shown on the way, in order.
    expect(seen.slice(-8)).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9]);
    await new Promise((r) => setTimeout(r, 100));
    expect(el.hop).to.equal(9); // stopped at the end: no loop
    el.reset();
    await el.updateComplete;
    expect(el.hop).to.equal(0);
    // Space on the hop list plays and pauses.
    const item = el.shadowRoot!.querySelector<HTMLElement>('li[aria-current="step"]')!;
    item.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true, composed: true }));
    await el.updateComplete;
    const play = [...el.shadowRoot!.querySelectorAll("button")].find((b) => b.classList.contains("play"))!;
    expect(play.getAttribute("aria-pressed")).to.equal("true");
    item.dispatchEvent(new KeyboardEvent("keydown", { key: " ", bubbles: true, composed: true }));
    await el.updateComplete;
    expect(play.getAttribute("aria-pressed")).to.equal("false");
    expect(play.textContent).to.equal("Play");
  });

  it("autoplay with loop starts again from the first hop", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-pod" speed="100" autoplay loop></k8s-net-flow>`);
    const wrapped = new Promise<void>((resolve) => {
      let sawEnd = false;
      el.addEventListener("k8s-hop", (e) => {
        if (e.detail.index === 9) sawEnd = true;
        else if (sawEnd && e.detail.index === 0) resolve();
      });
    });
    await wrapped;
    el.pause();
  });

  it("follows from/to attributes and fires k8s-trace", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-pod" from="pod-b" to="pod-a"></k8s-net-flow>`);
    await ready(el);
    const done = oneEvent(el, "k8s-trace");
    el.to = "10.244.0.99";
    const { detail } = await done;
    expect(detail.trace.verdict).to.equal("dropped");
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector("[part=status]")!.textContent).to.contain("dropped");
  });

  it("shows an error with its code and path, fires k8s-error, and recovers", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="no-such-lesson"></k8s-net-flow>`);
    await ready(el);
    const status = el.shadowRoot!.querySelector("[part=status]")!;
    expect(status.textContent).to.contain("Error (not-found) at scenario");
    const done = oneEvent(el, "k8s-trace");
    el.scenario = "cross-node";
    await done;
    await el.updateComplete;
    expect(el.shadowRoot!.querySelectorAll("li[part=hop]")).to.have.length(20);
  });

  it("lists every problem of a bad cluster with its path and line, and fires k8s-error with them", async () => {
    const yaml = "nodes: [{name: a}]\ndeployments:\n  - {name: web, replicas: -1, labels: {app: web}}\nservices:\n  - {name: web, selector: {app: web}, ports: ['http:99999']}\n";
    const errors: unknown[] = [];
    const wrap = await fixture<HTMLDivElement>(html`<div @k8s-error=${(e: CustomEvent) => errors.push(e.detail.error)}><k8s-net-flow from="x" to="y"><script type="application/yaml">${yaml}</script></k8s-net-flow></div>`);
    const el = wrap.querySelector<K8sNetFlowElement>("k8s-net-flow")!;
    await ready(el);
    const items = [...el.shadowRoot!.querySelectorAll("ul.problems li")].map((li) => li.textContent!.replace(/\s+/g, " ").trim());
    expect(items.length).to.be.at.least(2);
    expect(items.some((t) => /^deployments\[0\]\.replicas \(document 1, line 3\): /.test(t))).to.equal(true);
    expect(items.some((t) => /^services\[0\]\.ports\[0\] \(document 1, line 5\): .*99999/.test(t))).to.equal(true);
    expect((errors[0] as { problems: unknown[] }).problems.length).to.be.at.least(2);
    await expect(el).to.be.accessible();
  });

  it("reflects theme and exposes parts and custom properties for styling", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow theme="dark"></k8s-net-flow>`);
    await ready(el);
    expect(el.getAttribute("theme")).to.equal("dark");
    expect(getComputedStyle(el).getPropertyValue("--k8s-bg").trim()).to.equal("#0d1117");
    el.theme = "light";
    await el.updateComplete;
    expect(el.getAttribute("theme")).to.equal("light");
    expect(getComputedStyle(el).getPropertyValue("--k8s-bg").trim()).to.equal("#ffffff");
    for (const part of ["diagram", "controls", "hops", "hop", "status"]) {
      expect(el.shadowRoot!.querySelector(`[part~=${part}]`), part).to.exist;
    }
  });

  it("passes an accessibility audit", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow></k8s-net-flow>`);
    await ready(el);
    await expect(el).to.be.accessible();
  });
});

describe("<k8s-net-flow> and the reader's preferences", () => {
  afterEach(async () => {
    await emulateMedia({ colorScheme: "light", reducedMotion: "no-preference" });
  });

  it("follows prefers-color-scheme when theme is auto, and stays accessible in dark", async () => {
    await emulateMedia({ colorScheme: "dark" });
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow></k8s-net-flow>`);
    await ready(el);
    expect(getComputedStyle(el).getPropertyValue("--k8s-bg").trim()).to.equal("#0d1117");
    await expect(el).to.be.accessible();
    el.theme = "light";
    await el.updateComplete;
    expect(getComputedStyle(el).getPropertyValue("--k8s-bg").trim()).to.equal("#ffffff");
  });

  it("follows an ancestor's data-theme live when theme is auto; the theme attribute wins", async () => {
    await emulateMedia({ colorScheme: "dark" });
    const wrapper = await fixture<HTMLDivElement>(html`<div data-theme="light"><k8s-net-flow scenario="pod-to-pod"></k8s-net-flow></div>`);
    const el = wrapper.querySelector<K8sNetFlowElement>("k8s-net-flow")!;
    const bg = () => getComputedStyle(el).getPropertyValue("--k8s-bg").trim();
    expect(bg()).to.equal("#ffffff"); // the page says light, though the reader prefers dark
    document.documentElement.setAttribute("data-theme", "dark"); // a farther ancestor: the nearer one decides
    wrapper.setAttribute("data-theme", "dark");
    await new Promise((r) => setTimeout(r, 0));
    expect(bg()).to.equal("#0d1117");
    el.theme = "light";
    await el.updateComplete;
    expect(bg()).to.equal("#ffffff");
    document.documentElement.removeAttribute("data-theme");
  });

  it("stacks the nodes in a 320 px column, text drawn near full size, nothing overflowing", async () => {
    // cross-namespace: its hop list carries long DNS names.
    const narrow = await fixture<HTMLDivElement>(html`<div><k8s-net-flow scenario="cross-namespace"></k8s-net-flow></div>`);
    narrow.style.width = "320px";
    const dns = narrow.querySelector<K8sNetFlowElement>("k8s-net-flow")!;
    await ready(dns);
    expect(dns.scrollWidth).to.equal(dns.clientWidth);
    expect([...dns.shadowRoot!.querySelectorAll("*")].filter((n) => n.getBoundingClientRect().right > dns.getBoundingClientRect().right + 0.5).map((n) => n.tagName)).to.deep.equal([]);
    const wrap = await fixture<HTMLDivElement>(html`<div><k8s-net-flow scenario="cross-node"></k8s-net-flow></div>`);
    wrap.style.width = "320px"; // through the CSSOM, as a strict-CSP page would
    const el = wrap.querySelector<K8sNetFlowElement>("k8s-net-flow")!;
    el.scrollIntoView(); // below the first, tall one: it starts when near the viewport
    await ready(el);
    await relaidOut(el);
    const right = el.getBoundingClientRect().right;
    const over = [...el.shadowRoot!.querySelectorAll("*")].filter((n) => n.getBoundingClientRect().right > right + 0.5).map((n) => n.tagName);
    expect(over).to.deep.equal([]);
    expect(el.scrollWidth).to.equal(el.clientWidth);
    const svg = el.shadowRoot!.querySelector<SVGSVGElement>("svg[part=diagram]")!;
    const frames = [...svg.querySelectorAll(".node rect.frame")].map((r) => r.getBoundingClientRect());
    expect(frames).to.have.length(2);
    expect(frames[1]!.top).to.be.greaterThan(frames[0]!.bottom); // one above the other
    expect(svg.getBoundingClientRect().width / svg.viewBox.baseVal.width).to.be.at.least(0.85);
    // Wide again: side by side.
    wrap.style.width = "1000px";
    await relaidOut(el);
    const wide = [...svg.querySelectorAll(".node rect.frame")].map((r) => r.getBoundingClientRect());
    expect(wide[1]!.top).to.equal(wide[0]!.top);
  });

  it("animates the packet from hop to hop, and moves it without animation under prefers-reduced-motion", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node"></k8s-net-flow>`);
    await ready(el);
    const glyph = () => el.shadowRoot!.querySelector<SVGGElement>("svg g.packet")!;
    // Step until the packet changes place (some hops happen where the last one ended).
    const stepToMove = async () => {
      for (let i = 0; i < 10; i++) {
        const before = glyph().getAttribute("transform");
        el.step();
        await el.updateComplete;
        if (glyph().getAttribute("transform") !== before) return;
      }
      throw new Error("the packet never moved");
    };
    await stepToMove();
    expect(glyph().getAnimations()).to.have.length(1);
    await emulateMedia({ reducedMotion: "reduce" });
    await stepToMove();
    expect(glyph().getAnimations()).to.deep.equal([]);
  });
});

describe("<k8s-net-flow> packet badge", () => {
  const badge = (el: K8sNetFlowElement, cls: string) => el.shadowRoot!.querySelector(`svg g.packet text.${cls}`)?.textContent;

  it("shows the DNAT rewriting the destination, and the reply un-NAT'd back to the ClusterIP", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="pod-to-service" seed="1"></k8s-net-flow>`);
    await ready(el);
    expect(badge(el, "tuple")).to.match(/^10\.244\.0\.10:\d+ → 10\.96\.0\.20:80$/);
    expect(badge(el, "was")).to.equal(undefined);
    const hops = el.shadowRoot!.querySelectorAll("li[part=hop]");
    const dnat = [...hops].findIndex((li) => li.textContent!.includes("netfilter · dnat"));
    el.hop = dnat;
    await el.updateComplete;
    expect(badge(el, "was")).to.match(/→ 10\.96\.0\.20:80$/);
    expect(badge(el, "tuple")).to.match(/→ 10\.244\.0\.\d+:8080$/);
    expect(getComputedStyle(el.shadowRoot!.querySelector("svg g.packet text.was")!).textDecorationLine).to.equal("line-through");
    el.hop = dnat + 1; // the next hop keeps the new address, nothing struck through
    await el.updateComplete;
    expect(badge(el, "was")).to.equal(undefined);
    const unnat = [...hops].findIndex((li) => li.textContent!.includes("conntrack · unnat"));
    el.hop = unnat;
    await el.updateComplete;
    expect(badge(el, "was")).to.match(/^10\.244\.0\.\d+:8080 → /);
    expect(badge(el, "tuple")).to.match(/^10\.96\.0\.20:80 → 10\.244\.0\.10:\d+$/);
  });

  it("wraps the packet in its VXLAN outer packet while it is encapsulated", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-node"></k8s-net-flow>`);
    await ready(el);
    const outer = () => el.shadowRoot!.querySelector("svg g.packet g.outer text")?.textContent;
    expect(outer()).to.equal(undefined);
    el.hop = 3; // encap on worker-node-1
    await el.updateComplete;
    expect(outer()).to.equal("VXLAN 192.168.1.10 → 192.168.1.11 UDP 8472 VNI 1");
    expect(badge(el, "tuple")).to.match(/^10\.244\.0\.5:\d+ → 10\.244\.1\.10:80$/);
    // The outer box surrounds the inner one.
    const [o, i] = ["g.outer rect", "g.inner rect"].map((q) => el.shadowRoot!.querySelector(`svg g.packet ${q}`)!.getBoundingClientRect());
    expect(i!.left >= o!.left && i!.right <= o!.right && i!.top >= o!.top && i!.bottom <= o!.bottom).to.equal(true);
    el.hop = 5; // decapsulated on worker-node-2
    await el.updateComplete;
    expect(outer()).to.equal(undefined);
  });

  it("draws DNS queries and answers as their own small packets", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="cross-namespace"></k8s-net-flow>`);
    await ready(el);
    const glyph = el.shadowRoot!.querySelector("svg g.packet")!;
    expect(glyph.classList.contains("dns-query")).to.equal(true);
    expect(badge(el, "dns")).to.equal("DNS A api-svc.backend.frontend.svc.cluster.…");
    expect(badge(el, "tuple")).to.match(/^10\.244\.1\.5:\d+ → 10\.96\.0\.10:53$/);
    const hops = [...el.shadowRoot!.querySelectorAll("li[part=hop]")];
    el.hop = hops.findIndex((li) => li.textContent!.includes("dns-answer"));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector("svg g.packet")!.classList.contains("dns-answer")).to.equal(true);
    expect(badge(el, "dns")).to.match(/^DNS NXDOMAIN: A api-svc\.backend\.frontend\./);
    el.hop = hops.findIndex((li) => !/dns-/.test(li.textContent!));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector("svg g.packet")!.classList.contains("request")).to.equal(true);
    expect(badge(el, "dns")).to.equal(undefined);
  });
});
