// The dataplane's exports. Only integers cross the boundary; tables live in linear memory.
export { arenaReset, arenaAlloc, arenaUsed } from "./arena";
export { fibBuild, fibLookup, fibLookupBatch } from "./fib";
