// Package entry "k8s-net-flow/components": the elements, registered on import (guarded).
import { defineElement } from "./internal/define.js";
import { K8sNetFlowElement } from "./k8s-net-flow/k8s-net-flow.js";
import { K8sFlowSimElement } from "./k8s-flow-sim/k8s-flow-sim.js";

defineElement("k8s-net-flow", K8sNetFlowElement);
defineElement("k8s-flow-sim", K8sFlowSimElement);

export { K8sNetFlowElement, K8sFlowSimElement };
