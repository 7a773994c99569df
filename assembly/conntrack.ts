// Connection tracking like the kernel's (and gVisor's): one entry per connection holding the
// original and the reply tuple, both hashed into the same table so a packet of either
// direction finds its connection in one lookup. NAT bindings live in the entry: only a
// connection's first packet walks the nat table. Expired entries are reaped lazily when a
// lookup meets them. Capacity is fixed at load (nf_conntrack_max); a full table drops new
// connections, as the kernel does ("nf_conntrack: table full, dropping packet").

import { arenaAlloc } from "./arena";
import { now } from "./state";

export const CT_ORIG_SRC: u32 = 0;
export const CT_ORIG_DST: u32 = 4;
export const CT_ORIG_PORTS: u32 = 8; // sport << 16 | dport
export const CT_KEY: u32 = 12; // proto | zone << 8 (zone: the node)
export const CT_REPLY_SRC: u32 = 16;
export const CT_REPLY_DST: u32 = 20;
export const CT_REPLY_PORTS: u32 = 24;
export const CT_STATUS: u32 = 28;
export const CT_EXPIRES: u32 = 32;
export const CT_IPVS_RS: u32 = 36; // with CS_IPVS: the IPVS real server (global index) the connection is bound to
export const CT_BYTES: u32 = 40;

export const CS_DNAT: u32 = 1;
export const CS_SNAT: u32 = 2;
export const CS_SEEN_REPLY: u32 = 4;
export const CS_USED: u32 = 8;
export const CS_ASSURED: u32 = 16;
// IPVS translated the connection (net.ipv4.vs.conntrack=1 leaves conntrack the tuples, without
// NAT of its own: IPVS rewrites every packet itself), and whether IPVS counts it as active.
export const CS_IPVS: u32 = 32;
export const CS_IPVS_ACTIVE: u32 = 64;
// TCP state in bits 8-11 (the states conntrack -L prints)
export const TCP_SHIFT: u32 = 8;
export const TCP_SYN_SENT: u32 = 1;
export const TCP_SYN_RECV: u32 = 2;
export const TCP_ESTABLISHED: u32 = 3;
export const TCP_FIN_WAIT: u32 = 4;
export const TCP_CLOSE_WAIT: u32 = 5;
export const TCP_LAST_ACK: u32 = 6;
export const TCP_TIME_WAIT: u32 = 7;

// Timeouts (seconds), the kernel's defaults.
export const TIMEOUT_TCP_ESTABLISHED: u32 = 432000;
export const TIMEOUT_TCP_SYN_SENT: u32 = 120;
export const TIMEOUT_TCP_SYN_RECV: u32 = 60;
export const TIMEOUT_TCP_FIN_WAIT: u32 = 120;
export const TIMEOUT_TCP_CLOSE_WAIT: u32 = 60;
export const TIMEOUT_TCP_LAST_ACK: u32 = 30;
export const TIMEOUT_TCP_TIME_WAIT: u32 = 120;
// A UDP flow becomes a "stream" (120 s) only after traffic both ways for more than 2 s;
// the exchanges simulated here are shorter, so 30 s applies.
export const TIMEOUT_UDP: u32 = 30;
// nf_conntrack_udp_timeout_stream: a UDP flow with traffic both ways seen for over 2 s (ASSURED).
export const TIMEOUT_UDP_STREAM: u32 = 120;
const PROTO_UDP: u32 = 17;
export const TIMEOUT_ICMP: u32 = 30;

/** Number of live entries, and their indexes in [0, capacity) for `conntrack -L`. */
export function ctCapacity(): u32 {
  return freeList;
}

let entries: usize = 0;
let capacity: u32 = 0;
let slots: usize = 0; // u32 per slot: 0 empty, TOMB deleted, else (entry << 1 | dir) + 1
let slotMask: u32 = 0;
let freeList: u32 = 0; // next never-used entry
// Entries freed by expiry, reused before never-used ones run out: a stack of indexes.
let freed: usize = 0;
let freedCount: u32 = 0;
let live: u32 = 0;
const TOMB: u32 = 0xffffffff;

export let ctHits: u64 = 0;
export let ctMisses: u64 = 0;
export let ctInserts: u64 = 0;
export let ctFullDrops: u64 = 0;
export let ctExpired: u64 = 0;

export function ctInit(max: u32): void {
  capacity = max;
  entries = arenaAlloc(<usize>max * CT_BYTES);
  let s: u32 = 16;
  while (s < max * 4) s <<= 1;
  slotMask = s - 1;
  slots = arenaAlloc(<usize>s * 4);
  freed = arenaAlloc(<usize>max * 4);
  ctClear();
}

/**
 * Makes room for at least `max` connections, emptying the table. Grow-only: a bigger table is
 * carved from the arena and the old one stays behind until the next load, since nothing is
 * freed one by one.
 */
export function ctReserve(max: u32): void {
  if (max <= capacity) {
    ctClear();
    return;
  }
  ctInit(max);
}

/** Forgets every connection (a fresh start for the next trace), keeping the table's memory. */
export function ctClear(): void {
  memory.fill(entries, 0, <usize>capacity * CT_BYTES);
  memory.fill(slots, 0, <usize>(slotMask + 1) * 4);
  freeList = 0;
  freedCount = 0;
  live = 0;
  ctHits = 0;
  ctMisses = 0;
  ctInserts = 0;
  ctFullDrops = 0;
  ctExpired = 0;
}

export function ctLive(): u32 {
  return live;
}

@inline export function ctEntry(i: u32): usize {
  return entries + <usize>i * CT_BYTES;
}

function hashTuple(src: u32, dst: u32, ports: u32, key: u32): u32 {
  let h: u32 = 0x811c9dc5;
  h = (h ^ src) * 0x01000193;
  h = (h ^ dst) * 0x01000193;
  h = (h ^ ports) * 0x01000193;
  h = (h ^ key) * 0x01000193;
  h ^= h >>> 15;
  return h;
}

/** Direction of the last lookup's match: 0 original, 1 reply. */
export let foundDir: u32 = 0;

function expire(e: u32): void {
  const p = ctEntry(e);
  store<u32>(p, 0, CT_STATUS);
  live--;
  ctExpired++;
  store<u32>(freed + <usize>freedCount * 4, e);
  freedCount++;
  // Both of its slots become tombstones.
  for (let dir: u32 = 0; dir < 2; dir++) {
    const off: u32 = dir == 0 ? CT_ORIG_SRC : CT_REPLY_SRC;
    let s = hashTuple(load<u32>(p + <usize>off), load<u32>(p + <usize>off + 4), load<u32>(p + <usize>off + 8), load<u32>(p, CT_KEY)) & slotMask;
    const want = ((e << 1) | dir) + 1;
    for (;;) {
      const v = load<u32>(slots + <usize>s * 4);
      if (v == 0) break;
      if (v == want) {
        store<u32>(slots + <usize>s * 4, TOMB);
        break;
      }
      s = (s + 1) & slotMask;
    }
  }
}

/** Removes connection `e` now (a SYN reopening a TIME_WAIT tuple). */
export function ctKill(e: u32): void {
  if (load<u32>(ctEntry(e), CT_STATUS) != 0) expire(e);
}

/** The connection a packet belongs to (either direction), or NONE; sets foundDir. */
export function ctLookup(src: u32, dst: u32, ports: u32, key: u32): u32 {
  let s = hashTuple(src, dst, ports, key) & slotMask;
  for (;;) {
    const v = load<u32>(slots + <usize>s * 4);
    if (v == 0) {
      ctMisses++;
      return 0xffffffff;
    }
    if (v != TOMB) {
      const e = (v - 1) >>> 1;
      const dir = (v - 1) & 1;
      const p = ctEntry(e);
      const off: u32 = dir == 0 ? CT_ORIG_SRC : CT_REPLY_SRC;
      if (load<u32>(p + <usize>off) == src && load<u32>(p + <usize>off + 4) == dst && load<u32>(p + <usize>off + 8) == ports && load<u32>(p, CT_KEY) == key) {
        if (load<u32>(p, CT_EXPIRES) < now) {
          expire(e);
          ctMisses++;
          return 0xffffffff;
        }
        foundDir = dir;
        ctHits++;
        return e;
      }
    }
    s = (s + 1) & slotMask;
  }
  return 0xffffffff;
}

function insertSlot(src: u32, dst: u32, ports: u32, key: u32, value: u32): void {
  let s = hashTuple(src, dst, ports, key) & slotMask;
  for (;;) {
    const v = load<u32>(slots + <usize>s * 4);
    if (v == 0 || v == TOMB) {
      store<u32>(slots + <usize>s * 4, value);
      return;
    }
    s = (s + 1) & slotMask;
  }
}

/**
 * A new connection with reply tuple already NAT-adjusted by the caller. Returns its index,
 * or NONE when the table is full (the caller drops the packet).
 */
export function ctInsert(src: u32, dst: u32, ports: u32, key: u32, rsrc: u32, rdst: u32, rports: u32, status: u32, timeout: u32): u32 {
  // Full: first reap what has expired (the kernel's gc worker would have), then give up.
  if (live >= capacity) ctGc();
  if (live >= capacity) {
    ctFullDrops++;
    return 0xffffffff;
  }
  let e: u32;
  if (freedCount != 0) {
    freedCount--;
    e = load<u32>(freed + <usize>freedCount * 4);
  } else {
    e = freeList++;
  }
  const p = ctEntry(e);
  store<u32>(p, src, CT_ORIG_SRC);
  store<u32>(p, dst, CT_ORIG_DST);
  store<u32>(p, ports, CT_ORIG_PORTS);
  store<u32>(p, key, CT_KEY);
  store<u32>(p, rsrc, CT_REPLY_SRC);
  store<u32>(p, rdst, CT_REPLY_DST);
  store<u32>(p, rports, CT_REPLY_PORTS);
  store<u32>(p, status | CS_USED, CT_STATUS);
  store<u32>(p, now + timeout, CT_EXPIRES);
  insertSlot(src, dst, ports, key, (e << 1) + 1);
  insertSlot(rsrc, rdst, rports, key, ((e << 1) | 1) + 1);
  live++;
  ctInserts++;
  return e;
}

/**
 * Reaps every expired entry, as the kernel's conntrack gc worker does in the background (here:
 * when the table is full, and before occupancy is read), so `live` counts what is alive now.
 */
export function ctGc(): void {
  for (let e: u32 = 0; e < freeList; e++) {
    const p = ctEntry(e);
    if (load<u32>(p, CT_STATUS) != 0 && load<u32>(p, CT_EXPIRES) < now) expire(e);
  }
}

export function ctRefresh(e: u32, timeout: u32): void {
  const p = ctEntry(e);
  // udp_packet: a UDP stream (ASSURED) is refreshed to the stream timeout by every packet. Only
  // ctInject's entries are UDP streams here (the exchanges simulated are shorter than 2 s).
  if ((load<u32>(p, CT_KEY) & 255) == PROTO_UDP && (load<u32>(p, CT_STATUS) & CS_ASSURED) != 0) timeout = TIMEOUT_UDP_STREAM;
  store<u32>(p, now + timeout, CT_EXPIRES);
}

/**
 * A connection that existed before the simulation started (the `stale-udp-conntrack` fault: the
 * entry kube-proxy's DNAT made for a client's long-lived UDP socket, which kube-proxy then
 * failed to delete). Inserted as given unless a live entry already holds its original tuple
 * (the same socket sending again); the lookup and insert counters are left as they were, the
 * entry being no packet's doing. Returns the entry's index, or NONE when the table is full.
 */
export function ctInject(src: u32, dst: u32, ports: u32, key: u32, rsrc: u32, rdst: u32, rports: u32, status: u32, timeout: u32): u32 {
  const hits = ctHits;
  const misses = ctMisses;
  const inserts = ctInserts;
  let e = ctLookup(src, dst, ports, key);
  if (e == 0xffffffff) e = ctInsert(src, dst, ports, key, rsrc, rdst, rports, status, timeout);
  ctHits = hits;
  ctMisses = misses;
  ctInserts = inserts;
  return e;
}
