// Packets and raw exchanges as the dataplane's host sees them.
import * as A from "./abi.js";

export interface PacketSpec {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  /** IP protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP). */
  proto: number;
  ttl: number;
  /** IPv4 total length. */
  len: number;
  flags: number;
  /** The answer's IPv4 total length when it is not the request's (FlowQuery.replySize). */
  replyLen?: number;
}

export interface RawExchange {
  verdict: number;
  replyVerdict: number;
  /** Hop records (A.T_BYTES each) as u32 words. */
  hops: Uint32Array;
  hopCount: number;
}

/** A TCP SYN as Linux sends it: 20 bytes of IP, 40 of TCP with options; DF set. */
export function tcpSyn(src: number, dst: number, sport: number, dport: number): PacketSpec {
  return { src, dst, sport, dport, proto: A.PROTO_TCP, ttl: 64, len: 60, flags: A.PF_SYN | A.PF_DF };
}

/** A small UDP datagram (a DNS query's size). */
export function udpDatagram(src: number, dst: number, sport: number, dport: number, len = 60): PacketSpec {
  return { src, dst, sport, dport, proto: A.PROTO_UDP, ttl: 64, len, flags: A.PF_DF };
}
