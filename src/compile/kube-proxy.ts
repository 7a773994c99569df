// kube-proxy's rules for the cluster's mode: the same Ruleset shape either way, so one
// netfilter walker in the dataplane runs both (nftables adds maps, sets, goto and numgen).

import type { ClusterModel } from "../model/types.js";
import { compileIptables, type Ruleset } from "./iptables.js";
import { compileNftables } from "./nftables.js";

export function compileKubeProxy(model: ClusterModel): Ruleset {
  return model.settings.kubeProxy.mode === "nftables" ? compileNftables(model) : compileIptables(model);
}
