// kube-proxy's rules for the cluster's mode: the same Ruleset shape either way, so one
// netfilter walker in the dataplane runs all three (nftables adds maps, sets, goto and numgen; IPVS
// mode ipset matches, and a table of virtual servers the dataplane's IPVS step looks up).

import type { ClusterModel } from "../model/types.js";
import { compileIptables, type Ruleset } from "./iptables.js";
import { compileIpvs } from "./ipvs.js";
import { compileNftables } from "./nftables.js";

export function compileKubeProxy(model: ClusterModel): Ruleset {
  const mode = model.settings.kubeProxy.mode;
  return mode === "nftables" ? compileNftables(model) : mode === "ipvs" ? compileIpvs(model) : compileIptables(model);
}
