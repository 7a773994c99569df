// The Wasm module's exports (assembly/index.ts), typed. Addresses are byte offsets into memory.
export interface DataplaneExports {
  memory: WebAssembly.Memory;
  arenaReset(): void;
  arenaAlloc(bytes: number): number;
  arenaUsed(): number;
  fibBuild(routes: number, count: number, stride: number): number;
  fibLookup(root: number, dst: number): number;
  fibLookupBatch(root: number, dsts: number, out: number, count: number): void;
  configure(desc: number): number;
  packetBuffer(): number;
  traceBuffer(): number;
  hops(): number;
  exchange(from: number, reply: number, trace: number, replyLen: number): number;
  lastReplyVerdict(): number;
  lastDropReason(): number;
  runFlows(flows: number, count: number): void;
  ctGc(): void;
  getTime(): number;
  reloadRules(desc: number): number;
  setNodeDown(node: number, down: number): void;
  counter(which: number): number;
  dropCount(reason: number): number;
  ruleHitCount(rule: number): number;
  ruleByteCount(rule: number): number;
  chainPolicyCount(chain: number, bytes: number): number;
  ipvsConnCounter(node: number, rs: number, active: number): number;
  ipvsScheduled(rs: number): number;
  ctCapacity(): number;
  ctReserve(max: number): void;
  ctInject(src: number, dst: number, ports: number, key: number, rsrc: number, rdst: number, rports: number, status: number, timeout: number): number;
  ctRead(i: number, out: number): number;
  setSeed(seed: number): void;
  resetState(): void;
  nodePairs(out: number, max: number): number;
  walkHistogram(out: number, max: number): number;
  setTime(seconds: number): void;
}
