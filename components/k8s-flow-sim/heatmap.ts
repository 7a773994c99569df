// The node-pair traffic of a simulation as a heat map on a <canvas>: an SVG of 5,000 × 5,000
// cells would be 25 million elements, a canvas is one bitmap. With more nodes than pixels,
// neighbouring nodes (in the cluster's order) share a cell, so every pixel stays a real value.

export interface NodePair {
  from: string;
  to: string;
  packets: number;
}

export interface HeatGrid {
  /** Node names in the cluster's order (the axes). */
  nodes: string[];
  /** Nodes per cell along each axis (1 when every node has its own row and column). */
  perCell: number;
  /** Cells per side. */
  size: number;
  /** Packets per cell, row = origin bin, column = delivery bin. */
  cells: Float64Array;
  max: number;
  total: number;
  /** Packets delivered on the node they started on. */
  sameNode: number;
}

/**
 * Sums pairs into at most `maxCells` × `maxCells` cells, a slice at a time: 5,000 nodes can
 * mean 100,000 pairs, summed in slices that each fit in a few milliseconds of the page's thread.
 */
export class PairBinner {
  private readonly names: string[];
  private readonly index: Map<string, number>;
  private readonly perCell: number;
  private readonly size: number;
  private readonly cells: Float64Array;
  private total = 0;
  private sameNode = 0;

  /** `nodes` in the cluster's order; empty, the names in `pairs`, sorted. */
  constructor(nodes: string[], maxCells: number, pairs: readonly NodePair[] = []) {
    this.names = nodes.length ? nodes : [...new Set(pairs.flatMap((p) => [p.from, p.to]))].sort();
    const n = Math.max(1, this.names.length);
    this.perCell = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(maxCells))));
    this.size = Math.ceil(n / this.perCell);
    this.index = new Map(this.names.map((name, i) => [name, i]));
    this.cells = new Float64Array(this.size * this.size);
  }

  /** Adds pairs[start, end). */
  add(pairs: readonly NodePair[], start = 0, end = pairs.length): void {
    const { index, perCell, size, cells } = this;
    for (let i = start; i < end; i++) {
      const p = pairs[i]!;
      const a = index.get(p.from);
      const b = index.get(p.to);
      if (a === undefined || b === undefined) continue;
      const k = Math.floor(a / perCell) * size + Math.floor(b / perCell);
      cells[k] = cells[k]! + p.packets;
      this.total += p.packets;
      if (a === b) this.sameNode += p.packets;
    }
  }

  grid(): HeatGrid {
    let max = 0;
    for (let i = 0; i < this.cells.length; i++) if (this.cells[i]! > max) max = this.cells[i]!;
    return { nodes: this.names, perCell: this.perCell, size: this.size, cells: this.cells, max, total: this.total, sameNode: this.sameNode };
  }
}

/** Sums `pairs` into at most `maxCells` × `maxCells` cells. */
export function binPairs(nodes: string[], pairs: NodePair[], maxCells: number): HeatGrid {
  const binner = new PairBinner(nodes, maxCells, pairs);
  binner.add(pairs);
  return binner.grid();
}

/** The nodes of row or column `bin`, as "node-1" or "node-0001 – node-0013 (13 nodes)". */
export function binLabel(grid: HeatGrid, bin: number): string {
  const first = bin * grid.perCell;
  const last = Math.min(grid.nodes.length, first + grid.perCell) - 1;
  if (first >= last) return grid.nodes[first] ?? "";
  return `${grid.nodes[first]} – ${grid.nodes[last]} (${last - first + 1} nodes)`;
}

/**
 * The `k` pairs with the most packets, most first (ties in input order): one pass keeping a
 * short sorted list, instead of sorting every pair — 5,000 nodes can mean 100,000 pairs.
 */
export function topPairs<T extends { packets: number }>(pairs: readonly T[], k: number): T[] {
  const top: T[] = [];
  for (const p of pairs) {
    if (top.length === k && p.packets <= top[k - 1]!.packets) continue;
    let i = top.length;
    while (i > 0 && top[i - 1]!.packets < p.packets) i--;
    top.splice(i, 0, p);
    if (top.length > k) top.pop();
  }
  return top;
}

type Rgb = [number, number, number];

let probe: CanvasRenderingContext2D | null | undefined;

/** Any CSS colour as RGB, through a 1×1 canvas (custom properties hold whatever authors wrote). */
export function toRgb(color: string, fallback: Rgb): Rgb {
  if (probe === undefined) {
    const c = document.createElement("canvas");
    c.width = c.height = 1;
    probe = c.getContext("2d", { willReadFrequently: true });
  }
  const ctx = probe;
  if (!ctx || !color.trim()) return fallback;
  ctx.fillStyle = `rgb(${fallback.join(",")})`;
  ctx.fillStyle = color.trim();
  ctx.clearRect(0, 0, 1, 1);
  ctx.fillRect(0, 0, 1, 1);
  const d = ctx.getImageData(0, 0, 1, 1).data;
  return [d[0]!, d[1]!, d[2]!];
}

/**
 * The grid as a size × size bitmap: empty cells in `empty`, the rest from `low` to `high` on a
 * log scale (traffic spans orders of magnitude: a linear scale shows one hot cell and noise).
 */
export function gridBitmap(grid: HeatGrid, empty: Rgb, low: Rgb, high: Rgb): HTMLCanvasElement {
  const bitmap = document.createElement("canvas");
  bitmap.width = bitmap.height = grid.size;
  const ctx = bitmap.getContext("2d")!;
  const image = ctx.createImageData(grid.size, grid.size);
  const scale = Math.log1p(grid.max) || 1;
  const data = image.data;
  // No allocation per cell: 5,000 nodes on a wide canvas are 128,000+ cells.
  for (let i = 0; i < grid.cells.length; i++) {
    const v = grid.cells[i]!;
    const o = i * 4;
    if (v > 0) {
      const t = 0.15 + (0.85 * Math.log1p(v)) / scale;
      data[o] = Math.round(low[0] + (high[0] - low[0]) * t);
      data[o + 1] = Math.round(low[1] + (high[1] - low[1]) * t);
      data[o + 2] = Math.round(low[2] + (high[2] - low[2]) * t);
    } else {
      data[o] = empty[0];
      data[o + 1] = empty[1];
      data[o + 2] = empty[2];
    }
    data[o + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return bitmap;
}

/** Paints the bitmap scaled to the canvas, cells kept sharp, and outlines the cursor cell. */
export function paint(canvas: HTMLCanvasElement, bitmap: HTMLCanvasElement, size: number, cursor: { row: number; col: number } | undefined, outline: string): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  if (!cursor) return;
  const cw = canvas.width / size;
  const ch = canvas.height / size;
  ctx.strokeStyle = outline;
  ctx.lineWidth = Math.max(2, Math.round(canvas.width / 300));
  ctx.strokeRect(cursor.col * cw, cursor.row * ch, Math.max(cw, 3), Math.max(ch, 3));
}
