// The Wasm module's exports (assembly/index.ts), typed. Addresses are byte offsets into memory.
export interface DataplaneExports {
  memory: WebAssembly.Memory;
  arenaReset(): void;
  arenaAlloc(bytes: number): number;
  arenaUsed(): number;
  fibBuild(routes: number, count: number, stride: number): number;
  fibLookup(root: number, dst: number): number;
  fibLookupBatch(root: number, dsts: number, out: number, count: number): void;
}
