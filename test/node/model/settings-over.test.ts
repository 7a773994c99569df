// Settings given beside an input (the CLI's --mode/--cni, the elements' mode/cni attributes) are
// laid over the document's own settings, not under them.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../../src/model/load.js";

const text = `nodes: [{ name: n1 }]
settings: { cni: { plugin: calico, mode: ipip }, kubeProxy: { mode: ipvs } }
`;

describe("settings beside a document", () => {
  it("win over the document's, one level deep", () => {
    const { model } = loadModel({ text, settings: { kubeProxy: { mode: "nftables" } } });
    expect(model.settings.kubeProxy.mode).toBe("nftables");
    expect(model.settings.cni).toMatchObject({ plugin: "calico", mode: "ipip" });
    expect(loadModel({ text, settings: { cni: { mtu: 1400 } } }).model.settings.cni).toMatchObject({ plugin: "calico", mode: "ipip", mtu: 1400 });
  });

  it("another CNI plugin comes with its own default mode", () => {
    expect(loadModel({ text, settings: { cni: { plugin: "flannel" } } }).model.settings.cni).toMatchObject({ plugin: "flannel", mode: "vxlan" });
  });
});
