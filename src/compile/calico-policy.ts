// Calico's NetworkPolicy enforcement as Felix writes it into each node's iptables filter table
// (docs/calico-policy-iptables.md has the sources): hooks in FORWARD and INPUT, cali-FORWARD's
// dispatch on the pod's veth (cali+) to a per-endpoint chain (cali-fw-<veth> for what the pod
// sends, cali-tw-<veth> for what it receives), which accepts established traffic, then calls
// the chains of the policies selecting the pod (cali-pi-/cali-po-, one rule pair per Calico
// rule: set the accept mark 0x10000, return) and drops what none accepted — or, when no policy
// selects the pod, calls its namespace's profile (kns.<ns>, allow everything).
//
// The generation rendered is Felix's classic one, which docs/calico-policy-iptables.md
// reproduces hash for hash against a real node's dump: chain ids `<ns>/knp.default.<name>`,
// "Start of policies", the accept mark cleared alone, trailing RETURNs kept. Calico 3.3x
// renames policy chains (`knp/<ns>/<name>`) and rewords a few comments (same doc, table at top).
//
// Every rule carries Felix's `cali:<hash>` comment (SHA-224 chained over the chain's rules in
// Felix's own text form); iptables-save prints the kernel's canonical form of the same rule.

import type { ClusterModel, ClusterPod, Protocol } from "../model/types.js";
import { maskOf, parseIPv4 } from "../net/ipv4.js";
import { PolicyEvaluator } from "../policy/evaluate.js";
import { policyKey, type LabelSelector, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort } from "../policy/types.js";
import { sha224, sha224Into, sha256, utf8 } from "../util/sha256.js";
import type { RuleMatch, RulePolicyVerdict, RuleTarget } from "./iptables.js";
import type { RulesetBuilder } from "./ruleset-builder.js";

const ACCEPT_MARK = 0x10000;
const PASS_MARK = 0x20000;
const SCRATCH0 = 0x40000; // "all blocks matched so far" of a rule's match blocks
const SCRATCH1 = 0x80000;
const PROTO: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
/** DefaultEndpointToHostAction: Felix's own default is DROP; calico.yaml and every real node seen set ACCEPT. */
const ENDPOINT_TO_HOST = "ACCEPT";

/** base64url without padding, as Go's base64.RawURLEncoding. */
function base64url(bytes: Uint8Array): string {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += abc[(n >>> (18 - k * 6)) & 63];
  }
  return out;
}

/** Felix's rule hashes (generictables ruleHashes): SHA-224 of the chain name, then of each digest and rule text in turn. */
export function felixRuleHashes(chain: string, texts: readonly string[]): string[] {
  const h = sha224Into(NO_BYTES, chain, new Uint8Array(28));
  // The previous digest is copied into the message before the new one overwrites it.
  return texts.map((t) => base64url(sha224Into(h, t, h)).slice(0, 16));
}
const NO_BYTES = new Uint8Array(0);

/** hashutils.GetLengthLimitedID: the id itself when it fits, else `_` and the start of base64url(SHA-256(id)). */
export function lengthLimitedId(prefix: string, id: string, max = 28): string {
  const n = prefix.length + id.length;
  if (n < max || (n === max && !id.startsWith("_"))) return prefix + id;
  return `${prefix}_${base64url(sha256(utf8(id))).slice(0, max - 1 - prefix.length)}`;
}

/** hash.MakeUniqueID: `<kind>:` and base64url(SHA-224 of `<kind>:<identifier>`). */
function uniqueId(kind: string, identifier: string): string {
  return `${kind}:${base64url(sha224(utf8(`${kind}:${identifier}`)))}`;
}

/** The kernel's name of an IP set: `cali40` (IPv4, main set) and the id, cut to ipset's 31 characters. */
export function ipsetName(id: string): string {
  return `cali40${id}`.slice(0, 31);
}

// ---- Selectors: the Calico selector a K8s policy's peer becomes, in Felix's canonical text ----

type Sel = { and: Sel[] } | string;

const quote = (v: string) => (v.includes('"') ? `'${v}'` : `"${v}"`);

/** The selector parser's String(): every AND of two or more terms in parentheses, groups never flattened. */
function selText(s: Sel): string {
  if (typeof s === "string") return s;
  if (s.and.length === 1) return selText(s.and[0]!);
  return `(${s.and.map(selText).join(" && ")})`;
}

/** k8sSelectorToCalico's terms: matchLabels by sorted key, then the expressions in order. */
function labelTerms(selector: LabelSelector, prefix: string): string[] {
  const terms = Object.keys(selector.matchLabels).sort().map((k) => `${prefix}${k} == ${quote(selector.matchLabels[k]!)}`);
  for (const e of selector.matchExpressions) {
    const values = `{${[...e.values].sort().map(quote).join(", ")}}`;
    if (e.operator === "In") terms.push(`${prefix}${e.key} in ${values}`);
    else if (e.operator === "NotIn") terms.push(`${prefix}${e.key} not in ${values}`);
    else if (e.operator === "Exists") terms.push(`has(${prefix}${e.key})`);
    else terms.push(`!has(${prefix}${e.key})`);
  }
  return terms;
}

/** A pod peer's endpoint selector (updateprocessors getEndpointSelector): `(namespace part) && (pod part)`. */
function peerSelector(policy: NetworkPolicy, peer: Extract<NetworkPolicyPeer, { kind: "pods" }>): string {
  // A pod selector always starts with the orchestrator term, even when the peer gave none.
  const pods: Sel = { and: ["projectcalico.org/orchestrator == \"k8s\"", ...labelTerms(peer.podSelector, "")] };
  let ns: Sel;
  if (peer.namespaceSelector === null) ns = `projectcalico.org/namespace == ${quote(policy.namespace)}`;
  else {
    const terms = labelTerms(peer.namespaceSelector, "pcns.");
    ns = terms.length ? { and: terms } : "has(projectcalico.org/namespace)";
  }
  return selText({ and: [ns, pods] });
}

// ---- Rules in Felix's text (hashed) and iptables-save's (shown) ----

/** One match of a rule: Felix's words, iptables-save's, and what the dataplane evaluates. */
interface Frag {
  felix: string;
  save: string;
  /** iptables-save prints `-s`, `-d`, `-i`, `-o`, `-p` first, in that order, before the modules. */
  head?: number;
  match: RuleMatch;
}

interface Action {
  felix: string;
  save: string;
  target: RuleTarget;
}

interface FelixRule {
  comments: string[];
  frags: Frag[];
  action: Action;
  policy?: RulePolicyVerdict;
  /** Per-node dispatch: the rule jumps to this node's copy of the chain (see perNode). */
  nodeMap?: number;
}

const hexMark = (v: number) => (v === 0 ? "0" : `0x${v.toString(16)}`);
const saveMark = (v: number) => `0x${v.toString(16)}`;

const F = {
  mark: (value: number, mask: number): Frag => ({ felix: `-m mark --mark ${hexMark(value)}/${hexMark(mask)}`, save: `-m mark --mark ${saveMark(value)}/${saveMark(mask)}`, match: { mark: { value, mask, invert: false } } }),
  iif: (name: string, id: number | "workloads" | { set: number }): Frag => ({ felix: `--in-interface ${name}`, save: `-i ${name}`, head: 2, match: { iif: id } }),
  oif: (name: string, id: number | "workloads" | { set: number }): Frag => ({ felix: `--out-interface ${name}`, save: `-o ${name}`, head: 3, match: { oif: id } }),
  ctstate: (state: "RELATED,ESTABLISHED" | "INVALID"): Frag => ({ felix: `-m conntrack --ctstate ${state}`, save: `-m conntrack --ctstate ${state}`, match: { ctstate: state === "INVALID" ? "INVALID" : "ESTABLISHED" } }),
  proto: (felix: string, save: string, proto: number): Frag => ({ felix: `-p ${felix}`, save: `-p ${save}`, head: 4, match: { proto } }),
  net: (dir: "src" | "dst", cidr: string): Frag => {
    const [addr, len] = cidr.split("/");
    const m = { addr: parseIPv4(addr!, "cidr"), mask: maskOf(Number(len)), invert: false };
    return dir === "src"
      ? { felix: `--source ${cidr}`, save: `-s ${cidr}`, head: 0, match: { src: m } }
      : { felix: `--destination ${cidr}`, save: `-d ${cidr}`, head: 1, match: { dst: m } };
  },
  set: (name: string, set: number, dims: "src" | "dst" | "dst,dst"): Frag => ({ felix: `-m set --match-set ${name} ${dims}`, save: `-m set --match-set ${name} ${dims}`, match: { ipset: { set, dims: dims === "dst,dst" ? "dst,dst" : dims } } }),
  dports: (ranges: Array<[number, number]>): Frag => {
    const text = ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}:${hi}`)).join(",");
    return { felix: `-m multiport --destination-ports ${text}`, save: `-m multiport --dports ${text}`, match: { dports: ranges } };
  },
};

const A = {
  jump: (chain: string, id: number): Action => ({ felix: `--jump ${chain}`, save: `-j ${chain}`, target: { kind: "jump", chain: id } }),
  goto: (chain: string, id: number): Action => ({ felix: `--goto ${chain}`, save: `-g ${chain}`, target: { kind: "goto", chain: id } }),
  accept: (): Action => ({ felix: "--jump ACCEPT", save: "-j ACCEPT", target: { kind: "accept" } }),
  drop: (): Action => ({ felix: "--jump DROP", save: "-j DROP", target: { kind: "drop" } }),
  ret: (): Action => ({ felix: "--jump RETURN", save: "-j RETURN", target: { kind: "return" } }),
  setMark: (value: number, mask: number): Action => ({ felix: `--jump MARK --set-mark ${hexMark(value)}/${hexMark(mask)}`, save: `-j MARK --set-xmark ${saveMark(value)}/${saveMark(mask)}`, target: { kind: "mark-set", value, mask } }),
};

const rule = (frags: Frag[], action: Action, comments: string[] = [], extra: Partial<FelixRule> = {}): FelixRule => ({ comments, frags, action, ...extra });

/** Felix's text of a rule with HASH where its hash comment goes: what the hash is computed over. */
function felixText(chain: string, r: FelixRule): string {
  return ["-A", chain, "HASH", ...r.comments.map((c) => `-m comment --comment "${c}"`), ...r.frags.map((f) => f.felix), r.action.felix].join(" ");
}

/** iptables-save's line: the generic matches first, then the comments, the modules in order, the target. */
function saveText(chain: string, hash: string, r: FelixRule): string {
  const head = r.frags.filter((f) => f.head !== undefined).sort((a, b) => a.head! - b.head!);
  const rest = r.frags.filter((f) => f.head === undefined);
  return ["-A", chain, ...head.map((f) => f.save), `-m comment --comment "cali:${hash}"`, ...r.comments.map((c) => `-m comment --comment "${c}"`), ...rest.map((f) => f.save), r.action.save].join(" ");
}

/** One rule's matches together; a second set match (peers' and a named port's) takes the second slot. */
function mergeMatches(frags: readonly Frag[]): RuleMatch {
  const match: RuleMatch = {};
  for (const f of frags) {
    const { ipset, ...rest } = f.match;
    Object.assign(match, rest);
    if (ipset) {
      if (match.ipset && match.ipset2) throw new Error("a Calico rule with three set matches");
      if (match.ipset) match.ipset2 = ipset;
      else match.ipset = ipset;
    }
  }
  return match;
}

// ---- The compiler ----

export interface CalicoPolicyInputs {
  model: ClusterModel;
  /** Each pod's host-side veth: its interface id and its name (cali + a hash of namespace.pod). */
  vethOf: (pod: ClusterPod) => { id: number; name: string };
}

/**
 * Adds Felix's filter chains to a kube-proxy ruleset under construction (before numbering):
 * its rules go first in FORWARD, INPUT and OUTPUT (ChainInsertMode insert), its appended ones
 * last in FORWARD.
 */
export function addCalicoPolicy(b: RulesetBuilder, inputs: CalicoPolicyInputs): void {
  new CalicoCompiler(b, inputs).compile();
}

class CalicoCompiler {
  private readonly model: ClusterModel;
  private readonly policies: readonly NetworkPolicy[];
  private readonly evaluator: PolicyEvaluator;
  private readonly nodeIndex: Map<string, number>;
  private readonly sets = new Map<string, number>();
  private readonly policyChains = new Map<string, { ingress?: string; egress?: string; nodes: Set<number> }>();
  private readonly profileNodes = new Map<string, Set<number>>();

  constructor(private readonly b: RulesetBuilder, private readonly inputs: CalicoPolicyInputs) {
    this.model = inputs.model;
    this.policies = inputs.model.networkPolicies;
    this.evaluator = new PolicyEvaluator(this.model, this.policies);
    this.nodeIndex = new Map(this.model.nodes.map((n, i) => [n.name, i]));
  }

  private chainId(name: string): number {
    return this.b.chain("filter", name);
  }

  /** Emits a chain's rules with their hashes; `nodes` when the chain exists on some nodes only. */
  private emit(name: string, rules: FelixRule[], opts: { id?: number; hashAs?: string; nodes?: number[]; first?: boolean } = {}): void {
    const id = opts.id ?? this.chainId(name);
    if (opts.nodes) this.b.chains[id]!.nodes = opts.nodes;
    const hashes = felixRuleHashes(opts.hashAs ?? name, rules.map((r) => felixText(opts.hashAs ?? name, r)));
    const ids: number[] = [];
    rules.forEach((r, i) => {
      const match = mergeMatches(r.frags);
      if (r.nodeMap !== undefined) match.nodeMap = r.nodeMap;
      const before = this.b.rules.length;
      this.b.rule(id, saveText(name, hashes[i]!, r).slice(`-A ${name} `.length), match, r.action.target, r.policy ? { policy: r.policy } : {});
      ids.push(before);
    });
    if (opts.first) {
      // Inserted at the top (iptables -I): move the new rules before the chain's own.
      const c = this.b.chains[id]!;
      c.rules = [...ids, ...c.rules.filter((r) => !ids.includes(r))];
    }
  }

  /** An IP set's index in the ruleset (created with its members on first use). */
  private ipset(name: string, type: string, members: () => Array<{ addr: number; proto: number; port: number }>): number {
    let id = this.sets.get(name);
    if (id === undefined) {
      id = this.b.set({ name, kind: "set", type, keyHasAddr: true, keyHasPort: type === "hash:ip,port" });
      for (const m of members()) this.b.element(id, m);
      this.sets.set(name, id);
    }
    return id;
  }

  private podsByNode(): Map<number, ClusterPod[]> {
    const byNode = new Map<number, ClusterPod[]>();
    for (const pod of this.model.pods) {
      if (pod.hostNetwork) continue;
      const n = this.nodeIndex.get(pod.node)!;
      let list = byNode.get(n);
      if (!list) byNode.set(n, (list = []));
      list.push(pod);
    }
    return byNode;
  }

  compile(): void {
    const filterForward = this.b.chain("filter", "FORWARD", true);
    const filterInput = this.b.chain("filter", "INPUT", true);
    const filterOutput = this.b.chain("filter", "OUTPUT", true);
    // Hooks (hashed as their built-in chain), inserted at the top.
    this.emit("FORWARD", [rule([], A.jump("cali-FORWARD", this.chainId("cali-FORWARD")))], { id: filterForward, first: true });
    this.emit("INPUT", [rule([], A.jump("cali-INPUT", this.chainId("cali-INPUT")))], { id: filterInput, first: true });
    this.emit("OUTPUT", [rule([], A.jump("cali-OUTPUT", this.chainId("cali-OUTPUT")))], { id: filterOutput, first: true });
    const byNode = this.podsByNode();
    const fromDispatch = this.dispatch("from", byNode);
    const toDispatch = this.dispatch("to", byNode);
    const workloads = (f: typeof F.iif) => f("cali+", "workloads");
    this.emit("cali-FORWARD", [
      rule([], A.setMark(0, PASS_MARK | SCRATCH0 | SCRATCH1)),
      rule([F.mark(0, ACCEPT_MARK)], A.jump("cali-from-hep-forward", this.chainId("cali-from-hep-forward"))),
      rule([workloads(F.iif)], A.jump("cali-from-wl-dispatch", fromDispatch.any), [], { nodeMap: fromDispatch.map }),
      rule([workloads(F.oif)], A.jump("cali-to-wl-dispatch", toDispatch.any), [], { nodeMap: toDispatch.map }),
      rule([], A.jump("cali-to-hep-forward", this.chainId("cali-to-hep-forward"))),
      rule([], A.jump("cali-cidr-block", this.chainId("cali-cidr-block"))),
    ]);
    // Appended at the end of FORWARD, hashed as "FORWARD*appends*".
    this.emit("FORWARD", [
      rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.accept(), ["Policy explicitly accepted packet."]),
      rule([], A.setMark(ACCEPT_MARK, ACCEPT_MARK)),
    ], { id: filterForward, hashAs: "FORWARD*appends*" });
    this.inputChains(fromDispatch);
    this.outputChain();
    for (const name of ["cali-from-hep-forward", "cali-to-hep-forward", "cali-cidr-block", "cali-from-host-endpoint", "cali-to-host-endpoint"]) this.chainId(name);
    for (const [n, pods] of byNode) for (const pod of pods) this.endpointChains(pod, n);
    this.profiles();
    for (const [, c] of this.policyChains) {
      if (c.ingress) this.b.chains[this.chainId(c.ingress)]!.nodes = [...c.nodes].sort((x, y) => x - y);
      if (c.egress) this.b.chains[this.chainId(c.egress)]!.nodes = [...c.nodes].sort((x, y) => x - y);
    }
  }

  private inputChains(fromDispatch: { any: number; map: number }): void {
    const mode = this.model.settings.cni.mode;
    const rules: FelixRule[] = [];
    if (mode === "ipip") {
      const hosts = this.hostsSet();
      rules.push(
        rule([F.proto("4", "ipencap", 4), F.set("cali40all-hosts-net", hosts, "src"), { felix: "-m addrtype --dst-type LOCAL", save: "-m addrtype --dst-type LOCAL", match: { dstLocal: true } }], A.accept(), ["Allow IPIP packets from Calico hosts"]),
        rule([F.proto("4", "ipencap", 4)], A.drop(), ["Drop IPIP packets from non-Calico hosts"]),
      );
    } else if (mode === "vxlan") {
      const hosts = this.ipset("cali40all-vxlan-net", "hash:net", () => this.model.nodes.map((n) => ({ addr: parseIPv4(n.internalIP, "ip"), proto: 0, port: 0 })));
      const vxlan = [F.proto("udp", "udp", 17), { felix: "-m udp --dport 4789", save: "-m udp --dport 4789", match: { dport: 4789 } }];
      rules.push(
        rule([...vxlan, F.set("cali40all-vxlan-net", hosts, "src"), { felix: "-m addrtype --dst-type LOCAL", save: "-m addrtype --dst-type LOCAL", match: { dstLocal: true } }], A.accept(), ["Allow IPv4 VXLAN packets from allowed hosts"]),
        rule(vxlan, A.drop(), ["Drop IPv4 VXLAN packets from non-allowed hosts"]),
      );
    }
    rules.push(
      rule([F.iif("cali+", "workloads")], A.goto("cali-wl-to-host", this.chainId("cali-wl-to-host"))),
      rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.accept()),
      rule([], A.setMark(0, 0xf0000)),
      rule([], A.jump("cali-from-host-endpoint", this.chainId("cali-from-host-endpoint"))),
      rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.accept(), ["Host endpoint policy accepted packet."]),
    );
    this.emit("cali-INPUT", rules);
    // A pod to its own node: the pod's egress policy, then DefaultEndpointToHostAction.
    this.emit("cali-wl-to-host", [
      rule([], A.jump("cali-from-wl-dispatch", fromDispatch.any), [], { nodeMap: fromDispatch.map }),
      rule([], ENDPOINT_TO_HOST === "ACCEPT" ? A.accept() : A.drop(), ["Configured DefaultEndpointToHostAction"]),
    ]);
  }

  private hostsSet(): number {
    return this.ipset("cali40all-hosts-net", "hash:net", () => this.model.nodes.map((n) => ({ addr: parseIPv4(n.internalIP, "ip"), proto: 0, port: 0 })));
  }

  /**
   * cali-OUTPUT: what the node sends. Traffic to its own pods returns at once (Felix does not
   * police host → workload); the rest meets host endpoint policy, of which there is none here.
   */
  private outputChain(): void {
    const mode = this.model.settings.cni.mode;
    const rules: FelixRule[] = [
      rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.accept()),
      rule([F.oif("cali+", "workloads")], A.ret()),
    ];
    if (mode === "ipip") {
      // Felix's -m addrtype --src-type LOCAL is left to the text: no simulated inner packet is protocol 4.
      rules.push(rule([F.proto("4", "ipencap", 4), F.set("cali40all-hosts-net", this.hostsSet(), "dst"), { felix: "-m addrtype --src-type LOCAL", save: "-m addrtype --src-type LOCAL", match: {} }], A.accept(), ["Allow IPIP packets to other Calico hosts"]));
    }
    rules.push(
      rule([], A.setMark(0, 0xf0000)),
      // `! --ctstate DNAT` guards a jump into an empty chain (no host endpoints): it changes no verdict either way.
      rule([{ felix: "-m conntrack ! --ctstate DNAT", save: "-m conntrack ! --ctstate DNAT", match: {} }], A.jump("cali-to-host-endpoint", this.chainId("cali-to-host-endpoint"))),
      rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.accept(), ["Host endpoint policy accepted packet."]),
    );
    this.emit("cali-OUTPUT", rules);
  }

  /**
   * cali-from-wl-dispatch / cali-to-wl-dispatch on each node (dispatch.go): the node's veth names
   * sorted; past their common prefix, names alone under their next character are dispatched from
   * the root, groups through a child chain named by that character; unknown interfaces dropped.
   * Each node has its own copy, reached through a per-node map from the rule that jumps to it.
   */
  private dispatch(dir: "from" | "to", byNode: Map<number, ClusterPod[]>): { any: number; map: number } {
    const root = `cali-${dir}-wl-dispatch`;
    const map = this.b.set({ name: `${root} by node`, kind: "map", type: "node", keyHasAddr: true, keyHasPort: false, internal: "by-node" });
    let any = -1;
    for (let n = 0; n < this.model.nodes.length; n++) {
      const pods = byNode.get(n) ?? [];
      const names = pods.map((p) => ({ name: this.inputs.vethOf(p).name, pod: p })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const iface = (name: string, pod?: ClusterPod) => (dir === "from" ? F.iif(name, pod ? this.inputs.vethOf(pod).id : "workloads") : F.oif(name, pod ? this.inputs.vethOf(pod).id : "workloads"));
      const endpoint = (e: { name: string; pod: ClusterPod }) => {
        const chain = `cali-${dir === "from" ? "fw" : "tw"}-${e.name}`;
        return rule([iface(e.name, e.pod)], A.goto(chain, this.chainId(chain)));
      };
      const unknown = rule([], A.drop(), ["Unknown interface"]);
      let prefix = names[0]?.name ?? "";
      for (const { name } of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
      const bins = new Map<string, Array<{ name: string; pod: ClusterPod }>>();
      for (const e of names) {
        const key = e.name.slice(0, prefix.length + 1);
        let bin = bins.get(key);
        if (!bin) bins.set(key, (bin = []));
        bin.push(e);
      }
      const rootRules: FelixRule[] = [];
      for (const [key, bin] of bins) {
        if (bin.length === 1) {
          rootRules.push(endpoint(bin[0]!));
          continue;
        }
        const child = `${root}-${key.slice(prefix.length)}`;
        const childId = this.nodeChain(child, n);
        this.emit(child, [...bin.map(endpoint), unknown], { id: childId, nodes: [n] });
        // `-i cali8+`: the node's interfaces with that prefix are exactly this bin's.
        const members = this.b.set({ name: `${key}+ on node ${n}`, kind: "set", type: "interface", keyHasAddr: true, keyHasPort: false, internal: "interfaces" });
        for (const e of bin) this.b.element(members, { addr: this.inputs.vethOf(e.pod).id, proto: 0, port: 0 });
        const wildcard = dir === "from" ? F.iif(`${key}+`, { set: members }) : F.oif(`${key}+`, { set: members });
        rootRules.push(rule([wildcard], A.goto(child, childId)));
      }
      const rootId = this.nodeChain(root, n);
      this.emit(root, [...rootRules, unknown], { id: rootId, nodes: [n] });
      this.b.element(map, { addr: n, proto: 0, port: 0, verdict: { kind: "jump", chain: rootId } });
      if (any < 0) any = rootId;
    }
    return { any, map };
  }

  /** A chain that exists on node `n` only (its name is shared by every node's copy). */
  private nodeChain(name: string, n: number): number {
    const id = this.b.chain("filter", `${name}@${n}`);
    this.b.chains[id]!.name = name;
    return id;
  }

  /** The pod's cali-tw- (what it receives) and cali-fw- (what it sends) chains. */
  private endpointChains(pod: ClusterPod, node: number): void {
    const veth = this.inputs.vethOf(pod).name;
    const key = `${pod.namespace}/${pod.name}`;
    for (const dir of ["ingress", "egress"] as const) {
      const chain = `cali-${dir === "ingress" ? "tw" : "fw"}-${veth}`;
      const selecting = this.evaluator.policiesSelecting(pod, dir === "ingress" ? "Ingress" : "Egress")
        // Felix orders a tier's policies by order (1000 for all of Kubernetes'), then by name.
        .sort((a, b) => (`knp.default.${a.name}` < `knp.default.${b.name}` ? -1 : 1));
      const rules: FelixRule[] = [
        rule([F.ctstate("RELATED,ESTABLISHED")], A.accept()),
        rule([F.ctstate("INVALID")], A.drop()),
        rule([], A.setMark(0, ACCEPT_MARK)),
      ];
      if (dir === "egress") {
        rules.push(
          rule([F.proto("17", "udp", 17), F.dports([[4789, 4789]])], A.drop(), ["Drop VXLAN encapped packets originating in pods"]),
          rule([F.proto("4", "ipencap", 4)], A.drop(), ["Drop IPinIP encapped packets originating in pods"]),
        );
      }
      if (selecting.length) {
        rules.push(rule([], A.setMark(0, PASS_MARK), ["Start of policies"]));
        for (const p of selecting) {
          const name = this.policyChain(p, dir, node);
          rules.push(rule([F.mark(0, PASS_MARK)], A.jump(name, this.chainId(name))));
          rules.push(rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.ret(), ["Return if policy accepted"]));
        }
        const keys = selecting.map(policyKey);
        const hasRules = selecting.some((p) => (dir === "ingress" ? p.ingress : p.egress).length > 0);
        const reason = hasRules
          ? `isolated for ${dir} by ${keys.join(", ")}, and no rule of ${keys.length === 1 ? "it" : "them"} allows this`
          : `isolated for ${dir} by ${keys.join(", ")}, which allow${keys.length === 1 ? "s" : ""} no ${dir} at all (default deny)`;
        rules.push(rule([F.mark(0, PASS_MARK)], A.drop(), ["Drop if no policies passed packet"], { policy: { verdict: "deny", direction: dir, pod: key, reason } }));
      }
      const pr = dir === "ingress" ? "pri" : "pro";
      this.profileUse(`kns.${pod.namespace}`, node);
      this.profileUse(`ksa.${pod.namespace}.default`, node);
      for (const profile of [`kns.${pod.namespace}`, `ksa.${pod.namespace}.default`]) {
        rules.push(rule([], A.jump(`cali-${pr}-${profile}`, this.chainId(`cali-${pr}-${profile}`))));
        rules.push(rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.ret(), ["Return if profile accepted"]));
      }
      rules.push(rule([], A.drop(), ["Drop if no profiles matched"], { policy: { verdict: "deny", direction: dir, pod: key, reason: "no profile of the pod accepts it" } }));
      this.emit(chain, rules, { nodes: [node] });
    }
  }

  private profileUse(profile: string, node: number): void {
    let nodes = this.profileNodes.get(profile);
    if (!nodes) this.profileNodes.set(profile, (nodes = new Set()));
    nodes.add(node);
  }

  /**
   * The profiles Calico makes of Kubernetes namespaces (kns.<ns>: allow everything, both ways)
   * and service accounts (ksa.<ns>.<sa>: no rules), on the nodes whose pods use them.
   */
  private profiles(): void {
    for (const [profile, nodeSet] of [...this.profileNodes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const nodes = [...nodeSet].sort((a, b) => a - b);
      for (const dir of ["ingress", "egress"] as const) {
        const name = `cali-${dir === "ingress" ? "pri" : "pro"}-${profile}`;
        const allow: RulePolicyVerdict = { verdict: "allow", direction: dir, reason: `no NetworkPolicy selects the pod for ${dir}, so its namespace's profile ${profile} allows everything` };
        this.emit(name, profile.startsWith("kns.") ? [rule([], A.setMark(ACCEPT_MARK, ACCEPT_MARK), [], { policy: allow }), rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.ret())] : [], { nodes });
      }
    }
  }

  /** The policy's cali-pi- or cali-po- chain (rendered once), noted as present on `node`. */
  private policyChain(p: NetworkPolicy, dir: "ingress" | "egress", node: number): string {
    const key = policyKey(p);
    let entry = this.policyChains.get(key);
    if (!entry) this.policyChains.set(key, (entry = { nodes: new Set() }));
    entry.nodes.add(node);
    const existing = entry[dir];
    if (existing) return existing;
    const name = lengthLimitedId(dir === "ingress" ? "cali-pi-" : "cali-po-", `${p.namespace}/knp.default.${p.name}`);
    entry[dir] = name;
    const rules: FelixRule[] = [];
    (dir === "ingress" ? p.ingress : p.egress).forEach((r, index) => {
      const verdict: RulePolicyVerdict = { verdict: "allow", direction: dir, policy: key, rule: index, reason: `allowed by ${key}, ${dir} rule ${index}` };
      const peers: Array<NetworkPolicyPeer | undefined> = r.peers === "any" ? [undefined] : r.peers;
      for (const peer of peers) {
        for (const group of portGroups(r.ports)) rules.push(...this.calicoRule(p, dir, peer, group, verdict));
      }
    });
    this.emit(name, rules);
    return name;
  }

  /** One Calico Allow rule (a peer and one protocol's ports) as Felix renders it: MARK, then RETURN. */
  private calicoRule(p: NetworkPolicy, dir: "ingress" | "egress", peer: NetworkPolicyPeer | undefined, group: PortGroup | undefined, verdict: RulePolicyVerdict): FelixRule[] {
    const side = dir === "ingress" ? "src" : "dst";
    const out: FelixRule[] = [];
    const main: Frag[] = [];
    if (group) main.push(F.proto(group.protocol.toLowerCase(), group.protocol.toLowerCase(), PROTO[group.protocol]));
    let selector: string | undefined;
    let nets: { cidr: string; except: string[] } | undefined;
    if (peer?.kind === "pods") selector = peerSelector(p, peer);
    else if (peer?.kind === "ipBlock") {
      // IPv6 blocks match nothing here (IPv4 only): Felix renders them in the IPv6 table.
      if (peer.ipBlock.cidr.includes(":")) return [];
      nets = { cidr: peer.ipBlock.cidr, except: peer.ipBlock.except.filter((e) => !e.includes(":")) };
    }
    if (nets) main.push(F.net(side, nets.cidr));
    // Named ports: one hash:ip,port set per name, of the (ip, port) of the pods the destination
    // selector picks (ingress: all(), the pod itself being the destination; egress: the peers).
    const named = group?.named ?? [];
    const dstSelector = dir === "egress" ? selector ?? "all()" : "all()";
    const namedSets = named.map((n) => {
      const id = uniqueId("n", `${uniqueId("s", dstSelector)},${group!.protocol.toLowerCase()},${n}`);
      const name = ipsetName(id);
      return { name, set: this.ipset(name, "hash:ip,port", () => this.namedPortMembers(p, dir === "egress" ? peer : undefined, group!.protocol, n)) };
    });
    if (selector && !(dir === "egress" && named.length && !group?.ranges.length)) {
      const name = ipsetName(uniqueId("s", selector));
      const podPeer = peer as Extract<NetworkPolicyPeer, { kind: "pods" }>;
      main.push(F.set(name, this.ipset(name, "hash:net", () => this.evaluator.peerPods(p, podPeer).filter((x) => !x.hostNetwork).map((x) => ({ addr: parseIPv4(x.ip, "ip"), proto: 0, port: 0 }))), side));
    }
    // Port alternatives: numeric ranges packed ≤ 15 slots per multiport, then each named set.
    const chunks = chunkPorts(group?.ranges ?? []);
    const alternatives: Frag[] = [...chunks.map((c) => F.dports(c)), ...namedSets.map((s) => F.set(s.name, s.set, "dst,dst"))];
    const negated = nets?.except ?? [];
    const portBlock = alternatives.length > 1;
    const netBlock = negated.length > 0;
    if (!portBlock) main.push(...alternatives);
    if (portBlock || netBlock) {
      // Match blocks (matchBlockBuilder): scratch mark 0x40000 says "every block matched".
      out.push(rule([], A.setMark(portBlock ? 0 : SCRATCH0, SCRATCH0 | SCRATCH1)));
      if (portBlock) {
        for (const alt of alternatives) out.push(rule(alt.match.dports ? [main[0]!, alt] : [alt], A.setMark(SCRATCH0, SCRATCH0)));
      }
      for (const cidr of negated) out.push(rule([F.net(side, cidr)], A.setMark(0, SCRATCH0)));
      main.push(F.mark(SCRATCH0, SCRATCH0));
    }
    out.push(rule(main, A.setMark(ACCEPT_MARK, ACCEPT_MARK), [], { policy: verdict }));
    out.push(rule([F.mark(ACCEPT_MARK, ACCEPT_MARK)], A.ret()));
    return out;
  }

  /** Members of a named-port set: (ip, port) of each pod the selector picks that names a port so. */
  private namedPortMembers(p: NetworkPolicy, peer: NetworkPolicyPeer | undefined, protocol: Protocol, name: string): Array<{ addr: number; proto: number; port: number }> {
    const pods = peer?.kind === "pods" ? this.evaluator.peerPods(p, peer) : this.model.pods;
    const out: Array<{ addr: number; proto: number; port: number }> = [];
    for (const pod of pods) {
      if (pod.hostNetwork) continue;
      for (const cp of pod.ports) if (cp.name === name && cp.protocol === protocol) out.push({ addr: parseIPv4(pod.ip, "ip"), proto: PROTO[protocol], port: cp.containerPort });
    }
    return out;
  }
}

interface PortGroup {
  protocol: Protocol;
  /** Numeric ports merged into ranges, in order (SimplifyPorts); empty with only names, or for all ports. */
  ranges: Array<[number, number]>;
  named: string[];
  /** The protocol with every port. */
  all: boolean;
}

/**
 * A rule's ports per protocol (k8sRuleToCalico): protocols sorted, each one Calico rule; a
 * protocol with a port-less entry allows all its ports. Undefined (one group) when the rule
 * has no ports: any protocol.
 */
function portGroups(ports: NetworkPolicyPort[] | "any"): Array<PortGroup | undefined> {
  if (ports === "any") return [undefined];
  const byProto = new Map<Protocol, PortGroup>();
  for (const p of ports) {
    let g = byProto.get(p.protocol);
    if (!g) byProto.set(p.protocol, (g = { protocol: p.protocol, ranges: [], named: [], all: false }));
    if (p.port === undefined) g.all = true;
    else if (typeof p.port === "string") {
      if (!g.named.includes(p.port)) g.named.push(p.port);
    } else g.ranges.push([p.port, p.endPort ?? p.port]);
  }
  return [...byProto.values()].sort((a, b) => (a.protocol < b.protocol ? -1 : 1)).map((g) => (g.all ? { ...g, ranges: [], named: [] } : { ...g, ranges: simplify(g.ranges) }));
}

/** SimplifyPorts: sorted, overlapping or adjacent ranges merged. */
function simplify(ranges: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Array<[number, number]> = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** SplitPortList: multiport takes 15 slots, a range using two. */
function chunkPorts(ranges: Array<[number, number]>): Array<Array<[number, number]>> {
  const chunks: Array<Array<[number, number]>> = [];
  let cur: Array<[number, number]> = [];
  let slots = 0;
  for (const r of ranges) {
    const need = r[0] === r[1] ? 1 : 2;
    if (slots + need > 15) {
      chunks.push(cur);
      cur = [];
      slots = 0;
    }
    cur.push(r);
    slots += need;
  }
  if (cur.length) chunks.push(cur);
  return chunks;
}
