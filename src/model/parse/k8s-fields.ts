// Which fields of each Kubernetes kind the model reads, which it may ignore because they do
// not change the network, and which would change it but are not simulated (a warning each).
// Anything else is unknown (a warning too: typos must not vanish silently).

import type { FieldRules } from "./reader.js";

const rules = (read: string[], ignore: string[] = [], unsupported: string[] = []): FieldRules => ({ read, ignore, unsupported, unknown: "warning" });

export const TOP = rules(["apiVersion", "kind", "metadata", "spec", "status"]);
export const TOP_SLICE = rules(["apiVersion", "kind", "metadata", "addressType", "endpoints", "ports"]);
export const TOP_ENDPOINTS = rules(["apiVersion", "kind", "metadata", "subsets"]);
export const TOP_LIST = rules(["apiVersion", "kind", "items", "metadata"]);

export const METADATA = rules(
  ["name", "namespace", "labels", "ownerReferences", "deletionTimestamp", "generateName"],
  ["annotations", "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "finalizers", "deletionGracePeriodSeconds", "selfLink"],
);

export const NODE_SPEC = rules(["podCIDR", "podCIDRs"], ["providerID", "taints", "unschedulable", "configSource", "externalID"]);
export const NODE_STATUS = rules(["addresses"], ["capacity", "allocatable", "conditions", "daemonEndpoints", "nodeInfo", "images", "volumesInUse", "volumesAttached", "config", "runtimeHandlers", "features", "phase", "declaredFeatures"]);

export const POD_SPEC = rules(
  ["nodeName", "containers", "hostNetwork", "dnsPolicy", "dnsConfig", "nodeSelector", "hostname", "subdomain"],
  ["initContainers", "volumes", "restartPolicy", "terminationGracePeriodSeconds", "serviceAccountName", "serviceAccount", "securityContext", "schedulerName", "tolerations", "priority", "priorityClassName", "enableServiceLinks", "preemptionPolicy", "affinity", "automountServiceAccountToken", "imagePullSecrets", "ephemeralContainers", "activeDeadlineSeconds", "runtimeClassName", "topologySpreadConstraints", "overhead", "readinessGates", "shareProcessNamespace", "hostPID", "hostIPC", "os", "hostUsers", "schedulingGates", "resourceClaims", "resources"],
  ["hostAliases", "setHostnameAsFQDN"],
);
export const CONTAINER = rules(
  ["name", "ports"],
  ["image", "command", "args", "env", "envFrom", "resources", "volumeMounts", "livenessProbe", "readinessProbe", "startupProbe", "imagePullPolicy", "securityContext", "terminationMessagePath", "terminationMessagePolicy", "workingDir", "lifecycle", "stdin", "stdinOnce", "tty", "volumeDevices", "restartPolicy", "resizePolicy", "restartPolicyRules"],
);
export const POD_STATUS = rules(
  ["podIP", "podIPs", "phase", "conditions"],
  ["hostIP", "hostIPs", "startTime", "containerStatuses", "initContainerStatuses", "qosClass", "message", "reason", "nominatedNodeName", "ephemeralContainerStatuses", "resize", "resourceClaimStatuses", "observedGeneration"],
);
export const DNS_CONFIG = rules(["nameservers", "searches", "options"]);

export const SERVICE_SPEC = rules(
  ["type", "clusterIP", "clusterIPs", "ports", "selector", "sessionAffinity", "sessionAffinityConfig", "internalTrafficPolicy", "externalTrafficPolicy", "externalName", "publishNotReadyAddresses"],
  ["ipFamilies", "ipFamilyPolicy", "healthCheckNodePort", "allocateLoadBalancerNodePorts", "loadBalancerClass"],
  ["externalIPs", "loadBalancerIP", "loadBalancerSourceRanges", "trafficDistribution"],
);

export const SLICE_ENDPOINT = rules(["addresses", "conditions", "hostname", "nodeName", "targetRef"], ["zone", "hints", "deprecatedTopology"]);
export const SLICE_PORT = rules(["name", "port", "protocol"], ["appProtocol"]);
export const TARGET_REF = rules(["kind", "namespace", "name"], ["uid", "resourceVersion", "apiVersion", "fieldPath"]);
export const ENDPOINT_ADDRESS = rules(["ip", "hostname", "nodeName", "targetRef"]);

export const WORKLOAD_SPEC = {
  Deployment: rules(["replicas", "selector", "template"], ["strategy", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds", "paused"]),
  ReplicaSet: rules(["replicas", "selector", "template"], ["minReadySeconds"]),
  StatefulSet: rules(["replicas", "selector", "template", "serviceName"], ["podManagementPolicy", "updateStrategy", "volumeClaimTemplates", "revisionHistoryLimit", "minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals"]),
  DaemonSet: rules(["selector", "template"], ["updateStrategy", "minReadySeconds", "revisionHistoryLimit"]),
} as const;
export const TEMPLATE = rules(["metadata", "spec"]);
