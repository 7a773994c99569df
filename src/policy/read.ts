// NetworkPolicy objects (parsed YAML/JSON) → validated, defaulted NetworkPolicy values.
// Validation follows the API server (pkg/apis/networking/validation: ValidateNetworkPolicy,
// ValidateNetworkPolicyPort, ValidateNetworkPolicyPeer, ValidateIPBlock; and apimachinery's
// ValidateLabelSelector); defaulting follows pkg/apis/networking/v1/defaults.go. Every
// problem names its field path, e.g. `networkpolicies[0].spec.ingress[0].from[1].ipBlock.cidr`.

import { checkLabelKey, checkLabelName, checkLabelValue, checkPortName, checkSubdomain } from "../model/names.js";
import * as F from "../model/parse/k8s-fields.js";
import { PROTOCOLS } from "../model/parse/ports.js";
import { describe, isRecord, Reader, type FieldRules } from "../model/parse/reader.js";
import { parseText } from "../model/parse/text.js";
import { formatPath, Problems, type Origin, type Path } from "../model/problems.js";
import type { ModelProblem, Protocol } from "../model/types.js";
import { formatIPv4, maskOf, parseIPv4 } from "../net/ipv4.js";
import {
  emptySelector,
  policyKey,
  POLICY_TYPES,
  SELECTOR_OPERATORS,
  type IPBlock,
  type LabelSelector,
  type LabelSelectorRequirement,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type NetworkPolicyRule,
  type PolicyType,
  type SelectorOperator,
} from "./types.js";

export const NETWORK_POLICY_API_VERSION = "networking.k8s.io/v1";

const rules = (read: string[], ignore: string[] = []): FieldRules => ({ read, ignore, unknown: "warning" });

// NetworkPolicy had a `status` (conditions) in 1.24–1.27 as an alpha that was then removed:
// accepted quietly, as a dump from such a cluster may carry it.
const TOP = rules(["apiVersion", "kind", "metadata", "spec"], ["status"]);
const SPEC = rules(["podSelector", "policyTypes", "ingress", "egress"]);
const SELECTOR = rules(["matchLabels", "matchExpressions"]);
const REQUIREMENT = rules(["key", "operator", "values"]);
const INGRESS_RULE = rules(["from", "ports"]);
const EGRESS_RULE = rules(["to", "ports"]);
const PEER = rules(["podSelector", "namespaceSelector", "ipBlock"]);
const IP_BLOCK = rules(["cidr", "except"]);
const PORT = rules(["protocol", "port", "endPort"]);

/**
 * Reads one NetworkPolicy object. `r` views the whole object (its `at` names it, e.g.
 * `networkpolicies[3]`); apiVersion and kind are the caller's concern (the manifests parser
 * checks them for every kind). Problems go to `r.problems`; the result is undefined only
 * when the object has no usable name. A policy returned alongside errors must not be used.
 */
export function readNetworkPolicy(r: Reader): NetworkPolicy | undefined {
  r.checkFields(TOP);
  const meta = r.child("metadata", F.METADATA);
  if (!meta) {
    r.error("metadata", `"metadata" with a name is required`, "required");
    return undefined;
  }
  const name = meta.str("name", true);
  if (name !== undefined) {
    const bad = checkSubdomain(name);
    if (bad) meta.error("name", bad, "invalid-name");
  }
  const namespace = meta.str("namespace") ?? "default";
  const badNs = checkLabelName(namespace);
  if (badNs && meta.has("namespace")) meta.error("namespace", badNs, "invalid-name");

  const spec = r.child("spec", SPEC);
  if (!spec) {
    // The API server defaults an absent spec to its zero value: an empty podSelector and
    // policyTypes [Ingress], i.e. "deny all ingress to every pod of the namespace". Almost
    // certainly not what was meant, so it is an error here rather than a silent lockout.
    r.error("spec", `"spec" is required (an empty spec would deny all ingress to every pod of the namespace)`, "required");
    return undefined;
  }

  let podSelector: LabelSelector;
  if (spec.has("podSelector")) podSelector = readSelector(spec, "podSelector") ?? emptySelector();
  else {
    // Older API servers and kubectl's schema check require the field; newer ones default it
    // to {}. Either way the meaning of "absent" is "every pod", so say so.
    r.problems.warn("required", r.at, [...spec.sub, "podSelector"], `"podSelector" is missing: read as {} (every pod in namespace "${namespace}")`);
    podSelector = emptySelector();
  }

  const ingress = spec.list("ingress").map(({ value, sub }) => readRule(spec, value, sub, "Ingress"));
  const egress = spec.list("egress").map(({ value, sub }) => readRule(spec, value, sub, "Egress"));
  const { policyTypes, explicit } = readPolicyTypes(spec, egress.length);

  if (name === undefined) return undefined;
  return { namespace, name, podSelector, policyTypes, policyTypesExplicit: explicit, ingress: ingress.filter(isRule), egress: egress.filter(isRule) };
}

function isRule(rule: NetworkPolicyRule | undefined): rule is NetworkPolicyRule {
  return rule !== undefined;
}

function readPolicyTypes(spec: Reader, egressRules: number): { policyTypes: PolicyType[]; explicit: boolean } {
  const given = spec.list("policyTypes");
  if (given.length > 2) {
    spec.error("policyTypes", `may not specify more than two policyTypes (Ingress, Egress), got ${given.length}`, "invalid-value");
  }
  const types = new Set<PolicyType>();
  for (const { value, sub } of given) {
    if (typeof value === "string" && (POLICY_TYPES as readonly string[]).includes(value)) types.add(value as PolicyType);
    else spec.error(sub.slice(spec.sub.length), `${describe(value)} is not a policy type (expected Ingress or Egress)`, typeof value === "string" ? "invalid-value" : "type");
  }
  // SetDefaults_NetworkPolicy: an empty or absent list becomes [Ingress], plus Egress when
  // spec.egress has at least one rule (len != 0: `egress: []` does not add it).
  if (given.length === 0) return { policyTypes: egressRules > 0 ? ["Ingress", "Egress"] : ["Ingress"], explicit: false };
  return { policyTypes: POLICY_TYPES.filter((t) => types.has(t)), explicit: true };
}

function readRule(spec: Reader, value: unknown, sub: Path, direction: PolicyType): NetworkPolicyRule | undefined {
  const rule = Reader.of(value, spec.at, sub, spec.problems, direction === "Ingress" ? INGRESS_RULE : EGRESS_RULE);
  if (!rule) return undefined;
  const peerKey = direction === "Ingress" ? "from" : "to";
  const peers = rule.list(peerKey).flatMap(({ value: p, sub: ps }) => readPeer(rule, p, ps) ?? []);
  const ports = rule.list("ports").flatMap(({ value: p, sub: ps }) => readPort(rule, p, ps) ?? []);
  // Empty and absent lists mean "all" for both fields (NetworkPolicyIngressRule docs). A
  // list whose entries were all invalid is empty here too, but then errors stop the load.
  return { peers: peers.length ? peers : "any", ports: ports.length ? ports : "any" };
}

function readPeer(rule: Reader, value: unknown, sub: Path): NetworkPolicyPeer | undefined {
  const p = Reader.of(value, rule.at, sub, rule.problems, PEER);
  if (!p) return undefined;
  const hasPods = p.has("podSelector");
  const hasNamespaces = p.has("namespaceSelector");
  const hasIpBlock = p.has("ipBlock");
  const podSelector = hasPods ? readSelector(p, "podSelector") : undefined;
  const namespaceSelector = hasNamespaces ? readSelector(p, "namespaceSelector") : undefined;
  const ipBlock = hasIpBlock ? readIpBlock(p) : undefined;
  if (!hasPods && !hasNamespaces && !hasIpBlock) {
    p.error([], "must specify a peer: podSelector, namespaceSelector (or both), or ipBlock", "required");
    return undefined;
  }
  if (hasIpBlock && (hasPods || hasNamespaces)) {
    p.error([], "may not specify both ipBlock and another peer (use two entries of the list)", "invalid-value");
    return undefined;
  }
  if (hasIpBlock) return ipBlock ? { kind: "ipBlock", ipBlock } : undefined;
  return { kind: "pods", podSelector: podSelector ?? emptySelector(), namespaceSelector: hasNamespaces ? namespaceSelector ?? emptySelector() : null };
}

/** A metav1.LabelSelector at `key` of `r`, validated as ValidateLabelSelector does. */
function readSelector(r: Reader, key: string): LabelSelector | undefined {
  const s = r.child(key, SELECTOR);
  if (!s) return undefined;
  const matchLabels = s.labels("matchLabels") ?? {};
  const matchExpressions = s.list("matchExpressions").flatMap(({ value, sub }) => readRequirement(s, value, sub) ?? []);
  return { matchLabels, matchExpressions };
}

function readRequirement(s: Reader, value: unknown, sub: Path): LabelSelectorRequirement | undefined {
  const e = Reader.of(value, s.at, sub, s.problems, REQUIREMENT);
  if (!e) return undefined;
  const key = e.str("key", true);
  if (key !== undefined) {
    const bad = checkLabelKey(key);
    if (bad) e.error("key", bad, "invalid-label");
  }
  const op = e.str("operator", true);
  let operator: SelectorOperator | undefined;
  if (op !== undefined) {
    if ((SELECTOR_OPERATORS as readonly string[]).includes(op)) operator = op as SelectorOperator;
    else e.error("operator", `"${op}" is not a selector operator (expected ${SELECTOR_OPERATORS.join(", ")})`, "invalid-selector");
  }
  const values: string[] = [];
  for (const { value: v, sub: vs } of e.list("values")) {
    if (typeof v !== "string") {
      e.error(vs.slice(e.sub.length), `label values must be strings, got ${describe(v)} (quote it in YAML)`, "type");
      continue;
    }
    const bad = checkLabelValue(v);
    if (bad) e.error(vs.slice(e.sub.length), bad, "invalid-label");
    else values.push(v);
  }
  const listed = e.list("values").length;
  if ((operator === "In" || operator === "NotIn") && listed === 0) {
    e.error("values", `"values" must be given (non-empty) when operator is ${operator}`, "invalid-selector");
  }
  if ((operator === "Exists" || operator === "DoesNotExist") && listed > 0) {
    e.error("values", `"values" may not be given when operator is ${operator}`, "invalid-selector");
  }
  if (key === undefined || operator === undefined) return undefined;
  return { key, operator, values };
}

interface ParsedCidr {
  family: 4 | 6;
  /** IPv4 only. */
  address: number;
  prefixLength: number;
  /** Host bits cleared. */
  text: string;
}

const IPV6_CIDR = /^[0-9A-Fa-f:.]+\/\d{1,3}$/;

/**
 * A CIDR as the API server's legacy field validation takes it: host bits may be set (the
 * network is what counts; Kubernetes ≥ 1.33 warns about them), so `parseCidr`, which rejects
 * them, is not used. Returns a problem message instead of throwing.
 */
function parseBlockCidr(text: string): ParsedCidr | string {
  if (text.includes(":")) {
    const prefix = Number(text.slice(text.indexOf("/") + 1));
    const body = text.slice(0, text.indexOf("/"));
    const doubleColons = body.split("::").length - 1;
    if (!IPV6_CIDR.test(text) || prefix > 128 || doubleColons > 1) return `"${text}" is not a valid CIDR (expected a.b.c.d/n)`;
    return { family: 6, address: 0, prefixLength: prefix, text };
  }
  const slash = text.indexOf("/");
  if (slash < 0) return `"${text}" is not a CIDR (expected a.b.c.d/n; a single address is a.b.c.d/32)`;
  let address: number;
  try {
    address = parseIPv4(text.slice(0, slash), "");
  } catch {
    return `"${text}" is not a valid CIDR (expected a.b.c.d/n)`;
  }
  const lenText = text.slice(slash + 1);
  const prefixLength = /^\d{1,2}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= 32)) return `"${text}" has prefix length "${lenText}" (expected 0 to 32)`;
  const network = (address & maskOf(prefixLength)) >>> 0;
  return { family: 4, address: network, prefixLength, text: `${formatIPv4(network)}/${prefixLength}` };
}

function readIpBlock(p: Reader): IPBlock | undefined {
  const b = p.child("ipBlock", IP_BLOCK);
  if (!b) return undefined;
  const cidrText = b.str("cidr");
  if (cidrText === undefined || cidrText === "") {
    b.error("cidr", `"cidr" is required`, "required");
    return undefined;
  }
  const cidr = parseBlockCidr(cidrText);
  if (typeof cidr === "string") {
    b.error("cidr", cidr, "invalid-address");
    return undefined;
  }
  noteCidr(b, "cidr", cidrText, cidr);
  const except: string[] = [];
  for (const { value, sub } of b.list("except")) {
    const at = sub.slice(b.sub.length);
    if (typeof value !== "string") {
      b.error(at, `expected a CIDR, got ${describe(value)}`, "type");
      continue;
    }
    const e = parseBlockCidr(value);
    if (typeof e === "string") {
      b.error(at, e, "invalid-address");
      continue;
    }
    noteCidr(b, at, value, e);
    // ValidateIPBlock: the except entry's network must lie inside cidr with a longer prefix.
    const inside =
      e.family === cidr.family &&
      e.prefixLength > cidr.prefixLength &&
      (e.family === 6 || ((e.address & maskOf(cidr.prefixLength)) >>> 0) === cidr.address);
    if (!inside) {
      b.error(at, `"${value}" must be a strict subset of cidr ${cidr.text} (inside it, with a longer prefix)`, "invalid-address");
      continue;
    }
    except.push(e.text);
  }
  return { cidr: cidr.text, except };
}

function noteCidr(b: Reader, at: string | Path, written: string, parsed: ParsedCidr): void {
  const sub = typeof at === "string" ? b.path(at) : [...b.sub, ...at];
  if (parsed.family === 6) {
    b.problems.warn("unsupported", b.at, sub, `IPv6 block "${written}" is kept but matches nothing: the simulated cluster is IPv4 only`);
  } else if (parsed.text !== written) {
    b.problems.warn("invalid-value", b.at, sub, `"${written}" has host bits set: the API server accepts it as ${parsed.text} (with a warning since Kubernetes 1.33)`);
  }
}

function readPort(rule: Reader, value: unknown, sub: Path): NetworkPolicyPort | undefined {
  const p = Reader.of(value, rule.at, sub, rule.problems, PORT);
  if (!p) return undefined;
  const protocol: Protocol = p.oneOf("protocol", PROTOCOLS) ?? "TCP";
  const raw = p.obj.port;
  let port: number | string | undefined;
  if (typeof raw === "number") port = p.int("port", 1, 65535);
  else if (typeof raw === "string") {
    // An IntOrString holding a string is a port name, even "80": the API server rejects
    // digits-only names (IsValidPortName wants a letter), so there is no silent conversion.
    const bad = checkPortName(raw);
    if (bad) p.error("port", bad, "invalid-port");
    else port = raw;
  } else if (raw !== undefined && raw !== null) {
    p.error("port", `expected a port number or a port name, got ${describe(raw)}`, "type");
  }
  const endPort = p.int("endPort", 1, 65535);
  if (p.has("endPort")) {
    if (raw === undefined || raw === null) p.error("endPort", "may not be specified when port is not specified", "invalid-port");
    else if (typeof raw === "string") p.error("endPort", "may not be specified when port is a name (non-numeric)", "invalid-port");
    else if (endPort !== undefined && typeof port === "number" && endPort < port) p.error("endPort", `${endPort} must be greater than or equal to port (${port})`, "invalid-port");
  }
  return { protocol, ...(port !== undefined ? { port } : {}), ...(endPort !== undefined && typeof port === "number" ? { endPort } : {}) };
}

/** The policies, each `namespace/name` once: a second one is an error at its own place (as the API server refuses it). */
export function uniquePolicies(found: ReadonlyArray<{ at: Origin; policy: NetworkPolicy }>, problems: Problems): NetworkPolicy[] {
  const seen = new Map<string, Origin>();
  const out: NetworkPolicy[] = [];
  for (const { at, policy } of found) {
    const key = policyKey(policy);
    const first = seen.get(key);
    if (first) {
      problems.error("duplicate", at, ["metadata", "name"], `NetworkPolicy ${key} is defined twice (also at ${formatPath(first.path)})`);
      continue;
    }
    seen.set(key, at);
    out.push(policy);
  }
  return out;
}

export interface LoadedPolicies {
  policies: NetworkPolicy[];
  warnings: ModelProblem[];
}

/**
 * Reads the NetworkPolicies of an input: manifest text (YAML or JSON, multi-document, Lists
 * and `kubectl get -o yaml` dumps) or already-parsed documents. Other kinds and compact
 * cluster documents are skipped quietly (the cluster's loader reads those), so one cluster
 * file serves both. Errors throw one K8sNetFlowError carrying every problem, as `loadModel`.
 */
export function loadNetworkPolicies(input: string | readonly unknown[]): LoadedPolicies {
  let problems = new Problems();
  let docs: readonly unknown[];
  if (typeof input === "string") {
    const parsed = parseText(input, problems);
    const located = new Problems(parsed.locate);
    located.list.push(...problems.list);
    problems = located;
    docs = parsed.docs;
  } else docs = input;

  const found: Array<{ at: Origin; policy: NetworkPolicy }> = [];
  let count = 0;
  const visit = (value: unknown, doc: number, docPath: Path) => {
    if (!isRecord(value)) return;
    if (Array.isArray(value.items) && typeof value.kind === "string" && value.kind.endsWith("List")) {
      value.items.forEach((item, i) => visit(item, doc, [...docPath, "items", i]));
      return;
    }
    if (value.kind !== "NetworkPolicy") return;
    const at: Origin = { path: ["networkpolicies", count++], doc, docPath };
    const r = new Reader(value, at, [], problems);
    const apiVersion = r.str("apiVersion");
    if (apiVersion !== NETWORK_POLICY_API_VERSION) {
      problems.warn("invalid-value", at, ["apiVersion"], `expected apiVersion "${NETWORK_POLICY_API_VERSION}" for NetworkPolicy, got ${describe(apiVersion)}; read as ${NETWORK_POLICY_API_VERSION}`);
    }
    const policy = readNetworkPolicy(r);
    if (policy) found.push({ at, policy });
  };
  docs.forEach((d, i) => visit(d, i, []));
  const policies = uniquePolicies(found, problems);
  problems.throwIfErrors();
  return { policies, warnings: problems.warnings };
}
