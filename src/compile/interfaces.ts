// Interface names the CNI plugins create.

/**
 * Host end of a pod's veth pair. The bridge plugin picks "veth" + 8 random hex digits; we
 * derive the digits from the pod's identity (FNV-1a) so the same cluster always shows the
 * same names.
 */
export function hostVethName(namespace: string, pod: string): string {
  let h = 0x811c9dc5;
  for (const ch of `${namespace}/${pod}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `veth${h.toString(16).padStart(8, "0")}`;
}
