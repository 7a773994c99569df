// Felix's filter chains for a Calico cluster with NetworkPolicies, checked line for line against
// what docs/calico-policy-iptables.md computed independently (its Python script) and what it
// saw on real nodes: the worked example of §10 (shop/db-allow-web), the static chains of §2
// (hashes equal to real dumps), the profile of §5, and the helpers' hashes against §7 and §9.
import { describe, expect, it } from "vitest";
import { felixRuleHashes, lengthLimitedId } from "../../../src/compile/calico-policy.js";
import { createEngine } from "../../../src/index.js";

const policy = (ns: string, name: string, spec: string) =>
  `---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n${spec}`;

/** §10: web-1 and db-1 on their own nodes, no CoreDNS, db-allow-web. */
const SHOP = `nodes: [{ name: n1 }, { name: n2 }]
namespaces: [shop]
pods:
  - { name: web-1, namespace: shop, labels: { app: web }, node: n1 }
  - { name: db-1, namespace: shop, labels: { app: db }, node: n2 }
settings: { cni: { plugin: calico, mode: ipip }, coreDNSReplicas: 0 }
${policy("shop", "db-allow-web", `  podSelector: { matchLabels: { app: db } }
  policyTypes: [Ingress]
  ingress: [{ from: [{ podSelector: { matchLabels: { app: web } } }], ports: [{ protocol: TCP, port: 5432 }] }]
`)}`;

/** Each node's `iptables-save -t filter`, as lines. */
async function filterTables(text: string, nodes: string[]): Promise<Record<string, string[]>> {
  const e = await createEngine({ host: "inline" });
  try {
    await e.load({ text });
    const out: Record<string, string[]> = {};
    for (const node of nodes) out[node] = (await e.show({ command: "iptables-save -t filter", node })).stdout.split("\n");
    return out;
  } finally {
    await e.dispose();
  }
}

/** The `-A <chain> ` lines of one chain, in order. */
const chain = (lines: string[], name: string) => lines.filter((l) => l.startsWith(`-A ${name} `));
const declared = (lines: string[], name: string) => lines.includes(`:${name} - [0:0]`);

const DB = "cali7fd651e3ab8";
const WEB = "cali751425ce827";
const SET = "cali40s:8KuBXZF_119AEISz3LhUQWH";
const PI = "cali-pi-_5xj6AY6RqtTDcrRjrph";

describe("Calico filter chains: the worked example of docs/calico-policy-iptables.md §10", async () => {
  const t = await filterTables(SHOP, ["n1", "n2"]);
  const n1 = t.n1!;
  const n2 = t.n2!;

  it("names db-1's veth, the source ipset and the policy chain as the doc computed (§10.2)", () => {
    expect(declared(n2, `cali-tw-${DB}`)).toBe(true);
    expect(declared(n2, `cali-fw-${DB}`)).toBe(true);
    expect(declared(n1, `cali-tw-${WEB}`)).toBe(true);
    expect(declared(n2, PI)).toBe(true);
    expect(n2.join("\n")).toContain(`-m set --match-set ${SET} src`);
    // No egress type: the cali-po- chain is not programmed.
    expect(n2.some((l) => l.includes("cali-po-"))).toBe(false);
  });

  it("renders the policy chain, old format (§10.3)", () => {
    expect(chain(n2, PI)).toEqual([
      `-A ${PI} -p tcp -m comment --comment "cali:QCxr6gpkVim7Ou72" -m set --match-set ${SET} src -m multiport --dports 5432 -j MARK --set-xmark 0x10000/0x10000`,
      `-A ${PI} -m comment --comment "cali:sJNAHLERo7qEhjKC" -m mark --mark 0x10000/0x10000 -j RETURN`,
    ]);
  });

  it("renders db-1's endpoint chains (§10.4)", () => {
    expect(chain(n2, `cali-tw-${DB}`)).toEqual([
      `-A cali-tw-${DB} -m comment --comment "cali:Tl4xEV7JqpLNDjAA" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A cali-tw-${DB} -m comment --comment "cali:14Obd61HjJmQfyT7" -m conntrack --ctstate INVALID -j DROP`,
      `-A cali-tw-${DB} -m comment --comment "cali:K7C93O3Y8bk35PO0" -j MARK --set-xmark 0x0/0x10000`,
      `-A cali-tw-${DB} -m comment --comment "cali:2iXMVQ6366Ua4Boi" -m comment --comment "Start of policies" -j MARK --set-xmark 0x0/0x20000`,
      `-A cali-tw-${DB} -m comment --comment "cali:xMOAJ-h65viCZybv" -m mark --mark 0x0/0x20000 -j ${PI}`,
      `-A cali-tw-${DB} -m comment --comment "cali:R5VjAEFPSiy1xSLc" -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A cali-tw-${DB} -m comment --comment "cali:-IeJmXJG1_LpW70u" -m comment --comment "Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP`,
      `-A cali-tw-${DB} -m comment --comment "cali:M2javgGODTCDVno0" -j cali-pri-kns.shop`,
      `-A cali-tw-${DB} -m comment --comment "cali:t8YgqY8rEwaZuWvt" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A cali-tw-${DB} -m comment --comment "cali:kdsZBKxIQQQVN59M" -j cali-pri-ksa.shop.default`,
      `-A cali-tw-${DB} -m comment --comment "cali:NpswTngn44pMtGkf" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A cali-tw-${DB} -m comment --comment "cali:E3fSWF1bxa1ELCZl" -m comment --comment "Drop if no profiles matched" -j DROP`,
    ]);
    expect(chain(n2, `cali-fw-${DB}`)).toEqual([
      `-A cali-fw-${DB} -m comment --comment "cali:rsYWSAgux8pxzRep" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A cali-fw-${DB} -m comment --comment "cali:avlyjhMBV_A6GHFw" -m conntrack --ctstate INVALID -j DROP`,
      `-A cali-fw-${DB} -m comment --comment "cali:4iA2yP0_Z_v0hvm_" -j MARK --set-xmark 0x0/0x10000`,
      `-A cali-fw-${DB} -p udp -m comment --comment "cali:5XjknsbwJ_kGwok7" -m comment --comment "Drop VXLAN encapped packets originating in pods" -m multiport --dports 4789 -j DROP`,
      `-A cali-fw-${DB} -p ipencap -m comment --comment "cali:drjQpotpKWQIcG6f" -m comment --comment "Drop IPinIP encapped packets originating in pods" -j DROP`,
      `-A cali-fw-${DB} -m comment --comment "cali:LaUacEQeqdB-XRXS" -j cali-pro-kns.shop`,
      `-A cali-fw-${DB} -m comment --comment "cali:_XKqYa9e_RmapZtx" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A cali-fw-${DB} -m comment --comment "cali:EyPpIG9abjJ2e6ja" -j cali-pro-ksa.shop.default`,
      `-A cali-fw-${DB} -m comment --comment "cali:iHeNIjVWE2aEWcDm" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A cali-fw-${DB} -m comment --comment "cali:OT_BxMZrj5OT3l8f" -m comment --comment "Drop if no profiles matched" -j DROP`,
    ]);
  });

  it("dispatches to db-1 alone on its node (§10.5)", () => {
    expect(chain(n2, "cali-from-wl-dispatch")).toEqual([
      `-A cali-from-wl-dispatch -i ${DB} -m comment --comment "cali:X_oqCteNNy3nhr8w" -g cali-fw-${DB}`,
      `-A cali-from-wl-dispatch -m comment --comment "cali:bJoe7LKFu5kOybtm" -m comment --comment "Unknown interface" -j DROP`,
    ]);
    expect(chain(n2, "cali-to-wl-dispatch")).toEqual([
      `-A cali-to-wl-dispatch -o ${DB} -m comment --comment "cali:mmlSpBcJ3fhnwBx9" -g cali-tw-${DB}`,
      `-A cali-to-wl-dispatch -m comment --comment "cali:eHVDwwoLSTG69SO-" -m comment --comment "Unknown interface" -j DROP`,
    ]);
  });

  it("renders the namespace profile, old format (§5), and the service account's as an empty chain", () => {
    for (const lines of [n1, n2]) {
      expect(chain(lines, "cali-pri-kns.shop")).toEqual([
        `-A cali-pri-kns.shop -m comment --comment "cali:kiskKsY1SYvlz0C2" -j MARK --set-xmark 0x10000/0x10000`,
        `-A cali-pri-kns.shop -m comment --comment "cali:oWw6qhlI15mPeS7d" -m mark --mark 0x10000/0x10000 -j RETURN`,
      ]);
      expect(declared(lines, "cali-pri-ksa.shop.default")).toBe(true);
      expect(chain(lines, "cali-pri-ksa.shop.default")).toEqual([]);
    }
  });

  it("writes the static rules with the hashes checked against real nodes (§2, §10.5)", () => {
    for (const lines of [n1, n2]) {
      // Hooks, inserted first in their built-in chains.
      expect(chain(lines, "INPUT")[0]).toBe(`-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT`);
      expect(chain(lines, "OUTPUT")[0]).toBe(`-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT`);
      const forward = chain(lines, "FORWARD");
      expect(forward[0]).toBe(`-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD`);
      // Appended last in FORWARD (hashed as FORWARD*appends*).
      expect(forward.slice(-2)).toEqual([
        `-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT`,
        `-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" -j MARK --set-xmark 0x10000/0x10000`,
      ]);
      expect(chain(lines, "cali-FORWARD")).toEqual([
        `-A cali-FORWARD -m comment --comment "cali:vjrMJCRpqwy5oRoX" -j MARK --set-xmark 0x0/0xe0000`,
        `-A cali-FORWARD -m comment --comment "cali:A_sPAO0mcxbT9mOV" -m mark --mark 0x0/0x10000 -j cali-from-hep-forward`,
        `-A cali-FORWARD -i cali+ -m comment --comment "cali:8ZoYfO5HKXWbB3pk" -j cali-from-wl-dispatch`,
        `-A cali-FORWARD -o cali+ -m comment --comment "cali:jdEuaPBe14V2hutn" -j cali-to-wl-dispatch`,
        `-A cali-FORWARD -m comment --comment "cali:12bc6HljsMKsmfr-" -j cali-to-hep-forward`,
        `-A cali-FORWARD -m comment --comment "cali:NOSxoaGx8OIstr1z" -j cali-cidr-block`,
      ]);
      expect(chain(lines, "cali-wl-to-host")).toEqual([
        `-A cali-wl-to-host -m comment --comment "cali:Ee9Sbo10IpVujdIY" -j cali-from-wl-dispatch`,
        `-A cali-wl-to-host -m comment --comment "cali:nSZbcOoG1xPONxb8" -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT`,
      ]);
    }
  });

  it("keeps a pod's chains and dispatch on its node, and the policy chain where a selected pod is", () => {
    // db-1 is on n2 only; web-1 on n1 only.
    for (const name of [`cali-tw-${DB}`, `cali-fw-${DB}`, PI]) {
      expect(declared(n2, name)).toBe(true);
      expect(declared(n1, name)).toBe(false);
      expect(n1.some((l) => l.includes(name))).toBe(false);
    }
    for (const name of [`cali-tw-${WEB}`, `cali-fw-${WEB}`]) {
      expect(declared(n1, name)).toBe(true);
      expect(declared(n2, name)).toBe(false);
      expect(n2.some((l) => l.includes(name))).toBe(false);
    }
    // n1's dispatch names web-1 alone: its veth is the whole common prefix there too.
    expect(chain(n1, "cali-from-wl-dispatch")[0]).toBe(`-A cali-from-wl-dispatch -i ${WEB} -m comment --comment "cali:_Hc9fFWP8h53tEmp" -g cali-fw-${WEB}`);
    expect(chain(n1, "cali-to-wl-dispatch")[0]).toBe(`-A cali-to-wl-dispatch -o ${WEB} -m comment --comment "cali:IFHT9-VtNQINTh4V" -g cali-tw-${WEB}`);
    // No policy selects web-1: no policy chain, profiles only.
    expect(n1.some((l) => l.includes("cali-pi-") || l.includes(SET))).toBe(false);
    expect(chain(n1, `cali-tw-${WEB}`).some((l) => l.includes("Start of policies"))).toBe(false);
  });
});

describe("Calico dispatch with both pods on one node (§10.5)", () => {
  it("stays flat: the bins cali75 and cali7f hold one name each", async () => {
    const text = SHOP.replace("node: n1 }", "node: n2 }");
    const { n1, n2 } = await filterTables(text, ["n1", "n2"]);
    expect(chain(n2!, "cali-from-wl-dispatch")).toEqual([
      `-A cali-from-wl-dispatch -i ${WEB} -m comment --comment "cali:_Hc9fFWP8h53tEmp" -g cali-fw-${WEB}`,
      `-A cali-from-wl-dispatch -i ${DB} -m comment --comment "cali:H5LxdJMxb9w2y48G" -g cali-fw-${DB}`,
      `-A cali-from-wl-dispatch -m comment --comment "cali:2tjVWPQUDvP7C9t6" -m comment --comment "Unknown interface" -j DROP`,
    ]);
    expect(chain(n2!, "cali-to-wl-dispatch")).toEqual([
      `-A cali-to-wl-dispatch -o ${WEB} -m comment --comment "cali:IFHT9-VtNQINTh4V" -g cali-tw-${WEB}`,
      `-A cali-to-wl-dispatch -o ${DB} -m comment --comment "cali:MNzItqUVA8l0BSF3" -g cali-tw-${DB}`,
      `-A cali-to-wl-dispatch -m comment --comment "cali:VNKIGFb-PV6_wv5j" -m comment --comment "Unknown interface" -j DROP`,
    ]);
    // n1 has no pods: only the Unknown interface drops, and no endpoint or policy chain.
    // (hashes from the doc's Python rule_hashes)
    expect(chain(n1!, "cali-from-wl-dispatch")).toEqual([`-A cali-from-wl-dispatch -m comment --comment "cali:zTj6P0TIgYvgz-md" -m comment --comment "Unknown interface" -j DROP`]);
    expect(chain(n1!, "cali-to-wl-dispatch")).toEqual([`-A cali-to-wl-dispatch -m comment --comment "cali:7KNphB1nNHw80nIO" -m comment --comment "Unknown interface" -j DROP`]);
    expect(n1!.some((l) => /cali-[tf]w-|cali-pi-/.test(l))).toBe(false);
  });
});

describe("Felix's hashes and names (helpers)", () => {
  it("lengthLimitedId gives the policy chain names seen on real nodes (§7.1, Generations table) and computed in §10.2", () => {
    expect(lengthLimitedId("cali-pi-", "default/knp.default.allow-db-access", 28)).toBe("cali-pi-_tTE-E7yY40ogArNVgKt");
    expect(lengthLimitedId("cali-pi-", "knp/team-b/deny-from-other-ns", 28)).toBe("cali-pi-_qA9lGysOzwIsyVf0V23");
    expect(lengthLimitedId("cali-pi-", "shop/knp.default.db-allow-web")).toBe(PI);
    expect(lengthLimitedId("cali-pi-", "knp/shop/db-allow-web")).toBe("cali-pi-_CcdORWkDik9oFV_-i_7");
    // Short ids are kept (endpoint chains: prefix and a 15-character veth).
    expect(lengthLimitedId("cali-fw-", DB)).toBe(`cali-fw-${DB}`);
    expect(lengthLimitedId("cali-pi-", "x".repeat(20))).toBe(`cali-pi-${"x".repeat(20)}`);
    expect(lengthLimitedId("cali-pi-", `_${"x".repeat(19)}`)).toMatch(/^cali-pi-_[\w-]{19}$/);
  });

  it("felixRuleHashes chains SHA-224 over Felix's rule texts (§1.2): cali-FORWARD and FORWARD*appends* of real dumps", () => {
    const fwd = (rest: string) => `-A cali-FORWARD HASH ${rest}`;
    expect(felixRuleHashes("cali-FORWARD", [
      fwd("--jump MARK --set-mark 0/0xe0000"),
      fwd("-m mark --mark 0/0x10000 --jump cali-from-hep-forward"),
      fwd("--in-interface cali+ --jump cali-from-wl-dispatch"),
      fwd("--out-interface cali+ --jump cali-to-wl-dispatch"),
      fwd("--jump cali-to-hep-forward"),
      fwd("--jump cali-cidr-block"),
    ])).toEqual(["vjrMJCRpqwy5oRoX", "A_sPAO0mcxbT9mOV", "8ZoYfO5HKXWbB3pk", "jdEuaPBe14V2hutn", "12bc6HljsMKsmfr-", "NOSxoaGx8OIstr1z"]);
    const app = "FORWARD*appends*";
    expect(felixRuleHashes(app, [
      `-A ${app} HASH -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 --jump ACCEPT`,
      `-A ${app} HASH --jump MARK --set-mark 0x10000/0x10000`,
    ])).toEqual(["S93hcgKJrXEqnTfs", "mp77cMpurHhyjLrM"]);
    expect(felixRuleHashes("FORWARD", ["-A FORWARD HASH --jump cali-FORWARD"])).toEqual(["wUHhoiAYhphO9Mso"]);
    // §10.3's hash input of the policy rule.
    expect(felixRuleHashes(PI, [
      `-A ${PI} HASH -p tcp -m set --match-set ${SET} src -m multiport --destination-ports 5432 --jump MARK --set-mark 0x10000/0x10000`,
      `-A ${PI} HASH -m mark --mark 0x10000/0x10000 --jump RETURN`,
    ])).toEqual(["QCxr6gpkVim7Ou72", "sJNAHLERo7qEhjKC"]);
  });

  it("names ipsets as on real nodes: §9's minikube dump (default/allow-db-access) and §6's 3.3x namespaceSelector set", async () => {
    const text = `nodes: [{ name: n1 }]
namespaces: [team-b]
pods:
  - { name: db, labels: { app: db }, node: n1 }
  - { name: client, labels: { networking/allow-db-access: "true" }, node: n1 }
  - { name: b, namespace: team-b, labels: { app: b }, node: n1 }
settings: { cni: { plugin: calico, mode: ipip }, coreDNSReplicas: 0 }
${policy("default", "allow-db-access", `  podSelector: { matchLabels: { app: db } }
  ingress: [{ from: [{ podSelector: { matchLabels: { networking/allow-db-access: "true" } } }] }]
`)}
${policy("team-b", "deny-from-other-ns", `  podSelector: {}
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: team-b } } }] }]
`)}`;
    const { n1 } = await filterTables(text, ["n1"]);
    // §9: chain and set names, and the rule without ports (all of them reproduced there).
    expect(declared(n1!, "cali-pi-_tTE-E7yY40ogArNVgKt")).toBe(true);
    // (the doc reproduced the dump's two hashes without listing them: these are its Python rule_hashes)
    expect(chain(n1!, "cali-pi-_tTE-E7yY40ogArNVgKt")).toEqual([
      `-A cali-pi-_tTE-E7yY40ogArNVgKt -m comment --comment "cali:M4Und37HGrw6jUk8" -m set --match-set cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge src -j MARK --set-xmark 0x10000/0x10000`,
      `-A cali-pi-_tTE-E7yY40ogArNVgKt -m comment --comment "cali:sEnlfZagUFRSPRoe" -m mark --mark 0x10000/0x10000 -j RETURN`,
    ]);
    // §6: a namespaceSelector peer still carries the pod clause.
    expect(n1!.join("\n")).toContain("-m set --match-set cali40s:a_sG3wUbuH4Nz-nbt4Bl5Dz src");
  });
});
