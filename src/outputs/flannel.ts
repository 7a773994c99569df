// Files flannel writes on every node, and the line kube-proxy logs about its mode.

import type { ClusterModel, ClusterNode } from "../model/types.js";

/** /etc/cni/net.d/10-flannel.conflist, from kube-flannel's cni-conf.json (the network is called "cbr0"). */
export function flannelConflist(): string {
  return `{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "hairpinMode": true,
        "isDefaultGateway": true
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

/** /run/flannel/subnet.env on a node. */
export function flannelSubnetEnv(model: ClusterModel, node: ClusterNode): string {
  const [network, len] = node.podCIDR.split("/");
  const parts = network!.split(".").map(Number);
  parts[3] = parts[3]! + 1;
  return `FLANNEL_NETWORK=${model.settings.clusterCIDR}\nFLANNEL_SUBNET=${parts.join(".")}/${len}\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`;
}

/**
 * The kube-proxy log line that names its mode (`kubectl logs -n kube-system kube-proxy-… | grep Using`),
 * at the simulation's start (klog's header: level, date, time, thread, file:line).
 */
export function kubeProxyModeLine(model: ClusterModel): string {
  const mode = model.settings.kubeProxy.mode;
  return `I0101 00:00:00.000000       1 server_linux.go:66] "Using ${mode} proxy"\n`;
}
