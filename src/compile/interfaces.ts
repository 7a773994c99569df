// Interface names the CNI plugins create.

import { sha1 } from "../util/sha1.js";

/**
 * Host end of a pod's veth pair. The bridge plugin picks "veth" + 8 random hex digits; we
 * derive the digits from the pod's identity (FNV-1a) so the same cluster always shows the
 * same names.
 */
export function hostVethName(namespace: string, pod: string): string {
  const h = codePointHash(codePointHash(codePointHash(0x811c9dc5, namespace), "/"), pod);
  // "veth" and the hash as 8 lowercase hex digits, in one string.
  return String.fromCharCode(118, 101, 116, 104, HEX[h >>> 28]!, HEX[(h >>> 24) & 15]!, HEX[(h >>> 20) & 15]!, HEX[(h >>> 16) & 15]!, HEX[(h >>> 12) & 15]!, HEX[(h >>> 8) & 15]!, HEX[(h >>> 4) & 15]!, HEX[h & 15]!);
}

/** Character codes of the lowercase hex digits. */
const HEX = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** FNV-1a continued over the code points of `text` (a surrogate pair is one), as unsigned. */
function codePointHash(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = (c - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        i++;
      }
    }
    h = Math.imul(h ^ c, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Host end of a pod's veth under Calico: "cali" + the first 11 hex digits of SHA-1 of
 * "<namespace>.<pod>" (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go,
 * VethNameForWorkload; FELIX_INTERFACEPREFIX unset), the name Felix expects for the pod's
 * WorkloadEndpoint too.
 */
export function calicoVethName(namespace: string, pod: string): string {
  const digest = sha1(new TextEncoder().encode(`${namespace}.${pod}`));
  return `cali${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, 11)}`;
}
