// A docs page whose Content-Security-Policy forbids blob: workers: the bundle (from another
// origin) notices, runs the engine in the page's thread, and says so once in the console.
import { expect } from "@open-wc/testing";
// @ts-expect-error: served by the test runner's cdn-origin plugin (web-test-runner.config.mjs)
import cdn from "/__cdn.js";

describe("a page whose CSP forbids blob: workers", () => {
  it("still renders every element, in-thread, with one console note", async () => {
    const frame = document.createElement("iframe");
    // worker-src 'self' allows same-origin worker scripts only: the engine's blob: worker is refused.
    frame.srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="worker-src 'self'">
<script>
  window.notes = []; window.errors = [];
  const info = console.info.bind(console);
  console.info = (...a) => { window.notes.push(a.join(" ")); info(...a); };
  addEventListener("securitypolicyviolation", (e) => window.notes.push("csp:" + e.violatedDirective));
  addEventListener("unhandledrejection", (e) => window.errors.push(String(e.reason)));
</script>
<k8s-net-flow scenario="cross-node"></k8s-net-flow>
<k8s-net-flow scenario="pod-to-pod"></k8s-net-flow>
<script type="module" src="${cdn}k8s-net-flow.js"></script>`;
    document.body.append(frame);
    await new Promise((r) => frame.addEventListener("load", r, { once: true }));
    const win = frame.contentWindow as Window & { notes: string[]; errors: string[] };
    const hopsOf = async (el: Element) => {
      el.scrollIntoView(); // elements start simulating near the viewport
      for (let i = 0; i < 400; i++) {
        const n = el.shadowRoot?.querySelectorAll("li[part=hop]").length ?? 0;
        if (n) return n;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no hops; status: ${el.shadowRoot?.querySelector("[part=status]")?.textContent}`);
    };
    const [a, b] = [...win.document.querySelectorAll("k8s-net-flow")];
    expect(await hopsOf(a!)).to.equal(20);
    expect(await hopsOf(b!)).to.equal(10);
    expect(win.notes.filter((n) => n.startsWith("csp:worker-src")).length).to.be.at.least(1);
    const fallbacks = win.notes.filter((n) => n.includes("running the engine in the page's thread"));
    expect(fallbacks).to.have.length(1);
    // The bundle's own API says where it runs.
    const mod = await (win as unknown as { eval(s: string): Promise<{ createEngine(o?: object): Promise<{ host: string; dispose(): Promise<void> }> }> }).eval(`import(${JSON.stringify(`${cdn}k8s-net-flow.js`)})`);
    const engine = await mod.createEngine();
    expect(engine.host).to.equal("inline");
    await engine.dispose();
    expect(win.errors).to.deep.equal([]);
    frame.remove();
  });

  it("a page that refuses blob: workers and blob: scripts gets an error panel naming the CSP to allow", async () => {
    const frame = document.createElement("iframe");
    const cdnOrigin = new URL(cdn).origin;
    frame.srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="worker-src 'none'; script-src ${cdnOrigin} 'unsafe-inline' 'wasm-unsafe-eval'">
<k8s-net-flow scenario="cross-node"></k8s-net-flow>
<script type="module" src="${cdn}k8s-net-flow.js"></script>`;
    document.body.append(frame);
    await new Promise((r) => frame.addEventListener("load", r, { once: true }));
    const el = frame.contentWindow!.document.querySelector("k8s-net-flow")!;
    let status = "";
    for (let i = 0; i < 400 && !status.includes("Error"); i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = el.shadowRoot?.querySelector("[part=status]")?.textContent ?? "";
    }
    expect(status).to.contain("Error (unsupported)");
    expect(status).to.contain('Content-Security-Policy must allow "worker-src blob:"');
    frame.remove();
  });
});
