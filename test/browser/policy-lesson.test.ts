// <k8s-net-flow> on a Calico cluster with a NetworkPolicy (the lesson of site/network-policy.html):
// the policy verdict hops read as verdicts (text, not colour alone), a denied request says where
// and why it stopped, the diagram marks the enforcing veth, and all of it is keyboard reachable,
// themable and passes axe.
import { expect, fixture, html } from "@open-wc/testing";
import { emulateMedia } from "@web/test-runner-commands";
import "../../components/index.js";
import type { K8sNetFlowElement } from "../../components/index.js";

const DB = "shop/db-5bb7fb7d87-g5vpw";
const WEB = "shop/web-6d7f6f56d-dbql7";

async function ready(el: K8sNetFlowElement): Promise<void> {
  for (let i = 0; i < 400 && !el.shadowRoot?.querySelector("li[part=hop], [part=status].error"); i++) await new Promise((r) => setTimeout(r, 25));
  await el.updateComplete;
}

async function shop(from: string): Promise<K8sNetFlowElement> {
  const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow src="/test/fixtures/policy-shop.yaml" from=${from} to="${DB}:5432"></k8s-net-flow>`);
  await ready(el);
  return el;
}

const hops = (el: K8sNetFlowElement) => [...el.shadowRoot!.querySelectorAll<HTMLLIElement>("li[part=hop]")];
const verdictOf = (li: Element) => li.querySelector("[part=policy-verdict]");
const el1Stop = (el: K8sNetFlowElement) => el.shadowRoot!.querySelector("[part=status] .stop")?.textContent!.replace(/\s+/g, " ").trim();

describe("<k8s-net-flow> NetworkPolicy verdict hops (Calico)", () => {
  afterEach(() => emulateMedia({ colorScheme: "light" }));

  it("a denied request ends at a policy deny hop on the db's cali-tw chain, and says where and why it stopped", async () => {
    const el = await shop("default/client");
    const status = el.shadowRoot!.querySelector("[part=status]")!.textContent!;
    expect(status).to.contain("dropped");
    const list = hops(el);
    const last = list.at(-1)!;
    expect(verdictOf(last)!.textContent).to.match(/policy deny/);
    expect(verdictOf(last)!.textContent).to.contain(`ingress of ${DB}`);
    expect(verdictOf(last)!.textContent).to.contain("isolated for ingress by shop/db-from-web");
    expect(verdictOf(last)!.textContent).to.match(/at n2's cali-tw-cali[0-9a-f]{11} chain/);
    expect(last.textContent).to.contain("Drop if no policies passed packet");
    // The client's own egress passed its namespace's profile: an allow verdict hop before it.
    const egress = list.find((li) => verdictOf(li)?.classList.contains("allow"))!;
    expect(verdictOf(egress)!.textContent).to.contain("egress of default/client");
    expect(verdictOf(egress)!.textContent).to.match(/at n1's cali-fw-cali[0-9a-f]{11} chain/);
    const stop = el.shadowRoot!.querySelector("[part=status] .stop")!.textContent!;
    expect(stop).to.match(/Denied by NetworkPolicy at n2's cali-tw-cali[0-9a-f]{11} chain \(hop \d+, ingress of shop\/db-5bb7fb7d87-g5vpw\): isolated for ingress by shop\/db-from-web/);
  });

  it("the diagram marks the enforcing veth (the db pod's) at the policy hop, and only there", async () => {
    const el = await shop("default/client");
    expect(el.shadowRoot!.querySelector("svg .enforcing")).to.equal(null);
    el.hop = hops(el).length - 1;
    await el.updateComplete;
    const gate = el.shadowRoot!.querySelector("svg g.enforcing.deny")!;
    expect(gate).to.not.equal(null);
    expect(gate.textContent).to.contain("policy deny");
    expect(gate.querySelector("title")!.textContent).to.match(/at n2's cali-tw-/);
    // Drawn at the bottom edge (the veth) of the db's box.
    const db = [...el.shadowRoot!.querySelectorAll("svg g.pod")].find((g) => g.querySelector("title")!.textContent!.startsWith(DB))!;
    const box = db.querySelector("rect")!;
    const line = gate.querySelector("line")!;
    expect(Number(line.getAttribute("y1"))).to.equal(Number(box.getAttribute("y")) + Number(box.getAttribute("height")));
    expect((Number(line.getAttribute("x1")) + Number(line.getAttribute("x2"))) / 2).to.equal(Number(box.getAttribute("x")) + Number(box.getAttribute("width")) / 2);
  });

  it("an allowed request (a web pod) passes the db's ingress by shop/db-from-web rule 0, and is delivered", async () => {
    const el = await shop(WEB);
    expect(el.shadowRoot!.querySelector("[part=status]")!.textContent).to.contain("delivered");
    expect(el.shadowRoot!.querySelector("[part=status] .stop")).to.equal(null);
    const ingress = hops(el).find((li) => verdictOf(li)?.textContent!.includes(`ingress of ${DB}`))!;
    expect(verdictOf(ingress)!.classList.contains("allow")).to.equal(true);
    expect(verdictOf(ingress)!.textContent).to.match(/policy allow/);
    expect(verdictOf(ingress)!.textContent).to.contain("shop/db-from-web, ingress rule 0");
    expect(ingress.textContent).to.contain("cali-pi-");
  });

  it("the arrow keys reach the policy hop; it becomes current, focused and announced", async () => {
    const el = await shop(WEB);
    const list = hops(el);
    const target = list.findIndex((li) => verdictOf(li)?.textContent!.includes(`ingress of ${DB}`));
    expect(target).to.be.greaterThan(0);
    list[0]!.focus();
    for (let i = 0; i < target; i++) {
      el.shadowRoot!.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true, composed: true }));
      await el.updateComplete;
      await el.updateComplete;
    }
    expect(el.hop).to.equal(target);
    const current = el.shadowRoot!.querySelector('li[aria-current="step"]')!;
    expect(el.shadowRoot!.activeElement).to.equal(current);
    expect(current.getAttribute("tabindex")).to.equal("0");
    expect(verdictOf(current)!.textContent).to.contain("policy allow");
    expect(el.shadowRoot!.querySelector(".announce")!.textContent).to.contain("allowed by shop/db-from-web, ingress rule 0");
    expect(el.shadowRoot!.querySelector("svg g.enforcing.allow")).to.not.equal(null);
  });

  it("is themable: the verdict's part and its custom properties", async () => {
    const el = await shop("default/client");
    el.style.setProperty("--k8s-policy-deny", "rgb(1, 2, 3)");
    const mark = verdictOf(hops(el).at(-1)!)!.querySelector(".mark")!;
    expect(getComputedStyle(mark).color).to.equal("rgb(1, 2, 3)");
    expect(getComputedStyle(el.shadowRoot!.querySelector("[part=status] .stop strong")!).color).to.equal("rgb(1, 2, 3)");
  });

  it("the lesson on site/network-policy.html: flannel delivers, Calico denies the client and allows a web pod", async () => {
    const page = new DOMParser().parseFromString(await (await fetch("/site/network-policy.html")).text(), "text/html");
    const found = [...page.querySelectorAll("k8s-net-flow")];
    expect(found).to.have.length(3);
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    const els = found.map((e) => host.appendChild(document.importNode(e, true)) as K8sNetFlowElement);
    for (const el of els) await ready(el);
    const status = els.map((el) => el.shadowRoot!.querySelector("[part=status]")!.textContent!);
    expect(status[0]).to.contain("default/client").and.to.contain(": delivered");
    expect(status[1]).to.contain("default/client").and.to.contain(": dropped");
    expect(status[2]).to.contain(WEB).and.to.contain(": delivered, answer delivered");
    expect(el1Stop(els[1]!)).to.match(/^Stopped: Denied by NetworkPolicy at n2's cali-tw-cali81d42b317f7 chain/);
    // The chains the page's text names are the ones the traces went through.
    const text = page.querySelector("section[aria-labelledby=enforced]")!.textContent!;
    const denied = hops(els[1]!).at(-1)!.textContent!;
    const allowed = hops(els[2]!).find((li) => verdictOf(li)?.textContent!.includes(`ingress of ${DB}`))!.textContent!;
    for (const name of ["cali-tw-cali81d42b317f7", "cali-pi-_2Nwdn8riy1sWY1zWPVa"]) expect(text).to.contain(name);
    expect(denied).to.contain("cali-tw-cali81d42b317f7");
    expect(allowed).to.contain("-A cali-pi-_2Nwdn8riy1sWY1zWPVa ");
    expect(hops(els[1]!).some((li) => li.textContent!.includes("-A cali-pro-kns.default "))).to.equal(true);
  });

  for (const scheme of ["light", "dark"] as const) {
    for (const from of ["default/client", WEB]) {
      it(`${from} → the db, ${scheme}, at its policy hop: no axe violations`, async () => {
        await emulateMedia({ colorScheme: scheme });
        const el = await shop(from);
        const list = hops(el);
        el.hop = list.findIndex((li) => verdictOf(li)?.textContent!.includes(`ingress of ${DB}`));
        await el.updateComplete;
        expect(el.shadowRoot!.querySelector("svg g.enforcing")).to.not.equal(null);
        await expect(el).to.be.accessible();
      });
    }
  }
});
