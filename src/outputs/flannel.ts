// Files flannel writes on every node, and the line kube-proxy logs about its mode.

import { backendMtu } from "../compile/network.js";
import { flannelBackend } from "../compile/routes.js";
import type { ClusterModel, ClusterNode } from "../model/types.js";

/**
 * /etc/cni/net.d/10-flannel.conflist, from kube-flannel's cni-conf.json (the network is called
 * "cbr0"). The same for every backend: the flannel CNI plugin takes the MTU and subnet from
 * /run/flannel/subnet.env when a pod is set up.
 */
export function flannelConflist(mtu?: number): string {
  // An "mtu" in the delegate overrides subnet.env's FLANNEL_MTU for the bridge plugin.
  return `{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "hairpinMode": true,
        "isDefaultGateway": true${mtu === undefined ? "" : `,
        "mtu": ${mtu}`}
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
`;
}

/** /run/flannel/subnet.env on a node: FLANNEL_MTU is the backend's MTU (1450 with VXLAN, the NIC's 1500 with host-gw). */
export function flannelSubnetEnv(model: ClusterModel, node: ClusterNode): string {
  const [network, len] = node.podCIDR.split("/");
  const parts = network!.split(".").map(Number);
  parts[3] = parts[3]! + 1;
  return `FLANNEL_NETWORK=${model.settings.clusterCIDR}\nFLANNEL_SUBNET=${parts.join(".")}/${len}\nFLANNEL_MTU=${backendMtu(model)}\nFLANNEL_IPMASQ=true\n`;
}

/** net-conf.json, flanneld's own configuration, as kube-flannel.yml (v0.27) ships it, with the cluster's backend. */
export function flannelNetConf(model: ClusterModel): string {
  return `{
  "Network": "${model.settings.clusterCIDR}",
  "EnableNFTables": false,
  "Backend": {
    "Type": "${flannelBackend(model)}"
  }
}
`;
}

/** `kubectl get configmap -n kube-flannel kube-flannel-cfg -o yaml`: both files as kube-flannel.yml defines them. */
export function flannelConfigMap(model: ClusterModel): string {
  const block = (text: string) =>
    text
      .split("\n")
      .map((l) => (l ? `    ${l}` : l))
      .join("\n");
  return `apiVersion: v1\ndata:\n  cni-conf.json: |\n${block(flannelConflist(model.settings.cni.mtu))}  net-conf.json: |\n${block(flannelNetConf(model))}kind: ConfigMap\nmetadata:\n  labels:\n    app: flannel\n    tier: node\n  name: kube-flannel-cfg\n  namespace: kube-flannel\n`;
}

/**
 * The kube-proxy log line that names its mode (`kubectl logs -n kube-system kube-proxy-… | grep Using`),
 * at the simulation's start (klog's header: level, date, time, thread, file:line).
 */
export function kubeProxyModeLine(model: ClusterModel): string {
  const mode = model.settings.kubeProxy.mode;
  return `I0101 00:00:00.000000       1 server_linux.go:66] "Using ${mode} proxy"\n`;
}
