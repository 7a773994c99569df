// The built single-file bundle (dist/k8s-net-flow.js) as a docs page would use it: one
// <script type="module"> whose src is on another origin (a second server, like a CDN).
import { expect } from "@open-wc/testing";
// @ts-expect-error: served by the test runner's cdn-origin plugin (web-test-runner.config.mjs)
import cdn from "/__cdn.js";

const errors: string[] = [];
window.addEventListener("error", (e) => errors.push(e.message));
window.addEventListener("unhandledrejection", (e) => errors.push(String(e.reason)));
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  errors.push(args.map(String).join(" "));
  consoleError(...args);
};

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.type = "module";
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`failed to load ${src}`));
    document.head.append(s);
  });
}

async function hopsOf(el: Element): Promise<Element[]> {
  // Elements start simulating when they come near the viewport.
  el.scrollIntoView();
  for (let i = 0; i < 400; i++) {
    const hops = el.shadowRoot?.querySelectorAll("li[part=hop]");
    if (hops?.length) return [...hops];
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no hops rendered; status: ${el.shadowRoot?.querySelector("[part=status]")?.textContent}`);
}

describe("dist/k8s-net-flow.js from another origin", () => {
  it("is really on another origin", () => {
    expect(new URL(cdn).origin).not.to.equal(location.origin);
  });

  it("renders a live element with Wasm-computed hops, with no console errors", async () => {
    document.body.innerHTML = `<k8s-net-flow scenario="cross-node"></k8s-net-flow>`;
    await loadScript(`${cdn}k8s-net-flow.js`);
    await customElements.whenDefined("k8s-net-flow");
    const hops = await hopsOf(document.querySelector("k8s-net-flow")!);
    expect(hops).to.have.length(20);
    expect(hops[2]!.textContent).to.contain("10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink");
    expect(errors).to.deep.equal([]);
  });

  it("can be loaded a second time on the same page without throwing", async () => {
    await loadScript(`${cdn}k8s-net-flow.js?copy=2`);
    const el = document.createElement("k8s-net-flow");
    el.setAttribute("scenario", "pod-to-pod");
    document.body.append(el);
    const hops = await hopsOf(el);
    expect(hops).to.have.length(10);
    expect(errors).to.deep.equal([]);
  });

  it("exports the engine API too, running in a worker started from the bundle", async () => {
    const mod = await import(/* @vite-ignore */ `${cdn}k8s-net-flow.js`);
    const engine = await mod.createEngine({ host: "auto" });
    expect(engine.host).to.equal("worker");
    await engine.load({ scenario: "cross-node" });
    const trace = await engine.trace({ from: "pod-a", to: "pod-b" });
    expect(trace.hops.filter((h: { phase: string }) => h.phase === "request").at(-1).packet.ttl).to.equal(62);
    await engine.dispose();
    expect(errors).to.deep.equal([]);
  });
});
