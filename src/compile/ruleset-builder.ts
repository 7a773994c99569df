// What the kube-proxy compilers (iptables, nftables, IPVS) share: chains and rules added in
// the order kube-proxy writes them, sets and maps with their elements, affinity lists, and
// the final numbering that stores each chain's rules as one contiguous range (the layout the
// dataplane's walker reads).

import type { NfChain, NfRule, NfSet, RuleMatch, RuleTarget, SetElement, Table } from "./iptables.js";

type RuleExtra = Partial<Pick<NfRule, "servicePort" | "endpoint" | "nodes" | "policy">>;

export class RulesetBuilder {
  chains: NfChain[] = [];
  rules: NfRule[] = [];
  sets: NfSet[] = [];
  recentLists: string[] = [];
  /** Chain ids by table, then by name. */
  private byName = new Map<Table, Map<string, number>>();

  /** `ruleText` makes a rule's stored text from its chain and body (iptables-save prefixes `-A CHAIN`). */
  constructor(private readonly ruleText: (chain: NfChain, body: string) => string = (_, body) => body) {}

  /** The chain's id, creating it on first use. */
  chain(table: Table, name: string, builtin = false): number {
    let names = this.byName.get(table);
    if (!names) this.byName.set(table, (names = new Map()));
    const found = names.get(name);
    if (found !== undefined) return found;
    const id = this.chains.length;
    this.chains.push({ id, name, table, builtin, rules: [] });
    names.set(name, id);
    return id;
  }

  rule(chain: number, body: string, match: RuleMatch, target: RuleTarget, extra: RuleExtra = {}): void {
    const id = this.rules.length;
    this.rules.push({ id, chain, text: this.ruleText(this.chains[chain]!, body), match, target, ...extra });
    this.chains[chain]!.rules.push(id);
  }

  /** An affinity list (xt_recent list or nftables affinity set), by name. */
  recent(name: string): number {
    const i = this.recentLists.indexOf(name);
    if (i >= 0) return i;
    this.recentLists.push(name);
    return this.recentLists.length - 1;
  }

  set(decl: Omit<NfSet, "id" | "elements">): number {
    this.sets.push({ ...decl, id: this.sets.length, elements: [] });
    return this.sets.length - 1;
  }

  element(set: number, e: SetElement): void {
    this.sets[set]!.elements.push(e);
  }

  /**
   * Chains and rules with the rules renumbered chain by chain (a chain is a contiguous id
   * range). The builder's own chains and rules are renumbered in place, not copied: call it
   * once, when the ruleset is complete.
   */
  numbered(): { chains: NfChain[]; rules: NfRule[] } {
    // Rule ids are dense (0 … rules.length - 1), so the renumbering is an array, not a map.
    const renumber = new Int32Array(this.rules.length);
    const rules: NfRule[] = [];
    for (const c of this.chains) {
      for (const old of c.rules) {
        const rule = this.rules[old]!;
        renumber[old] = rule.id = rules.length;
        rules.push(rule);
      }
    }
    const chains = this.chains;
    for (const c of chains) c.rules = c.rules.map((old) => renumber[old]!);
    this.rules = rules;
    return { chains, rules };
  }
}

/** iptables-save's form of a rule: `-A CHAIN body`. */
export const iptablesRuleText = (chain: NfChain, body: string): string => `-A ${chain.name} ${body}`;
