// What the client program in the source pod would print for a traced connection: the command a
// learner types (curl for TCP, netcat for UDP) and its exact output and exit status, read off the
// trace (its verdicts, the hop that stopped the request, the ICMP error that came back).
//
// The messages are the programs' own, for the versions a debug pod usually carries:
//
// curl 8.x (7.86.0 and later; curl/curl#9554 replaced the errno text of "Failed to connect" by
// curl_easy_strerror(), so a refusal and a host unreachable print the same line; `curl -v` still
// shows "connect to … failed: Connection refused"):
//   curl: (7) Failed to connect to HOST port PORT after N ms: Couldn't connect to server
//   curl: (28) Failed to connect to HOST port PORT after N ms: Timeout was reached
//     (--connect-timeout expiring: the form a curl maintainer shows in curl/curl#18484)
//   curl: (6) Could not resolve host: HOST
// Exit codes from https://curl.se/libcurl/c/libcurl-errors.html: 6 CURLE_COULDNT_RESOLVE_HOST,
// 7 CURLE_COULDNT_CONNECT, 28 CURLE_OPERATION_TIMEDOUT. -sS hides the progress meter and keeps
// the error line. The simulation has no clock: the milliseconds are what such a run typically
// prints (a refusal at once, a timeout just past its limit, an ARP failure after its 3 tries).
//
// netcat-openbsd (`nc -vzu -w 3 HOST PORT`): udptest() writes a few datagrams and fails only on
// ECONNREFUSED (an ICMP port unreachable came back); anything else is reported as success,
// dropped or not — UDP has no handshake, which is the lesson. connection_info() prints
// "Connection to HOST PORT port [udp/SERVICE] succeeded!" on stderr; a name that does not
// resolve: "nc: getaddrinfo for host "HOST" port PORT: <gai_strerror>", exit 1.

import type { Hop, Trace } from "./types.js";

export type ClientView = NonNullable<Trace["client"]>;

/** curl's --connect-timeout in the command line, in seconds. */
export const CONNECT_TIMEOUT = 5;
/** nc's -w in the command line, in seconds. */
export const NC_WAIT = 3;

const CURL_COULDNT_CONNECT = "Couldn't connect to server";
const CURL_TIMEOUT = "Timeout was reached";
/** Typical durations, in ms (see the header). */
const MS_AT_ONCE = 0;
const MS_ARP_FAILED = 3069; // neighbour resolution: 3 probes 1 s apart (ucast/mcast_solicit, retrans_time_ms), then EHOSTUNREACH
const MS_TIMED_OUT = CONNECT_TIMEOUT * 1000 + 2;

/** /etc/services names nc prints for a UDP port (service "*" when none). */
const UDP_SERVICES: Record<number, string> = { 53: "domain", 67: "bootps", 68: "bootpc", 69: "tftp", 123: "ntp", 161: "snmp", 514: "syslog", 4789: "*", 8472: "*" };

/** How the kernel ends the client's connect(). */
type Ending = { outcome: ClientView["outcome"]; ms: number; why: string };

/**
 * The client's view of a trace. `undefined` for SCTP (no common client program) and for a trace
 * without a usable target.
 */
export function clientView(trace: Trace): ClientView | undefined {
  const { flow } = trace;
  const host = trace.dns?.name.replace(/\.$/, "") ?? flow.dstIP;
  if (!host) return undefined;
  const udp = flow.protocol === "udp";
  if (flow.protocol === "sctp") return undefined;
  const port = flow.dport;
  if (udp) {
    const command = `nc -vzu -w ${NC_WAIT} ${host} ${port || 53}`;
    if (trace.verdict === "unresolved") return { command, output: `nc: getaddrinfo for host "${host}" port ${port || 53}: ${trace.dns?.error ?? "Name or service not known"}\n`, exitCode: 1, outcome: "unresolved" };
    const end = ending(trace);
    // Only ECONNREFUSED makes udptest() fail; a host unreachable or a drop still "succeeds".
    if (end.outcome === "refused") return { command, output: "", exitCode: 1, outcome: "refused" };
    const shown = host === flow.dstIP ? host : `${host} (${flow.dstIP})`;
    return { command, output: `Connection to ${shown} ${port} port [udp/${UDP_SERVICES[port] ?? "*"}] succeeded!\n`, exitCode: 0, outcome: end.outcome };
  }
  const url = `http://${host}${port && port !== 80 ? `:${port}` : ""}/`;
  const command = `curl -sS --connect-timeout ${CONNECT_TIMEOUT} ${url}`;
  if (trace.verdict === "unresolved") return { command, output: `curl: (6) Could not resolve host: ${host}\n`, exitCode: 6, outcome: "unresolved" };
  const end = ending(trace);
  const failed = (code: number, text: string) => `curl: (${code}) Failed to connect to ${host} port ${port || 80} after ${end.ms} ms: ${text}\n`;
  switch (end.outcome) {
    case "connected":
      // The handshake completed; what the server answers over HTTP is not simulated, so no
      // response is made up: curl's own output stays empty here.
      return { command, output: "", exitCode: 0, outcome: "connected" };
    case "refused":
    case "unreachable":
      return { command, output: failed(7, CURL_COULDNT_CONNECT), exitCode: 7, outcome: end.outcome };
    default:
      return { command, output: failed(28, CURL_TIMEOUT), exitCode: 28, outcome: end.outcome };
  }
}

/** In words, why the client saw what it saw (the CLI prints it under the output). */
export function clientReason(trace: Trace): string {
  return trace.verdict === "unresolved" ? `the resolver gave up: ${trace.dns?.error ?? "no address"}` : ending(trace).why;
}

const UNREACH_CODES: Record<number, string> = {
  0: "ICMP network unreachable: connect() fails with ENETUNREACH (Network is unreachable)",
  1: "ICMP host unreachable: connect() fails with EHOSTUNREACH (No route to host)",
  9: "ICMP network administratively prohibited: EHOSTUNREACH",
  10: "ICMP host administratively prohibited: EHOSTUNREACH",
  13: "ICMP communication administratively prohibited: EHOSTUNREACH",
};

function ending(trace: Trace): Ending {
  const request = trace.hops.filter((h) => h.phase === "request");
  const last = request.at(-1);
  const errorsBack = trace.hops.filter((h) => h.phase === "error");
  const icmpAtClient = errorsBack.find((h) => h.action === "deliver" && h.netns !== "host" && h.packet.icmp);
  if (trace.verdict === "delivered") {
    if (trace.replyVerdict === "delivered" || trace.replyVerdict === undefined && trace.flow.protocol === "udp") {
      return { outcome: "connected", ms: MS_AT_ONCE, why: trace.flow.protocol === "tcp" ? "the SYN-ACK came back: the TCP handshake completed" : "the datagram was delivered" };
    }
    // The SYN-ACK never completes the handshake (dropped on its way, or ignored by the client as
    // coming from an address it did not connect to): the SYN is retried until the timeout.
    const lost = trace.hops.filter((h) => h.phase === "reply").at(-1);
    return { outcome: "timeout", ms: MS_TIMED_OUT, why: `the request arrived but the answer did not${lost?.reason ? ` (${lost.reason} at ${lost.node})` : ""}: no SYN-ACK, connect() times out` };
  }
  if (trace.verdict === "rejected") {
    // The ICMP error (or RST) must reach the client's socket, else it is as if nothing came back.
    if (trace.replyVerdict !== undefined && trace.replyVerdict !== "delivered") return { outcome: "timeout", ms: MS_TIMED_OUT, why: "rejected, but the ICMP error never reached the client" };
    const code = icmpAtClient?.packet.icmp?.code;
    if (code !== undefined && UNREACH_CODES[code]) return { outcome: "unreachable", ms: MS_AT_ONCE, why: `rejected with ${UNREACH_CODES[code]}` };
    return { outcome: "refused", ms: MS_AT_ONCE, why: "rejected with ICMP port unreachable: connect() fails with ECONNREFUSED (Connection refused)" };
  }
  // Dropped. An ICMP unreachable that made it back to the client ends connect() at once.
  const code = icmpAtClient?.packet.icmp?.code;
  if (code !== undefined && UNREACH_CODES[code]) return { outcome: "unreachable", ms: MS_AT_ONCE, why: UNREACH_CODES[code]! };
  return droppedEnding(last);
}

function droppedEnding(last: Hop | undefined): Ending {
  const reason = last?.reason ?? "";
  // Cilium's socket LB with no backend: connect() itself fails (the drop reason says so).
  if (/EHOSTUNREACH|no backend/.test(reason)) return { outcome: "unreachable", ms: MS_AT_ONCE, why: "the Service has no backend: connect() fails with EHOSTUNREACH (No route to host)" };
  // Neighbour resolution failing: the kernel reports it, it does not silently drop. Locally,
  // connect() gets EHOSTUNREACH; on a forwarding node arp_error_report() → ipv4_link_failure()
  // sends ICMP host unreachable to the sender (net/ipv4/arp.c, route.c). Either way after the
  // ~3 s of ARP probes.
  if (/No route to host/.test(reason)) return { outcome: "unreachable", ms: MS_ARP_FAILED, why: `${reason} at ${last!.node}: after the ARP probes the client gets EHOSTUNREACH (No route to host)` };
  // No route in the client's own namespace: connect() fails with ENETUNREACH at once. On a
  // forwarding node the kernel would answer ICMP net unreachable (ip_error()), but only what
  // the trace shows is believed: without that ICMP hop the client just waits.
  if (/Network is unreachable/.test(reason) && last!.netns !== "host" && last!.component === "pod") return { outcome: "unreachable", ms: MS_AT_ONCE, why: "no route in the pod: connect() fails with ENETUNREACH (Network is unreachable)" };
  return { outcome: "timeout", ms: MS_TIMED_OUT, why: `the request was dropped${last ? ` (${reason || "dropped"}, ${last.component} on ${last.node})` : ""} and nothing came back: the SYN is retried until --connect-timeout` };
}
