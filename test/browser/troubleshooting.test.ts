// <k8s-net-flow>'s `faults` (a cluster broken on purpose) and the Troubleshooting lesson
// (site/troubleshooting.html): the attribute is laid over the cluster's settings.faults, the
// "Break the cluster" switch re-traces without the faults and back, the client's terminal shows
// when the trace has one, a bad fault is an error the element recovers from, and every lesson's
// diagram reaches its verdict, accessibly.
import { expect, fixture, html } from "@open-wc/testing";
import { emulateMedia } from "@web/test-runner-commands";
import "../../components/index.js";
import type { K8sNetFlowElement } from "../../components/index.js";

const SHOP = `nodes: [{ name: n1 }, { name: n2 }]
namespaces: [shop]
pods:
  - { name: client, node: n1 }
  - { name: db-0, namespace: shop, node: n2, labels: { app: db }, ports: ["5432"] }
services:
  - { name: db, namespace: shop, clusterIP: 10.96.0.50, selector: { app: db }, ports: ["5432"] }
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const status = (el: K8sNetFlowElement) => el.shadowRoot!.querySelector("[part=status]")!.textContent!.replace(/\s+/g, " ");
const toggle = (el: K8sNetFlowElement) => el.shadowRoot!.querySelector<HTMLInputElement>("[part=faults] input");

/** Waits for a drawn trace or an error (not the state left by a previous run). */
async function settled(el: K8sNetFlowElement): Promise<void> {
  await el.updateComplete;
  for (let i = 0; i < 400 && !el.shadowRoot?.querySelector("li[part=hop], [part=status].error"); i++) await sleep(25);
  await el.updateComplete;
}

/** Waits for the next k8s-trace or k8s-error after `act`. */
async function next(el: K8sNetFlowElement, act: () => void | Promise<void>): Promise<Event> {
  const done = new Promise<Event>((resolve) => {
    const on = (e: Event) => {
      el.removeEventListener("k8s-trace", on);
      el.removeEventListener("k8s-error", on);
      resolve(e);
    };
    el.addEventListener("k8s-trace", on);
    el.addEventListener("k8s-error", on);
  });
  await act();
  const e = await done;
  await settled(el);
  return e;
}

async function shop(faults: string, yaml = SHOP, to = "10.96.0.50:5432"): Promise<K8sNetFlowElement> {
  const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow from="default/client" to=${to} faults=${faults}><script type="application/yaml">${yaml}</script></k8s-net-flow>`);
  await settled(el);
  return el;
}

const verdictOf = (e: Event) => (e as CustomEvent<{ trace: { verdict: string } }>).detail.trace.verdict;

describe("<k8s-net-flow> faults", () => {
  afterEach(() => emulateMedia({ colorScheme: "light" }));

  it("reflects the faults attribute and lays it over the cluster's settings.faults", async () => {
    // The cluster's own fault (pod-not-ready) is replaced by the element's (coredns-down).
    const el = await shop("coredns-down", `${SHOP}settings: { faults: [pod-not-ready=shop/db-0] }\n`);
    expect(el.faults).to.equal("coredns-down");
    expect(status(el)).to.contain("delivered"); // by ClusterIP, DNS is not needed, the db is Ready
    const e = await next(el, () => {
      el.faults = "pod-not-ready=shop/db-0 coredns-down";
    });
    expect(el.getAttribute("faults")).to.equal("pod-not-ready=shop/db-0 coredns-down");
    expect(verdictOf(e)).to.equal("rejected");
    expect(toggle(el)!.closest("label")!.textContent).to.contain("pod-not-ready=shop/db-0 coredns-down");
    // Without the attribute, the cluster's own faults apply again (and there is no switch).
    await next(el, () => el.removeAttribute("faults"));
    expect(status(el)).to.contain("rejected");
    expect(toggle(el)).to.equal(null);
  });

  it("works for a model property's own settings too (replaced, not merged)", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow from="default/client" to="10.96.0.50:5432"></k8s-net-flow>`);
    const model = {
      nodes: [{ name: "n1" }, { name: "n2" }],
      namespaces: ["shop"],
      pods: [{ name: "client", node: "n1" }, { name: "db-0", namespace: "shop", node: "n2", labels: { app: "db" }, ports: ["5432"] }],
      services: [{ name: "db", namespace: "shop", clusterIP: "10.96.0.50", selector: { app: "db" }, ports: ["5432"] }],
      settings: { faults: ["coredns-down"] },
    };
    const e = await next(el, () => {
      el.model = model as never;
      el.faults = "selector-mismatch=shop/db";
    });
    expect(verdictOf(e)).to.equal("rejected");
    expect(status(el)).to.contain("rejected");
  });

  it("the switch re-traces without the faults and back: rejected broken, delivered healthy", async () => {
    const el = await shop("pod-not-ready=shop/db-0");
    expect(status(el)).to.contain("rejected");
    const input = toggle(el)!;
    expect(input.checked).to.equal(true);
    expect(input.getAttribute("role")).to.equal("switch");
    expect(input.closest("[part=controls]")).to.not.equal(null);
    expect(input.closest("label")!.textContent!.replace(/\s+/g, " ")).to.contain("Break the cluster: pod-not-ready=shop/db-0");
    expect(el.shadowRoot!.querySelector("li[part=hop]:last-of-type")!.textContent).to.contain("Connection refused");

    // Keyboard: focus the switch, Space toggles it; focus stays on it after the new trace.
    input.focus();
    const healthy = await next(el, () => {
      input.click(); // what Space on a focused checkbox does
    });
    expect(verdictOf(healthy)).to.equal("delivered");
    expect(status(el)).to.contain("delivered");
    expect(toggle(el)!.checked).to.equal(false);
    expect(el.shadowRoot!.activeElement).to.equal(toggle(el));
    expect(el.faults).to.equal("pod-not-ready=shop/db-0"); // the attribute is the author's: unchanged

    const broken = await next(el, () => toggle(el)!.click());
    expect(verdictOf(broken)).to.equal("rejected");
    expect(toggle(el)!.checked).to.equal(true);
  });

  it("new faults break the cluster again", async () => {
    const el = await shop("pod-not-ready=shop/db-0");
    await next(el, () => toggle(el)!.click());
    expect(status(el)).to.contain("delivered");
    const e = await next(el, () => {
      el.faults = "selector-mismatch=shop/db";
    });
    expect(verdictOf(e)).to.equal("rejected");
    expect(toggle(el)!.checked).to.equal(true);
  });

  it("shows what the client prints when the trace has it, broken and healthy", async () => {
    const el = await shop("pod-not-ready=shop/db-0");
    type WithClient = { trace: { client?: { command: string; output: string; exitCode: number; outcome: string } } };
    const state = (el as unknown as { engine: { state: WithClient } }).engine.state;
    if (state.trace.client) {
      // The engine gives it: shown as a terminal, in both states.
      const broken = el.shadowRoot!.querySelector("[part=client]")!;
      expect(broken.textContent).to.contain(state.trace.client.command);
      await next(el, () => toggle(el)!.click());
      const healthy = el.shadowRoot!.querySelector("[part=client]")!;
      expect(healthy).to.not.equal(null);
      expect(healthy.textContent).to.contain((el as unknown as { engine: { state: WithClient } }).engine.state.trace.client!.command);
    } else {
      expect(el.shadowRoot!.querySelector("[part=client]")).to.equal(null);
    }
    // Whatever the engine gives, a trace with a client view shows it (command, output, status).
    (el as unknown as { engine: { state: WithClient } }).engine.state.trace.client = { command: "curl -sS http://10.96.0.50:5432/", output: "curl: (7) Failed to connect to 10.96.0.50 port 5432: Connection refused\n", exitCode: 7, outcome: "refused" };
    el.requestUpdate();
    await el.updateComplete;
    const block = el.shadowRoot!.querySelector("[part=client]")!;
    expect(block.querySelector("pre")!.textContent).to.equal("$ curl -sS http://10.96.0.50:5432/\ncurl: (7) Failed to connect to 10.96.0.50 port 5432: Connection refused");
    expect(block.textContent).to.contain("exit status 7");
    expect(block.textContent).to.contain("refused");
    await expect(el).to.be.accessible();
  });

  it("a bad fault raises k8s-error (code, path, message) and the element recovers", async () => {
    const el = await shop("pod-not-ready=shop/db-0");
    const unknown = await next(el, () => {
      el.faults = "pod-sad=shop/db-0";
    });
    expect(unknown.type).to.equal("k8s-error");
    const info = (unknown as CustomEvent<{ error: { code: string; path: string; message: string } }>).detail.error;
    expect(info.code).to.equal("invalid-input");
    expect(info.path).to.equal("faults");
    expect(info.message).to.contain('unknown fault "pod-sad"');
    expect(el.shadowRoot!.querySelector("[part=status]")!.classList.contains("error")).to.equal(true);

    // A fault naming a pod the cluster does not have: the engine's error, with its settings path.
    const missing = await next(el, () => {
      el.faults = "pod-not-ready=shop/db-9";
    });
    expect(missing.type).to.equal("k8s-error");
    expect(status(el)).to.contain("no pod shop/db-9");

    const ok = await next(el, () => {
      el.faults = "selector-mismatch=shop/db";
    });
    expect(verdictOf(ok)).to.equal("rejected");
    expect(el.shadowRoot!.querySelector("[part=status]")!.classList.contains("error")).to.equal(false);
  });

  it("reflects reply-size and size and passes them to the trace as replySize and size", async () => {
    // mtu-mismatch: an answer of 1450 bytes fits flannel.1, one of 1500 does not.
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow from="default/client" to="10.96.0.50:5432" faults="mtu-mismatch" reply-size="1450"><script type="application/yaml">${SHOP}</script></k8s-net-flow>`);
    await settled(el);
    expect(el.replySize).to.equal(1450);
    expect(el.size).to.equal(undefined);
    expect(el.hasAttribute("size")).to.equal(false);
    type Traced = { hops: Array<{ phase: string; packet: { length: number } }>; verdict: string; replyVerdict?: string };
    const traced = () => (el as unknown as { engine: { state: { trace: Traced } } }).engine.state.trace;
    expect(status(el)).to.contain("delivered, answer delivered");
    expect(traced().hops.filter((h) => h.phase === "request").every((h) => h.packet.length === 60)).to.equal(true);
    expect(traced().hops.filter((h) => h.phase === "reply").every((h) => h.packet.length === 1450)).to.equal(true);

    const big = await next(el, () => {
      el.replySize = 1500;
    });
    expect(el.getAttribute("reply-size")).to.equal("1500");
    const trace = (big as CustomEvent<{ trace: Traced }>).detail.trace;
    expect(trace.replyVerdict).to.equal("dropped");
    expect(trace.hops.filter((h) => h.phase === "reply")[0]!.packet.length).to.equal(1500);
    expect(trace.hops.some((h) => h.phase === "error")).to.equal(true);
    expect(el.shadowRoot!.querySelector("li[part=hop]:last-of-type")!.textContent).to.contain("fragmentation needed, next-hop MTU 1450");

    // The request's size: reflected too, and its packets are that long.
    await next(el, () => el.setAttribute("size", "200"));
    expect(el.size).to.equal(200);
    expect(traced().hops.filter((h) => h.phase === "request").every((h) => h.packet.length === 200)).to.equal(true);

    // Removing the attributes: the engine's defaults again (60, and the answer as long as the request).
    await next(el, () => {
      el.removeAttribute("size");
      el.removeAttribute("reply-size");
    });
    expect(status(el)).to.contain("delivered, answer delivered");
    expect(traced().hops.every((h) => h.phase !== "reply" || h.packet.length === 60)).to.equal(true);
  });

  it("a reply-size or size out of range is a k8s-error naming the attribute; the element recovers", async () => {
    const el = await shop("mtu-mismatch");
    for (const [attribute, value] of [["reply-size", "19"], ["reply-size", "65536"], ["reply-size", "1.5"], ["reply-size", "big"], ["size", "70000"]] as const) {
      const e = await next(el, () => el.setAttribute(attribute, value));
      expect(e.type, `${attribute}=${value}`).to.equal("k8s-error");
      const info = (e as CustomEvent<{ error: { code: string; path: string; message: string } }>).detail.error;
      expect(info, `${attribute}=${value}`).to.include({ code: "invalid-input", path: attribute });
      expect(info.message).to.contain("20 to 65535");
      el.removeAttribute(attribute);
      await settled(el);
    }
    // The engine's own check: a TCP request is at least a SYN's 60 bytes.
    const small = await next(el, () => el.setAttribute("size", "40"));
    expect(small.type).to.equal("k8s-error");
    expect((small as CustomEvent<{ error: { path: string } }>).detail.error.path).to.equal("size");
    const ok = await next(el, () => el.setAttribute("size", "100"));
    expect(verdictOf(ok)).to.equal("delivered");
  });

  for (const scheme of ["light", "dark"] as const) {
    it(`the switch, broken and healthy, ${scheme}: no axe violations`, async () => {
      await emulateMedia({ colorScheme: scheme });
      const el = await shop("default-deny=shop", `${SHOP}settings: { cni: { plugin: calico, mode: ipip } }\n`);
      expect(status(el)).to.contain("dropped");
      await expect(el).to.be.accessible();
      await next(el, () => toggle(el)!.click());
      expect(status(el)).to.contain("delivered");
      await expect(el).to.be.accessible();
    });
  }
});

describe("site/troubleshooting.html", () => {
  /** The page's main, its elements from source (the page itself loads the bundle). */
  async function lesson(): Promise<HTMLElement> {
    const text = await (await fetch("/site/troubleshooting.html")).text();
    const doc = new DOMParser().parseFromString(text, "text/html");
    const main = doc.querySelector("main")!;
    return fixture<HTMLElement>(html`<div>${document.importNode(main, true)}</div>`);
  }

  // What each lesson's diagram must show: broken (its status, a hop's text, the last hop's),
  // then with the switch off (its status, the last hop's text).
  const EXPECTED: Record<string, { broken: RegExp; healthy: RegExp; last: RegExp; end?: RegExp; healthyEnd?: RegExp }> = {
    "pod-not-ready": { broken: /: rejected/, healthy: /: delivered/, last: /Connection refused/ },
    "selector-mismatch": { broken: /: rejected/, healthy: /: delivered/, last: /Connection refused/ },
    "coredns-down": { broken: /: unresolved/, healthy: /: delivered/, last: /Connection refused/ },
    "kube-proxy-stale": { broken: /: dropped/, healthy: /: delivered/, last: /no neighbour answers ARP/ },
    "missing-route": { broken: /: dropped/, healthy: /: delivered/, last: /default via 192\.168\.1\.1 dev eth0/ },
    "default-deny": { broken: /: dropped/, healthy: /: delivered/, last: /Drop if no policies passed packet/ },
    // The answer reaches the client un-NAT'd, from the backend's own address, and is dropped there.
    "br-netfilter-off": {
      broken: /: delivered, answer dropped/,
      healthy: /: delivered, answer delivered/,
      last: /10\.244\.0\.3:5432 → 10\.244\.0\.2/,
      end: /reply · pod · drop[\s\S]*no socket for this reply/,
      healthyEnd: /reply · pod · deliver[\s\S]*10\.96\.0\.50:5432 → 10\.244\.0\.2/,
    },
    // The 1500-byte answer stops at n2's flannel.1, which sends db-0 ICMP fragmentation needed;
    // healthy, db-0's own eth0 (1450) refuses it: no ICMP, nothing dropped on the node.
    "mtu-mismatch": {
      broken: /: delivered, answer dropped/,
      healthy: /: delivered, answer dropped/,
      last: /n2 · host[\s\S]*reply · routing · drop[\s\S]*Frag needed/,
      end: /error · pod · deliver[\s\S]*fragmentation needed, next-hop MTU 1450/,
      healthyEnd: /n2 · shop\/db-0[\s\S]*reply · routing · drop[\s\S]*Dropped in shop\/db-0/,
    },
    // flanneld-stopped=n2: n2 lacks n1's route, so the request arrives (n1 still has n2's) and
    // the answer leaves n2 by the default route; healthy, it goes back through flannel.1.
    "flanneld-stopped": {
      broken: /: delivered, answer dropped/,
      healthy: /: delivered, answer delivered/,
      last: /default via 192\.168\.1\.1 dev eth0/,
      end: /n2 · host[\s\S]*reply · routing · drop[\s\S]*default via 192\.168\.1\.1 dev eth0/,
      healthyEnd: /n1 · default\/client[\s\S]*reply · pod · deliver[\s\S]*10\.96\.0\.50:5432 → 10\.244\.0\.2/,
    },
    // The queries follow the stale entry to CoreDNS's old address, 10.244.0.3, on n1's cni0.
    "stale-udp-conntrack": {
      broken: /: unresolved/,
      healthy: /: delivered/,
      last: /10\.244\.0\.2:\d+ → 10\.244\.0\.3:53/,
      end: /n1 · host[\s\S]*drop[\s\S]*no neighbour answers ARP/,
    },
  };

  it("links from the home page, and has one live diagram per lesson", async () => {
    const home = await (await fetch("/site/index.html")).text();
    expect(home).to.contain('href="troubleshooting.html"');
    const page = await lesson();
    const sections = [...page.querySelectorAll("section")].filter((s) => s.querySelector("k8s-net-flow"));
    expect(sections.map((s) => s.querySelector("h2")!.id)).to.deep.equal(Object.keys(EXPECTED));
  });

  it("each lesson's diagram reaches its verdict broken, and the healthy one with the switch off", async () => {
    const page = await lesson();
    for (const [id, want] of Object.entries(EXPECTED)) {
      const el = page.querySelector<K8sNetFlowElement>(`section[aria-labelledby=${id}] k8s-net-flow`)!;
      el.scrollIntoView();
      await settled(el);
      expect(el.faults, id).to.not.equal("");
      expect(status(el), id).to.match(want.broken);
      const hops = [...el.shadowRoot!.querySelectorAll("li[part=hop]")];
      expect(hops.some((li) => want.last.test(li.textContent!)), `${id}: ${want.last}`).to.equal(true);
      if (want.end) expect(hops.at(-1)!.textContent, `${id}: last hop`).to.match(want.end);
      await next(el, () => toggle(el)!.click());
      expect(status(el), `${id} healthy`).to.match(want.healthy);
      const healthy = [...el.shadowRoot!.querySelectorAll("li[part=hop]")];
      if (want.healthyEnd) expect(healthy.at(-1)!.textContent, `${id}: healthy last hop`).to.match(want.healthyEnd);
      expect(healthy.some((li) => li.querySelector(".action")!.textContent!.startsWith("error ·")), `${id}: no ICMP error healthy`).to.equal(false);
    }
  });

  it("no axe violations on the lessons", async () => {
    const page = await lesson();
    for (const el of page.querySelectorAll<K8sNetFlowElement>("k8s-net-flow")) {
      el.scrollIntoView();
      await settled(el);
    }
    await expect(page).to.be.accessible();
  });
});
