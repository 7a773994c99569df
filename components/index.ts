// Package entry "k8s-net-flow/components": the elements, registered on import (guarded).
import { defineElement } from "./internal/define.js";
import { K8sNetFlowElement } from "./k8s-net-flow/k8s-net-flow.js";

defineElement("k8s-net-flow", K8sNetFlowElement);

export { K8sNetFlowElement };
