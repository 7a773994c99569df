// What IPVS mode shows on a node: `ipvsadm -Ln` (ipvsadm 1.31: list_all → print_title,
// print_service_entry) and the dummy device kube-ipvs0 as iproute2 prints it.

import { IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED2, IPVS_DEVICE, type IpvsRealServer, type IpvsTable, type IpvsVirtualServer } from "../compile/ipvs.js";
import { formatIPv4 } from "../net/ipv4.js";
import { fnv1a32 } from "../model/random.js";

const PROTO_NUMBER = { TCP: 6, UDP: 17, SCTP: 132 } as const;

/** `IP_VS_VERSION_CODE` 0x010201 and the connection table's size (CONFIG_IP_VS_TAB_BITS 12). */
export const IPVSADM_HEADER = "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";

/**
 * A virtual server's line: `%-4s %s` of protocol and address:port (cut at 33 characters), the
 * scheduler, `(mh-port)` for print_sched_flags, `persistent N` with affinity.
 */
export function ipvsServiceLine(vs: IpvsVirtualServer): string {
  const name = `${vs.protocol.padEnd(4)} ${formatIPv4(vs.addr)}:${vs.port}`.slice(0, 33);
  let line = `${name} ${vs.scheduler}`;
  if (vs.flags & IP_VS_SVC_F_SCHED2) line += vs.scheduler === "mh" ? " (mh-port)" : vs.scheduler === "sh" ? " (sh-port)" : " (flag-2)";
  if (vs.flags & IP_VS_SVC_F_PERSISTENT) line += ` persistent ${vs.timeout}`;
  return line;
}

/** A real server's line: `  -> %-28s %-7s %-6d %-10u %-10u` (Masq: kube-proxy's forwarding method). */
export function ipvsDestLine(d: Pick<IpvsRealServer, "addr" | "port" | "weight">, active: number, inactive: number): string {
  const name = `${formatIPv4(d.addr)}:${d.port}`.slice(0, 28);
  return `  -> ${name.padEnd(28)} ${"Masq".padEnd(7)} ${String(d.weight).padEnd(6)} ${String(active).padEnd(10)} ${String(inactive).padEnd(10)}`;
}

/** C's `int r = ntohl(a) - ntohl(b)`: the difference as a 32-bit int (ipvs_cmp_services / ipvs_cmp_dests). */
const cmp32 = (a: number, b: number) => (a - b) | 0;

/**
 * `ipvsadm -Ln` on a node: services sorted by protocol, address and port (ipvs_cmp_services),
 * each followed by its real servers sorted by address and port (ipvs_cmp_dests), with that
 * node's connection counters.
 */
export function ipvsadmList(table: IpvsTable, counters: (rs: number) => [number, number]): string {
  const services = [...table.virtualServers].sort((a, b) => PROTO_NUMBER[a.protocol] - PROTO_NUMBER[b.protocol] || cmp32(a.addr, b.addr) || a.port - b.port);
  let out = IPVSADM_HEADER;
  for (const vs of services) {
    out += `${ipvsServiceLine(vs)}\n`;
    const dests = vs.dests.map((d, i) => ({ d, rs: vs.firstDest + i })).sort((a, b) => cmp32(a.d.addr, b.d.addr) || a.d.port - b.d.port);
    for (const { d, rs } of dests) {
      const [active, inactive] = counters(rs);
      out += `${ipvsDestLine(d, active, inactive)}\n`;
    }
  }
  return out;
}

/**
 * kube-ipvs0's MAC: dummy_setup gives it a random one (eth_hw_addr_random: locally
 * administered, unicast); here one derived from the node, so the same cluster shows the same.
 */
export function ipvsDeviceMac(node: string): string {
  const a = fnv1a32(`kube-ipvs0/${node}`);
  const b = fnv1a32(`kube-ipvs0#/${node}`);
  return [((a >>> 24) & 0xfc) | 0x02, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, (b >>> 8) & 255, b & 255].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/**
 * kube-ipvs0's header as `ip link`/`ip addr` print it: a dummy that kube-proxy never sets up
 * (flags BROADCAST,NOARP from dummy_setup, qdisc noop, state DOWN, ether_setup's qlen 1000).
 */
function deviceHeader(index: number, mac: string, mode: boolean): string {
  return `${index}: ${IPVS_DEVICE}: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN${mode ? " mode DEFAULT" : ""} group default qlen 1000\n    link/ether ${mac} brd ff:ff:ff:ff:ff:ff\n`;
}

/** `ip link show kube-ipvs0`. */
export function ipvsDeviceLink(index: number, mac: string): string {
  return deviceHeader(index, mac, true);
}

/**
 * `ip addr show kube-ipvs0`: each ClusterIP a /32 of scope global, in the order bound (new
 * primary addresses go after the last primary, __inet_insert_ifa); a device that is down has
 * no IPv6 link-local address.
 */
export function ipvsDeviceAddr(index: number, mac: string, bound: number[]): string {
  return deviceHeader(index, mac, false) + bound.map((ip) => `    inet ${formatIPv4(ip)}/32 scope global ${IPVS_DEVICE}\n       valid_lft forever preferred_lft forever\n`).join("");
}
