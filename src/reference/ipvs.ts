// IPVS's virtual-server table and schedulers, written for clarity: the oracle for
// assembly/ipvs.ts (same kernel algorithms, same per-node state, objects instead of linear
// memory). Each scheduler follows its net/netfilter/ipvs/ip_vs_*.c module; see the Wasm side's
// comments for the details each one keeps.

import { IP_VS_MH_TAB_SIZE, IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED2, type IpvsTable, type IpvsVirtualServer } from "../compile/ipvs.js";
import * as A from "../dataplane/abi.js";

interface NodeVs {
  /** rr's and wrr's position in the list (undefined: the head). */
  pos: number | undefined;
  cw: number;
  /** lblc's cached destination. */
  lblc: number | undefined;
  /** lblcr's set: destination → insertion number (the latest first in its list). */
  lblcr: Map<number, number>;
}

/** hsiphash on 64-bit kernels: SipHash-1-3 of one u32 under the key (k, k), truncated to 32 bits. */
export function hsiphash32(value: number, key: bigint): number {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;
  let v0 = 0x736f6d6570736575n ^ key;
  let v1 = 0x646f72616e646f6dn ^ key;
  let v2 = 0x6c7967656e657261n ^ key;
  let v3 = 0x7465646279746573n ^ key;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const b = (4n << 56n) | BigInt(value >>> 0);
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  round();
  round();
  round();
  return Number((v0 ^ v1 ^ v2 ^ v3) & 0xffffffffn);
}

const MH_KEY1 = 2654435761n;
const MH_KEY2 = 2654446892n;
const MH_TAB_BITS = 6;

/** ip_vs_mh_permutate + ip_vs_mh_populate: the Maglev lookup table, destination index per position (-1: none). */
export function mhLookup(vs: IpvsVirtualServer): Int32Array {
  const M = IP_VS_MH_TAB_SIZE;
  const table = new Int32Array(M).fill(-1);
  const n = vs.dests.length;
  let g = 0;
  let maxw = 0;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  for (const d of vs.dests) {
    if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
    if (d.weight > maxw) maxw = d.weight;
  }
  if (g < 1) return table;
  const fls = (x: number) => (x === 0 ? 0 : 32 - Math.clz32(x));
  const shift = Math.max(0, fls(Math.floor(maxw / g)) - MH_TAB_BITS);
  const setup = vs.dests.map((d) => {
    const key = (d.port + d.addr) >>> 0;
    const offset = hsiphash32(key, MH_KEY1) % M;
    const turns = Math.floor(d.weight / g) >> shift;
    return { perm: offset, skip: (hsiphash32(key, MH_KEY2) % (M - 1)) + 1, turns: turns !== 0 ? turns : d.weight !== 0 ? 1 : 0 };
  });
  let filled = 0;
  let dt = 0;
  let i = 0;
  while (filled < M) {
    const ds = setup[i]!;
    if (ds.turns < 1) {
      i = (i + 1) % n;
      continue;
    }
    let c = ds.perm;
    while (table[c] !== -1) {
      ds.perm += ds.skip;
      if (ds.perm >= M) ds.perm -= M;
      c = ds.perm;
    }
    table[c] = i;
    filled++;
    if (++dt >= ds.turns) {
      dt = 0;
      i = (i + 1) % n;
    }
  }
  return table;
}

export class ReferenceIpvs {
  private readonly byKey = new Map<string, IpvsVirtualServer>();
  private readonly bound: Set<number>;
  private nodeVs = new Map<string, NodeVs>();
  private nodeRs = new Map<string, { active: number; inactive: number }>();
  private templates = new Map<string, { dest: number; lastUse: number }>();
  private readonly mh = new Map<number, Int32Array>();
  /** Connections scheduled to each real server, all nodes. */
  scheduled: number[];
  /** The last schedule() took its destination from a persistence template. */
  fromTemplate = false;

  constructor(readonly table: IpvsTable) {
    for (const vs of table.virtualServers) this.byKey.set(`${vs.addr},${A_PROTO[vs.protocol]},${vs.port}`, vs);
    this.bound = new Set(table.bound);
    this.scheduled = new Array<number>(table.realServerCount).fill(0);
  }

  reset(): void {
    this.nodeVs.clear();
    this.nodeRs.clear();
    this.templates.clear();
    this.scheduled.fill(0);
  }

  isBound(addr: number): boolean {
    return this.bound.has(addr);
  }

  find(addr: number, proto: number, port: number): IpvsVirtualServer | undefined {
    return this.byKey.get(`${addr},${proto},${port}`);
  }

  counts(node: number, rs: number): { active: number; inactive: number } {
    return this.nodeRs.get(`${node}/${rs}`) ?? { active: 0, inactive: 0 };
  }

  private rsState(node: number, rs: number): { active: number; inactive: number } {
    const key = `${node}/${rs}`;
    let s = this.nodeRs.get(key);
    if (!s) this.nodeRs.set(key, (s = { active: 0, inactive: 0 }));
    return s;
  }

  /** ip_vs_bind_dest: a new connection counts as inactive (dest->conn_flags carry IP_VS_CONN_F_INACTIVE). */
  bind(node: number, rs: number): void {
    this.rsState(node, rs).inactive++;
    this.scheduled[rs] = this.scheduled[rs]! + 1;
  }

  activate(node: number, rs: number, active: boolean): void {
    const s = this.rsState(node, rs);
    s.active += active ? 1 : -1;
    s.inactive += active ? -1 : 1;
  }

  private state(node: number, vs: IpvsVirtualServer): NodeVs {
    const key = `${node}/${vs.id}`;
    let s = this.nodeVs.get(key);
    if (!s) this.nodeVs.set(key, (s = { pos: undefined, cw: vs.wrr.cw, lblc: undefined, lblcr: new Map() }));
    return s;
  }

  /** ip_vs_schedule (with ip_vs_sched_persist for persistent services): a destination index, or undefined. */
  schedule(node: number, vs: IpvsVirtualServer, p: { src: number; dst: number; sport: number }, now: number): number | undefined {
    this.fromTemplate = false;
    if (vs.flags & IP_VS_SVC_F_PERSISTENT) {
      const key = `${node}/${vs.id}/${p.src}`;
      const tpl = this.templates.get(key);
      if (tpl && ((now - tpl.lastUse) >>> 0) < vs.timeout && vs.dests[tpl.dest]!.weight > 0) {
        tpl.lastUse = now;
        this.fromTemplate = true;
        return tpl.dest;
      }
      const d = this.pick(node, vs, p);
      if (d === undefined) return undefined;
      this.templates.set(key, { dest: d, lastUse: now });
      return d;
    }
    return this.pick(node, vs, p);
  }

  private pick(node: number, vs: IpvsVirtualServer, p: { src: number; dst: number; sport: number }): number | undefined {
    switch (vs.scheduler) {
      case "rr": return this.rr(node, vs);
      case "wrr": return this.wrr(node, vs);
      case "lc": return this.lc(node, vs);
      case "wlc": return this.wlc(node, vs, false);
      case "sed": return this.wlc(node, vs, true);
      case "nq": return this.nq(node, vs);
      case "sh": return this.sh(vs, p.src);
      case "dh": return this.dh(vs, p.dst);
      case "mh": return this.mhPick(vs, p.src, vs.flags & IP_VS_SVC_F_SCHED2 ? p.sport : 0);
      case "lblc": return this.lblc(node, vs);
      case "lblcr": return this.lblcr(node, vs);
    }
  }

  private rs(vs: IpvsVirtualServer, i: number): number {
    return vs.firstDest + i;
  }

  private overhead(node: number, vs: IpvsVirtualServer, i: number): number {
    const c = this.counts(node, this.rs(vs, i));
    return c.active * 256 + c.inactive;
  }

  private rr(node: number, vs: IpvsVirtualServer): number | undefined {
    const s = this.state(node, vs);
    const n = vs.dests.length;
    for (let k = 1; k <= n; k++) {
      const i = s.pos === undefined ? k - 1 : (s.pos + k) % n;
      if (vs.dests[i]!.weight > 0) {
        s.pos = i;
        return i;
      }
    }
    return undefined;
  }

  private wrr(node: number, vs: IpvsVirtualServer): number | undefined {
    const s = this.state(node, vs);
    const n = vs.dests.length;
    const { mw, di } = vs.wrr;
    let cw = s.cw;
    let dest = s.pos;
    let result: number | undefined;
    if (mw !== 0) {
      const last = dest;
      let stop: number | undefined;
      let lastPass = false;
      let restarted = false;
      let done = false;
      while (!done) {
        for (let i = dest === undefined ? 0 : dest + 1; i < n; i++) {
          dest = i;
          if (vs.dests[i]!.weight >= cw) {
            result = i;
            done = true;
            break;
          }
          if (dest === stop) {
            done = true;
            break;
          }
        }
        if (done) break;
        dest = undefined;
        cw -= di;
        if (cw <= 0) {
          cw = mw;
          if (lastPass || last === undefined) break;
          restarted = true;
        }
        lastPass = cw <= di;
        if (lastPass && restarted && last !== undefined) stop = last;
      }
    }
    s.pos = dest;
    s.cw = cw;
    return result;
  }

  private lc(node: number, vs: IpvsVirtualServer): number | undefined {
    let least: number | undefined;
    let loh = 0;
    vs.dests.forEach((d, i) => {
      if (d.weight === 0) return;
      const doh = this.overhead(node, vs, i);
      if (least === undefined || doh < loh) {
        least = i;
        loh = doh;
      }
    });
    return least;
  }

  private wlc(node: number, vs: IpvsVirtualServer, sed: boolean): number | undefined {
    let least: number | undefined;
    let loh = 0;
    vs.dests.forEach((d, i) => {
      const doh = sed ? this.counts(node, this.rs(vs, i)).active + 1 : this.overhead(node, vs, i);
      if (least === undefined) {
        if (d.weight > 0) {
          least = i;
          loh = doh;
        }
        return;
      }
      if (loh * d.weight > doh * vs.dests[least]!.weight) {
        least = i;
        loh = doh;
      }
    });
    return least;
  }

  private nq(node: number, vs: IpvsVirtualServer): number | undefined {
    let least: number | undefined;
    let loh = 0;
    for (let i = 0; i < vs.dests.length; i++) {
      const d = vs.dests[i]!;
      if (d.weight === 0) continue;
      const active = this.counts(node, this.rs(vs, i)).active;
      const doh = active + 1;
      if (active === 0) return i;
      if (least === undefined || loh * d.weight > doh * vs.dests[least]!.weight) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }

  private sh(vs: IpvsVirtualServer, src: number): number | undefined {
    if (!vs.dests.length) return undefined;
    const bucket = Math.imul(src, 0x61c88647) >>> 24;
    const total = vs.dests.reduce((t, d) => t + Math.max(d.weight, 1), 0);
    let at = bucket % total;
    for (let i = 0; i < vs.dests.length; i++) {
      const w = Math.max(vs.dests[i]!.weight, 1);
      if (at < w) return vs.dests[i]!.weight > 0 ? i : undefined;
      at -= w;
    }
    return undefined;
  }

  private dh(vs: IpvsVirtualServer, dst: number): number | undefined {
    if (!vs.dests.length) return undefined;
    const i = (Math.imul(dst, 2654435761) & 255) % vs.dests.length;
    return vs.dests[i]!.weight > 0 ? i : undefined;
  }

  private mhPick(vs: IpvsVirtualServer, src: number, sport: number): number | undefined {
    if (!vs.dests.length) return undefined;
    let table = this.mh.get(vs.id);
    if (!table) this.mh.set(vs.id, (table = mhLookup(vs)));
    const d = table[hsiphash32((sport + src) >>> 0, MH_KEY1) % IP_VS_MH_TAB_SIZE]!;
    return d < 0 || vs.dests[d]!.weight <= 0 ? undefined : d;
  }

  private overloaded(node: number, vs: IpvsVirtualServer, i: number): boolean {
    if (this.counts(node, this.rs(vs, i)).active <= vs.dests[i]!.weight) return false;
    return vs.dests.some((d, j) => this.counts(node, this.rs(vs, j)).active * 2 < d.weight);
  }

  private lblc(node: number, vs: IpvsVirtualServer): number | undefined {
    const s = this.state(node, vs);
    if (s.lblc !== undefined && vs.dests[s.lblc]!.weight > 0 && !this.overloaded(node, vs, s.lblc)) return s.lblc;
    const d = this.wlc(node, vs, false);
    if (d !== undefined) s.lblc = d;
    return d;
  }

  private lblcr(node: number, vs: IpvsVirtualServer): number | undefined {
    const s = this.state(node, vs);
    if (s.lblcr.size) {
      const members = [...s.lblcr].sort((x, y) => y[1] - x[1]).map(([i]) => i);
      let least: number | undefined;
      let loh = 0;
      for (const i of members) {
        const doh = this.overhead(node, vs, i);
        if (least === undefined) {
          if (vs.dests[i]!.weight > 0) {
            least = i;
            loh = doh;
          }
        } else if (loh * vs.dests[i]!.weight > doh * vs.dests[least]!.weight) {
          least = i;
          loh = doh;
        }
      }
      if (least !== undefined && !this.overloaded(node, vs, least)) return least;
      const d = this.wlc(node, vs, false);
      if (d === undefined) return undefined;
      if (!s.lblcr.has(d)) s.lblcr.set(d, s.lblcr.size + 1);
      return d;
    }
    const d = this.wlc(node, vs, false);
    if (d !== undefined) s.lblcr.set(d, 1);
    return d;
  }
}

const A_PROTO = { TCP: A.PROTO_TCP, UDP: A.PROTO_UDP, SCTP: A.PROTO_SCTP } as const;
