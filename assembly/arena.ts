// A bump arena over linear memory. Tables are sized when a cluster is loaded and the whole
// arena is dropped on the next load, so nothing is ever freed one by one and nothing is
// allocated per packet (the style guide's "fixed capacities, decided up front").

const ALIGN: usize = 16;

let base: usize = 0;
let top: usize = 0;

@inline function alignUp(p: usize): usize {
  return (p + ALIGN - 1) & ~(ALIGN - 1);
}

function ensureCapacity(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return;
  const needed = <i32>((end - have + 0xffff) >> 16);
  // Grow by at least the memory's size (doubling, up to 64 MiB at a time): every grow makes the
  // host's engine re-check its heap, and a cluster at the limits grows memory hundreds of times
  // if each allocation grows it by just what it needs. Untouched pages cost no RAM.
  const extra = min<i32>(memory.size(), 1024);
  if (memory.grow(needed + extra) >= 0) return;
  if (memory.grow(needed) < 0) unreachable(); // out of memory: the host reports it as an error
}

/** Drops every allocation. */
export function arenaReset(): void {
  base = alignUp(__heap_base);
  top = base;
}

/** Reserves `bytes` zeroed bytes and returns their address. May grow memory. */
export function arenaAlloc(bytes: usize): usize {
  if (base == 0) arenaReset();
  const p = top;
  const end = alignUp(p + bytes);
  ensureCapacity(end);
  memory.fill(p, 0, end - p);
  top = end;
  return p;
}

/** Gives back the tail of the most recent allocation that turned out not to be needed. */
export function arenaShrinkTo(end: usize): void {
  const e = alignUp(end);
  if (e >= base && e <= top) top = e;
}

/** Bytes in use, for the host's diagnostics. */
export function arenaUsed(): usize {
  return top - base;
}
