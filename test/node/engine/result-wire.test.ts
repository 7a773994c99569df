// A result's long lists cross threads as columns and come back as the same objects, in the same
// key order (the CLI's JSON and whole-result comparisons see no difference).
import { describe, expect, it } from "vitest";
import { packResult, unpackResult } from "../../../src/engine/result-wire.js";
import type { SimulationResult } from "../../../src/engine/simulate.js";

describe("result wire", () => {
  it("packs node pairs and endpoints into columns and unpacks them unchanged", () => {
    const r = {
      plan: { flows: 3 },
      endpoints: [
        { servicePort: "default/a", endpoint: "10.244.0.5:80", connections: 2 },
        { servicePort: "default/b:http", endpoint: "10.244.1.5:8080", connections: 1 },
        { servicePort: "default/a", endpoint: "10.244.2.5:80", connections: 7 },
      ],
      nodePairs: [
        { from: "n1", to: "n2", packets: 5 },
        { from: "n2", to: "n2", packets: 3 },
      ],
      flows: 3,
    } as unknown as SimulationResult;
    const packed = packResult(r);
    expect(packed.nodePairs).toEqual([]);
    expect(packed.endpoints).toEqual([]);
    expect(packed.wire.nodes).toEqual(["n1", "n2"]);
    expect([...packed.wire.pairs]).toEqual([0, 1, 1, 1]);
    expect(packed.wire.servicePorts).toEqual(["default/a", "default/b:http"]);
    expect([...packed.wire.ports]).toEqual([0, 1, 0]);
    const back = unpackResult(structuredClone(packed));
    expect(back).toEqual(r);
    expect(Object.keys(back)).toEqual(Object.keys(r));
    expect(JSON.stringify(back)).toBe(JSON.stringify(r));
  });
});
