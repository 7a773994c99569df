// Places pods that name no node, deterministically: the least-loaded eligible node, ties
// broken by node order (a spread, like the default scheduler's balanced scoring, without
// its randomness). A binary heap keeps 150,000 placements over 5,000 nodes fast.

import { selectorMatches } from "./names.js";

export interface SchedNode {
  name: string;
  labels: Record<string, string>;
  pods: number;
}

export class Scheduler {
  private readonly heap: number[];
  /** Counts changed outside the heap's order (explicit placements, nodeSelector picks). */
  private stale = true;

  constructor(private readonly nodes: SchedNode[]) {
    this.heap = nodes.map((_, i) => i);
  }

  /** Counts a pod the input itself placed on node `index`. */
  placed(index: number): void {
    this.nodes[index]!.pods++;
    this.stale = true;
  }

  /** Picks a node for a pod; undefined when no node matches its nodeSelector. */
  pick(nodeSelector?: Record<string, string>): number | undefined {
    if (this.nodes.length === 0) return undefined;
    if (nodeSelector && Object.keys(nodeSelector).length) {
      let best: number | undefined;
      this.nodes.forEach((n, i) => {
        if (selectorMatches(nodeSelector, n.labels) && (best === undefined || n.pods < this.nodes[best]!.pods)) best = i;
      });
      if (best !== undefined) this.placed(best);
      return best;
    }
    if (this.stale) {
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
      this.stale = false;
    }
    const top = this.heap[0]!;
    this.nodes[top]!.pods++;
    this.down(0);
    return top;
  }

  private less(a: number, b: number): boolean {
    const na = this.nodes[a]!.pods;
    const nb = this.nodes[b]!.pods;
    return na < nb || (na === nb && a < b);
  }

  private down(start: number): void {
    const h = this.heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
