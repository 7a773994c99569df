// <k8s-flow-sim> from the built single-file bundle on another origin, with the docs site's
// preset (site/simulate.html): the bundle defines it, its workers start from blob: URLs, and
// it runs and draws on its own (autorun).
import { expect } from "@open-wc/testing";
// @ts-expect-error: served by the test runner's cdn-origin plugin (web-test-runner.config.mjs)
import cdn from "/__cdn.js";

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

describe("<k8s-flow-sim> in dist/k8s-net-flow.js", () => {
  it("is defined by the bundle and runs the docs page's preset", async function () {
    this.timeout(120000);
    await loadScript(`${cdn}k8s-net-flow.js`);
    expect(customElements.get("k8s-flow-sim")).to.be.a("function");
    const host = document.createElement("div");
    host.innerHTML = `<k8s-flow-sim nodes="100" mode="nftables" flows="200000" packets-per-flow="4" workers="2" seed="11" autorun></k8s-flow-sim>`;
    const el = host.firstElementChild as HTMLElement;
    const t0 = performance.now();
    const done = new Promise<CustomEvent>((resolve, reject) => {
      el.addEventListener("k8s-sim-done", (e) => resolve(e as CustomEvent), { once: true });
      el.addEventListener("k8s-error", (e) => reject(new Error(JSON.stringify((e as CustomEvent).detail))), { once: true });
    });
    document.body.append(host);
    const { detail } = await done;
    console.log(`[site preset] 100 nodes, 200,000 flows × 4 packets, 2 workers: ${((performance.now() - t0) / 1000).toFixed(1)} s from autorun to done`);
    expect(detail.result.flows).to.equal(200000);
    await new Promise((r) => requestAnimationFrame(r));
    expect(el.shadowRoot!.querySelector("canvas[part=heatmap]")).to.exist;
    expect(el.shadowRoot!.querySelectorAll("svg[part=histogram] rect.bar").length).to.be.greaterThan(0);
    host.remove();
  });
});
