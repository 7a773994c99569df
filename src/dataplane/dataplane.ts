// The host side of the Wasm dataplane: owns the instance, writes tables into its memory in
// one go, and calls it with integers only.

import { K8sNetFlowError } from "../errors.js";
import type { DataplaneExports } from "./exports.js";

const ROUTE_RECORD_U32 = 2;

export class Dataplane {
  /** A reusable region for batch input/output, so repeated batches do not grow the arena. */
  private scratch = { ptr: 0, bytes: 0 };

  private constructor(private readonly wasm: DataplaneExports) {}

  /** Instantiates the dataplane from its bytes or an already compiled module. */
  static async create(source: BufferSource | WebAssembly.Module): Promise<Dataplane> {
    const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort(_msg: number, _file: number, line: number, column: number): never {
          throw new K8sNetFlowError("internal", `dataplane aborted at assembly line ${line}:${column}`);
        },
      },
    });
    return new Dataplane(instance.exports as unknown as DataplaneExports);
  }

  /** Drops every table from a previous load. */
  reset(): void {
    this.wasm.arenaReset();
    this.scratch = { ptr: 0, bytes: 0 };
  }

  /** Copies route records ([prefix, length] pairs) into Wasm memory and builds their trie; returns its handle. */
  buildFib(records: Uint32Array): number {
    const count = records.length / ROUTE_RECORD_U32;
    const ptr = this.wasm.arenaAlloc(Math.max(records.byteLength, 4));
    // A fresh view each time: arenaAlloc may have grown (and so detached) the old buffer.
    new Uint32Array(this.wasm.memory.buffer, ptr, records.length).set(records);
    const root = this.wasm.fibBuild(ptr, count, ROUTE_RECORD_U32 * 4);
    if (root === 0) throw new K8sNetFlowError("internal", "route table rejected by the dataplane (prefix length over 32 or host bits set)");
    return root;
  }

  /** Index of the longest-prefix match for `dst` in the table `fib`, or -1 when none matches. */
  lookup(fib: number, dst: number): number {
    return this.wasm.fibLookup(fib, dst >>> 0);
  }

  /** One call for many lookups (benchmarks, batch simulation). */
  lookupBatch(fib: number, dsts: Uint32Array): Int32Array {
    if (this.scratch.bytes < dsts.byteLength * 2) {
      this.scratch = { ptr: this.wasm.arenaAlloc(dsts.byteLength * 2), bytes: dsts.byteLength * 2 };
    }
    const inPtr = this.scratch.ptr;
    const outPtr = inPtr + dsts.byteLength;
    new Uint32Array(this.wasm.memory.buffer, inPtr, dsts.length).set(dsts);
    this.wasm.fibLookupBatch(fib, inPtr, outPtr, dsts.length);
    return new Int32Array(this.wasm.memory.buffer, outPtr, dsts.length).slice();
  }

  /** Bytes of Wasm memory holding tables. */
  get bytesUsed(): number {
    return this.wasm.arenaUsed();
  }
}
