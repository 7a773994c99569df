// Several elements on one page share one engine: one module Worker, one Wasm instance.
import { expect } from "@open-wc/testing";

describe("elements on one page", () => {
  it("share one engine worker", async () => {
    let started = 0;
    const Native = window.Worker;
    window.Worker = class extends Native {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        started++;
      }
    };
    try {
      await import("../../components/index.js");
      document.body.innerHTML = ["cross-node", "pod-to-pod", "pod-to-service", "cross-namespace"].map((s) => `<k8s-net-flow scenario="${s}"></k8s-net-flow>`).join("");
      const elements = [...document.querySelectorAll("k8s-net-flow")];
      for (const el of elements) {
        for (let i = 0; i < 400 && !el.shadowRoot?.querySelector("li[part=hop]"); i++) await new Promise((r) => setTimeout(r, 25));
        expect(el.shadowRoot!.querySelectorAll("li[part=hop]").length).to.be.greaterThan(0);
      }
      expect(started).to.equal(1);
    } finally {
      window.Worker = Native;
    }
  });
});
