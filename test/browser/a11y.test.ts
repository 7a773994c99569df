// axe-core (through @open-wc/testing's chai-a11y-axe) on rendered elements: every scenario,
// light and dark, and the error panel.
import { expect, fixture, html } from "@open-wc/testing";
import { emulateMedia } from "@web/test-runner-commands";
import "../../components/index.js";
import type { K8sNetFlowElement } from "../../components/index.js";

async function settled(el: K8sNetFlowElement): Promise<void> {
  for (let i = 0; i < 400 && !el.shadowRoot?.querySelector("li[part=hop], [part=status].error"); i++) await new Promise((r) => setTimeout(r, 25));
  await el.updateComplete;
}

describe("<k8s-net-flow> accessibility (axe-core)", () => {
  afterEach(() => emulateMedia({ colorScheme: "light" }));

  for (const scenario of ["pod-to-pod", "pod-to-service", "cross-namespace", "cross-node"]) {
    for (const scheme of ["light", "dark"] as const) {
      it(`${scenario}, ${scheme}: no violations`, async () => {
        await emulateMedia({ colorScheme: scheme });
        const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario=${scenario}></k8s-net-flow>`);
        await settled(el);
        el.step();
        await el.updateComplete;
        await expect(el).to.be.accessible();
      });
    }
  }

  it("two diagrams on one page: no violations between them (no repeated landmarks)", async () => {
    const page = await fixture<HTMLDivElement>(html`<main><k8s-net-flow scenario="pod-to-pod"></k8s-net-flow><k8s-net-flow scenario="pod-to-pod"></k8s-net-flow></main>`);
    for (const el of page.querySelectorAll<K8sNetFlowElement>("k8s-net-flow")) await settled(el);
    await expect(page).to.be.accessible();
  });

  for (const scheme of ["light", "dark"] as const) {
    it(`the NetworkPolicy panel and its table, ${scheme}: no violations`, async () => {
      await emulateMedia({ colorScheme: scheme });
      const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow src="/test/fixtures/policy-shop.yaml" from="default/client" to="shop/db-5bb7fb7d87-g5vpw:5432"></k8s-net-flow>`);
      await settled(el);
      const matrix = el.shadowRoot!.querySelector<HTMLDetailsElement>("details[part=policy-matrix]")!;
      matrix.open = true;
      for (let i = 0; i < 200 && !matrix.querySelector("table"); i++) await new Promise((r) => setTimeout(r, 25));
      expect(matrix.querySelector("table")).to.not.equal(null);
      await expect(el).to.be.accessible();
    });
  }

  it("the error panel: no violations", async () => {
    const el = await fixture<K8sNetFlowElement>(html`<k8s-net-flow scenario="no-such-lesson"></k8s-net-flow>`);
    await settled(el);
    await expect(el).to.be.accessible();
  });
});
