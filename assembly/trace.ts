// The hop recorder: one fixed-size record per step into a buffer the host reads after the
// call. Off in batch mode, where only counters move.

import { NONE, P_BYTES, T_ACTION, T_ARG, T_BYTES, T_COMPONENT, T_DECIDER, T_EXTRA, T_IN, T_NETNS, T_NODE, T_OUT, T_PACKET, T_PHASE, T_REASON, T_SEQ } from "./abi";
import { arenaAlloc } from "./arena";

let buf: usize = 0;
let cap: u32 = 0;
export let hopCount: u32 = 0;
export let tracing: bool = false;
export let phase: u32 = 0;

export function traceInit(capacity: u32): void {
  cap = capacity;
  buf = arenaAlloc(<usize>capacity * T_BYTES);
}

export function traceBuffer(): usize {
  return buf;
}

export function traceStart(on: bool): void {
  tracing = on;
  hopCount = 0;
}

export function setPhase(p: u32): void {
  phase = p;
}

/** Records a hop when tracing; inlined so that batch mode pays one branch, not a call. */
@inline export function hop(
  node: u32, netns: u32, component: u32, action: u32, reason: u32,
  inIf: u32, outIf: u32, decider: u32, arg: u32, extra: u32, pkt: usize,
): void {
  if (tracing) record(node, netns, component, action, reason, inIf, outIf, decider, arg, extra, pkt);
}

function record(
  node: u32, netns: u32, component: u32, action: u32, reason: u32,
  inIf: u32, outIf: u32, decider: u32, arg: u32, extra: u32, pkt: usize,
): void {
  if (hopCount >= cap) return;
  const h = buf + <usize>hopCount * T_BYTES;
  store<u32>(h, hopCount, T_SEQ);
  store<u32>(h, node, T_NODE);
  store<u32>(h, netns, T_NETNS);
  store<u32>(h, component, T_COMPONENT);
  store<u32>(h, action, T_ACTION);
  store<u32>(h, reason, T_REASON);
  store<u32>(h, inIf == NONE ? 0 : inIf + 1, T_IN);
  store<u32>(h, outIf == NONE ? 0 : outIf + 1, T_OUT);
  store<u32>(h, decider, T_DECIDER);
  store<u32>(h, arg, T_ARG);
  store<u32>(h, phase, T_PHASE);
  store<u32>(h, extra, T_EXTRA);
  memory.copy(h + T_PACKET, pkt, P_BYTES);
  hopCount++;
}
