// Cilium's NetworkPolicy enforcement: each endpoint's policy map, per direction, and the
// lookups bpf_lxc does with it (docs/cilium-policy.md). An endpoint no policy selects for a
// direction allows everything that way; an enforced one allows what one of its entries covers
// (remote identity or any, protocol or any, a port range, for CIDR rules the remote address)
// and drops the rest ("Policy denied"). Connections are tracked per node and direction, as in
// cilium_ct4_global: replies and later packets of an allowed connection are not looked up.

import {
  IDENTITY_HOST, IDENTITY_REMOTE_NODE, IDENTITY_WORLD, IF_KIND, IF_NETNS, IF_PEER, IF_VETH, IF_VNI, NONE, NS_KIND, NS_NODE, NS_POD,
  P_DPORT, P_DST, P_PROTO, P_SPORT, P_SRC, PE_BYTES, PE_HI, PE_IDENTITY, PE_LO, PE_MASK, PE_NET, PE_PROTO, PEP_BYTES, PEP_COUNT, PEP_DIR, PEP_ENFORCED, PEP_FIRST, PEP_LXC, POL_EGRESS,
} from "./abi";
import { arenaAlloc } from "./arena";
import { stateFind } from "./cilium";
import { mix } from "./keyed-table";
import { iface, ifaceByAddr, inMemory, netns } from "./state";

let eps: usize = 0;
let epCount: u32 = 0;
let entries: usize = 0;
let entryCount: u32 = 0;
let slots: usize = 0; // (lxc << 1 | dir) → endpoint record + 1
let mask: u32 = 0;

/** True when the cluster has policies for Cilium to enforce: only then are connections tracked for them. */
export let policyActive: bool = false;

// State kinds (cilium.ts's table): a connection seen leaving an endpoint (egress) or entering one (ingress).
const K_PCT_EGRESS: u32 = 0x60000000;
const K_PCT_INGRESS: u32 = 0x70000000;

/** Loads the endpoint records (PEP_*) and their entries (PE_*). False when they do not fit together. */
export function policyLoad(e: usize, n: u32, en: usize, enN: u32): bool {
  eps = e;
  epCount = n;
  entries = en;
  entryCount = enN;
  policyActive = n != 0;
  if (!inMemory(e, n, PEP_BYTES) || !inMemory(en, enN, PE_BYTES)) return false;
  let cap: u32 = 16;
  while (cap < n * 2) cap <<= 1;
  mask = cap - 1;
  slots = arenaAlloc(<usize>cap * 4);
  for (let i: u32 = 0; i < n; i++) {
    const r = e + <usize>i * PEP_BYTES;
    if (<u64>load<u32>(r, PEP_FIRST) + <u64>load<u32>(r, PEP_COUNT) > <u64>enN) return false;
    let s = mix(load<u32>(r, PEP_LXC), load<u32>(r, PEP_DIR)) & mask;
    while (load<u32>(slots + <usize>s * 4) != 0) s = (s + 1) & mask;
    store<u32>(slots + <usize>s * 4, i + 1);
  }
  return true;
}

function endpoint(lxc: u32, dir: u32): usize {
  if (epCount == 0) return 0;
  let s = mix(lxc, dir) & mask;
  for (;;) {
    const v = load<u32>(slots + <usize>s * 4);
    if (v == 0) return 0;
    const r = eps + <usize>(v - 1) * PEP_BYTES;
    if (load<u32>(r, PEP_LXC) == lxc && load<u32>(r, PEP_DIR) == dir) return r;
    s = (s + 1) & mask;
  }
  return 0;
}

/**
 * The ipcache's security identity of `addr` as node `n` sees it: a pod's own; an address of a
 * node (its NIC, cilium_host, a host-network pod) host on that node and remote-node elsewhere;
 * anything else world.
 */
export function identityOf(addr: u32, n: u32): u32 {
  const t = ifaceByAddr(addr);
  if (t == NONE) return IDENTITY_WORLD;
  const f = iface(t);
  const ns = netns(load<u32>(f, IF_NETNS));
  if (load<u32>(ns, NS_KIND) == NS_POD) return load<u32>(f, IF_KIND) == IF_VETH ? load<u32>(iface(load<u32>(f, IF_PEER)), IF_VNI) : IDENTITY_WORLD;
  return load<u32>(ns, NS_NODE) == n ? IDENTITY_HOST : IDENTITY_REMOTE_NODE;
}

export const POLICY_ALLOW_ALL: u32 = 0xfffffffe; // the direction is not enforced
export const POLICY_DENIED: u32 = NONE;

/**
 * The policy map's answer for a new connection: the entry that allows it, POLICY_ALLOW_ALL
 * when the endpoint is not enforced that way, POLICY_DENIED when no entry covers it.
 */
export function policyLookup(lxc: u32, dir: u32, remote: u32, remoteAddr: u32, proto: u32, port: u32): u32 {
  const r = endpoint(lxc, dir);
  if (r == 0 || load<u32>(r, PEP_ENFORCED) == 0) return POLICY_ALLOW_ALL;
  const first = load<u32>(r, PEP_FIRST);
  const count = load<u32>(r, PEP_COUNT);
  for (let k: u32 = 0; k < count; k++) {
    const e = entries + <usize>(first + k) * PE_BYTES;
    const id = load<u32>(e, PE_IDENTITY);
    if (id != 0 && id != remote) continue;
    const m = load<u32>(e, PE_MASK);
    if (m != 0 && (remoteAddr & m) != load<u32>(e, PE_NET)) continue;
    const p = load<u32>(e, PE_PROTO);
    if (p != 0 && p != proto) continue;
    if (port < load<u32>(e, PE_LO) || port > load<u32>(e, PE_HI)) continue;
    return first + k;
  }
  return POLICY_DENIED;
}

/**
 * Conntrack for policy on node `n`: 0 for a new connection, 1 for a packet of one already
 * allowed (either way round). `record`: remember the packet's connection as allowed.
 */
export function policyTracked(n: u32, dir: u32, src: u32, dst: u32, ports: u32, proto: u32): bool {
  const mine = dir == POL_EGRESS ? K_PCT_EGRESS : K_PCT_INGRESS;
  const other = dir == POL_EGRESS ? K_PCT_INGRESS : K_PCT_EGRESS;
  // A reply: the other direction's entry, reversed (CT_REPLY); a later packet: this one's (CT_ESTABLISHED).
  if (stateFind(other | n, dst, src, (ports << 16) | (ports >>> 16), proto, false) != 0) return true;
  return stateFind(mine | n, src, dst, ports, proto, false) != 0;
}

/** A reply of a connection allowed the other way (CT_REPLY): the other direction's entry, reversed. */
export function policyIsReply(n: u32, dir: u32, pkt: usize): bool {
  const proto = load<u32>(pkt, P_PROTO);
  const ports = (load<u32>(pkt, P_SPORT) << 16) | load<u32>(pkt, P_DPORT);
  const other = dir == POL_EGRESS ? K_PCT_INGRESS : K_PCT_EGRESS;
  return stateFind(other | n, load<u32>(pkt, P_DST), load<u32>(pkt, P_SRC), (ports << 16) | (ports >>> 16), proto, false) != 0;
}

export function policyRemember(n: u32, dir: u32, src: u32, dst: u32, ports: u32, proto: u32): void {
  stateFind((dir == POL_EGRESS ? K_PCT_EGRESS : K_PCT_INGRESS) | n, src, dst, ports, proto, true);
}
