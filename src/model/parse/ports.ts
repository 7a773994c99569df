// Container and service ports: the Kubernetes object forms, and the compact string forms
// (`http:8080/TCP`, `80:8080`, `dns:53:dns/UDP`).

import type { ContainerPort, Protocol } from "../types.js";
import type { DraftServicePort } from "../draft.js";
import type { Path } from "../problems.js";
import { checkPortName } from "../names.js";
import { describe, Reader } from "./reader.js";

export const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

function splitProtocol(text: string): { body: string; protocol: string } {
  const slash = text.lastIndexOf("/");
  return slash < 0 ? { body: text, protocol: "TCP" } : { body: text.slice(0, slash), protocol: text.slice(slash + 1).toUpperCase() };
}

function portNumber(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** `8080`, `http:8080`, `dns:53/UDP` or `{name, containerPort, protocol}`. */
export function containerPort(r: Reader, value: unknown, sub: Path, container: string, objectRules: boolean): ContainerPort | undefined {
  if (typeof value === "number" || typeof value === "string") {
    const { body, protocol } = splitProtocol(String(value));
    const parts = body.split(":");
    const [name, num] = parts.length === 2 ? parts : [undefined, parts[0]!];
    const port = parts.length <= 2 ? portNumber(num!) : undefined;
    if (port === undefined || !PROTOCOLS.includes(protocol as Protocol)) {
      r.error(sub.slice(r.sub.length), `"${value}" is not a container port (expected 8080, http:8080 or dns:53/UDP)`, "invalid-port");
      return undefined;
    }
    if (name !== undefined) {
      const bad = checkPortName(name);
      if (bad) {
        r.error(sub.slice(r.sub.length), bad, "invalid-port");
        return undefined;
      }
    }
    return { ...(name !== undefined ? { name } : {}), containerPort: port, protocol: protocol as Protocol, container };
  }
  const p = Reader.of(value, r.at, sub, r.problems, {
    read: ["name", "containerPort", "protocol"],
    unsupported: objectRules ? ["hostPort", "hostIP"] : [],
    unknown: objectRules ? "warning" : "error",
  });
  if (!p) return undefined;
  const port = p.int("containerPort", 1, 65535, true);
  const protocol = p.oneOf("protocol", PROTOCOLS) ?? "TCP";
  const name = p.str("name");
  if (name !== undefined) {
    const bad = checkPortName(name);
    if (bad) p.error("name", bad, "invalid-port");
  }
  if (port === undefined) return undefined;
  return { ...(name !== undefined ? { name } : {}), containerPort: port, protocol, container };
}

/** `80`, `80:8080`, `http:80`, `http:80:http`, `dns:53/UDP`, or a ServicePort object. */
export function servicePort(r: Reader, value: unknown, sub: Path, objectRules: boolean): DraftServicePort | undefined {
  if (typeof value === "number" || typeof value === "string") {
    const { body, protocol } = splitProtocol(String(value));
    const parts = body.split(":");
    const named = parts.length > 0 && portNumber(parts[0]!) === undefined;
    const name = named ? parts.shift() : undefined;
    const port = parts[0] !== undefined ? portNumber(parts[0]) : undefined;
    const target = parts[1] === undefined ? port : portNumber(parts[1]) ?? parts[1];
    if (port === undefined || parts.length > 2 || !PROTOCOLS.includes(protocol as Protocol) || target === "") {
      r.error(sub.slice(r.sub.length), `"${value}" is not a service port (expected 80, 80:8080, http:80:http or dns:53/UDP)`, "invalid-port");
      return undefined;
    }
    for (const n of [name, typeof target === "string" ? target : undefined]) {
      const bad = n === undefined ? undefined : checkPortName(n);
      if (bad) {
        r.error(sub.slice(r.sub.length), bad, "invalid-port");
        return undefined;
      }
    }
    return { sub, ...(name !== undefined ? { name } : {}), port, targetPort: target!, protocol: protocol as Protocol };
  }
  const p = Reader.of(value, r.at, sub, r.problems, {
    read: ["name", "port", "targetPort", "protocol", "nodePort"],
    ignore: ["appProtocol"],
    unknown: objectRules ? "warning" : "error",
  });
  if (!p) return undefined;
  const port = p.int("port", 1, 65535, true);
  const protocol = p.oneOf("protocol", PROTOCOLS) ?? "TCP";
  const name = p.str("name");
  if (name !== undefined) {
    const bad = checkPortName(name);
    if (bad) p.error("name", bad, "invalid-port");
  }
  let targetPort: number | string | undefined = port;
  const t = p.obj.targetPort;
  if (typeof t === "number") targetPort = p.int("targetPort", 1, 65535);
  else if (typeof t === "string") {
    // The API accepts "8080" as a string too (an IntOrString that holds a number).
    const asNumber = portNumber(t);
    const bad = asNumber === undefined ? checkPortName(t) : undefined;
    if (bad) p.error("targetPort", bad, "invalid-port");
    targetPort = asNumber ?? t;
  } else if (t !== undefined && t !== null) {
    p.error("targetPort", `expected a port number or a port name, got ${describe(t)}`, "type");
  }
  const nodePort = p.int("nodePort", 1, 65535);
  if (port === undefined || targetPort === undefined) return undefined;
  return { sub, ...(name !== undefined ? { name } : {}), port, targetPort, protocol, ...(nodePort !== undefined ? { nodePort } : {}) };
}
