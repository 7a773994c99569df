// Each namespace's routing decision. A namespace's own routes (a pod's three, a node's handful)
// get a trie each, and pods with the same prefixes share one. The routes every node holds to
// every other node's pod network are kept once for the cluster (src/compile/routes.ts
// PeerRoutes) in one shared trie: at 5,000 nodes, per-node copies would be 25 million routes.
// A node's route index space is its own routes, then NS_ROUTE_COUNT + the shared entry.
// A shared route a node lacks (fault missing-route) is a stand-in among its own routes with the
// same prefix (src/compile/routes.ts Route.fallback), carrying the device, gateway and MTU of
// the route the kernel falls back to: own routes win ties, so no per-lookup list to check.

import { IF_NETNS, NONE, NS_FIB, NS_NODE, NS_PEER_GW, NS_PEER_OIF, NS_ROUTE_COUNT, NS_ROUTES, PR_BYTES, PR_GATEWAY, PR_LEN, PR_NODE, RT_BYTES, RT_GATEWAY, RT_LEN, RT_MTU, RT_OIF } from "./abi";
import { fibBuild, fibLookup } from "./fib";
import { E_NODE_REF, E_OK, E_OUT_OF_MEMORY, E_ROUTE, iface, ifaceCount, inMemory, netns, netnsCount, nodeCount } from "./state";

let peerRoutes: usize = 0;
let peerCount: u32 = 0;
let peerRoot: usize = 0;
/** The MTU metric every peer route carries (Cilium's VXLAN routes), 0: none. */
let peerMtu: u32 = 0;

@inline function ownRecord(nsp: usize, r: i32): usize {
  return <usize>load<u32>(nsp, NS_ROUTES) + <usize>r * RT_BYTES;
}

@inline function peerRecord(e: u32): usize {
  return peerRoutes + <usize>e * PR_BYTES;
}

/** Same prefixes and lengths, in the same order: the same trie serves both. */
function samePrefixes(a: usize, b: usize): bool {
  const count = load<u32>(a, NS_ROUTE_COUNT);
  if (load<u32>(b, NS_ROUTE_COUNT) != count) return false;
  const ra = <usize>load<u32>(a, NS_ROUTES);
  const rb = <usize>load<u32>(b, NS_ROUTES);
  for (let r: u32 = 0; r < count; r++) {
    const oa = ra + <usize>r * RT_BYTES;
    const ob = rb + <usize>r * RT_BYTES;
    if (load<u32>(oa) != load<u32>(ob) || load<u32>(oa, RT_LEN) != load<u32>(ob, RT_LEN)) return false;
  }
  return true;
}

/**
 * Checks every namespace's routes and builds the tries. The host may put in NS_FIB the index + 1
 * of an earlier namespace with the same prefixes, whose trie is then shared (checked here, so a
 * wrong hint only costs a trie of its own). Returns E_OK or an error of state.ts.
 */
export function routesLoad(peers: usize, count: u32, mtu: u32): u32 {
  peerRoutes = peers;
  peerCount = count;
  peerMtu = mtu;
  peerRoot = 0;
  if (!inMemory(peers, count, PR_BYTES)) return E_OUT_OF_MEMORY;
  for (let e: u32 = 0; e < count; e++) {
    if (load<u32>(peerRecord(e), PR_NODE) >= nodeCount) return E_NODE_REF;
  }
  if (count != 0) {
    peerRoot = fibBuild(peers, count, PR_BYTES);
    if (peerRoot == 0) return E_ROUTE;
  }
  for (let i: u32 = 0; i < netnsCount; i++) {
    const n = netns(i);
    const routes = <usize>load<u32>(n, NS_ROUTES);
    const routeCount = load<u32>(n, NS_ROUTE_COUNT);
    if (!inMemory(routes, routeCount, RT_BYTES)) return E_OUT_OF_MEMORY;
    for (let r: u32 = 0; r < routeCount; r++) {
      const oif = load<u32>(routes + <usize>r * RT_BYTES, RT_OIF);
      if (oif == NONE) continue; // a blackhole route has no device
      if (oif >= ifaceCount || load<u32>(iface(oif), IF_NETNS) != i) return E_ROUTE;
    }
    const peerOif = load<u32>(n, NS_PEER_OIF);
    if (peerOif != NONE && (peerOif >= ifaceCount || load<u32>(iface(peerOif), IF_NETNS) != i)) return E_ROUTE;
    const hint = load<u32>(n, NS_FIB);
    let root: usize = 0;
    if (hint != 0 && hint - 1 < i && samePrefixes(netns(hint - 1), n)) root = <usize>load<u32>(netns(hint - 1), NS_FIB);
    if (root == 0) root = fibBuild(routes, routeCount, RT_BYTES);
    if (root == 0) return E_ROUTE;
    store<u32>(n, <u32>root, NS_FIB);
  }
  return E_OK;
}

/**
 * The route `nsp` takes to `dst`, or -1: the longest prefix among its own routes and, on a
 * node, the other nodes' pod networks. Pod networks never overlap, so the shared trie's match
 * is the only peer route that can cover `dst`; when it is the node's own, the node's own
 * routes decide.
 */
export function routeLookup(nsp: usize, dst: u32): i32 {
  const own = fibLookup(<usize>load<u32>(nsp, NS_FIB), dst);
  if (peerRoot == 0 || load<u32>(nsp, NS_PEER_OIF) == NONE) return own;
  const e = fibLookup(peerRoot, dst);
  if (e < 0) return own;
  const rec = peerRecord(<u32>e);
  if (load<u32>(rec, PR_NODE) == load<u32>(nsp, NS_NODE)) return own;
  if (own >= 0 && load<u32>(ownRecord(nsp, own), RT_LEN) >= load<u32>(rec, PR_LEN)) return own;
  return <i32>load<u32>(nsp, NS_ROUTE_COUNT) + e;
}

/** Route `r`'s device (NONE: a blackhole). */
export function routeOif(nsp: usize, r: i32): u32 {
  const own = load<u32>(nsp, NS_ROUTE_COUNT);
  if (<u32>r < own) return load<u32>(ownRecord(nsp, r), RT_OIF);
  return load<u32>(nsp, NS_PEER_OIF);
}

/** Route `r`'s next hop, 0 when directly connected. */
export function routeGateway(nsp: usize, r: i32): u32 {
  const own = load<u32>(nsp, NS_ROUTE_COUNT);
  if (<u32>r < own) return load<u32>(ownRecord(nsp, r), RT_GATEWAY);
  const gw = load<u32>(peerRecord(<u32>r - own), PR_GATEWAY);
  if (gw != NONE) return gw;
  const holder = load<u32>(nsp, NS_PEER_GW);
  return holder == NONE ? 0 : holder;
}

/** Route `r`'s MTU metric, 0: the device's. */
export function routeMtu(nsp: usize, r: i32): u32 {
  const own = load<u32>(nsp, NS_ROUTE_COUNT);
  if (<u32>r < own) return load<u32>(ownRecord(nsp, r), RT_MTU);
  return peerMtu;
}
